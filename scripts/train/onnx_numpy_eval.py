#!/usr/bin/python3
"""A tiny numpy evaluator for the ONNX op subset sotsim imports.

onnxruntime is not available here; this re-evaluates an exported model
independently of PyTorch so that the ONNX file itself is what is measured.
Computation is in float32 (as in PyTorch) except where noted.

Usage: onnx_numpy_eval.py MODEL.onnx {mnist|fashion-mnist}  -> prints test accuracy
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _pads4(a, nd=2):
    p = list(a.get("pads", [0] * (2 * nd)))
    return p[:nd], p[nd:]


def _im2col(x, kh, kw, sh, sw, pb, pe, fill=0.0):
    n, c, h, w = x.shape
    x = np.pad(x, ((0, 0), (0, 0), (pb[0], pe[0]), (pb[1], pe[1])), constant_values=fill)
    oh = (x.shape[2] - kh) // sh + 1
    ow = (x.shape[3] - kw) // sw + 1
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
    return cols, oh, ow


def _conv(x, w, b, a):
    if a.get("group", 1) != 1 or any(d != 1 for d in a.get("dilations", [1, 1])):
        raise NotImplementedError("Conv: only group 1, dilation 1")
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotImplementedError("Conv: auto_pad")
    co, ci, kh, kw = w.shape
    sh, sw = a.get("strides", [1, 1])
    pb, pe = _pads4(a)
    cols, oh, ow = _im2col(x, kh, kw, sh, sw, pb, pe)
    n = x.shape[0]
    cols = cols.reshape(n, ci * kh * kw, oh * ow)
    y = np.einsum("ok,nkp->nop", w.reshape(co, -1), cols, optimize=True).reshape(n, co, oh, ow)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y.astype(x.dtype)


def _pool(x, a, kind):
    if a.get("ceil_mode", 0) != 0:
        raise NotImplementedError("pool: ceil_mode")
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    pb, pe = _pads4(a)
    if kind == "max":
        cols, _, _ = _im2col(x, kh, kw, sh, sw, pb, pe, fill=-np.inf)
        return cols.max(axis=(2, 3))
    cols, _, _ = _im2col(x, kh, kw, sh, sw, pb, pe)
    if a.get("count_include_pad", 0) or not any(pb + pe):
        return (cols.sum(axis=(2, 3)) / (kh * kw)).astype(x.dtype)
    ones, _, _ = _im2col(np.ones_like(x[:1, :1]), kh, kw, sh, sw, pb, pe)
    return (cols.sum(axis=(2, 3)) / ones.sum(axis=(2, 3))).astype(x.dtype)


class OnnxNumpyModel:
    def __init__(self, path):
        self.model = onnx.load(path)
        g = self.model.graph
        self.consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
        self.input_name = [i.name for i in g.input if i.name not in self.consts][0]
        self.output_name = g.output[0].name
        self.sign_zero_inputs = 0  # Sign inputs exactly 0 seen so far (Sign(0)=0)

    def run(self, x):
        env = dict(self.consts)
        env[self.input_name] = np.asarray(x, dtype=np.float32)
        for node in self.model.graph.node:
            ins = [env[n] if n else None for n in node.input]
            if node.op_type == "Sign":
                self.sign_zero_inputs += int((ins[0] == 0).sum())
            outs = self._op(node, ins, _attrs(node))
            env[node.output[0]] = outs
        return env[self.output_name]

    @staticmethod
    def _op(node, i, a):
        op = node.op_type
        if op == "Constant":
            return numpy_helper.to_array(a["value"])
        if op == "Identity":
            return i[0]
        if op == "Gemm":
            A, B = i[0], i[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = a.get("alpha", 1.0) * (A @ B)
            if len(i) > 2 and i[2] is not None:
                y = y + a.get("beta", 1.0) * i[2]
            return y.astype(np.float32)
        if op == "MatMul":
            return np.matmul(i[0], i[1])
        if op == "Conv":
            return _conv(i[0], i[1], i[2] if len(i) > 2 else None, a)
        if op == "BatchNormalization":
            x, s, b, m, v = i
            shp = (1, -1) + (1,) * (x.ndim - 2)
            eps = np.float32(a.get("epsilon", 1e-5))
            return ((x - m.reshape(shp)) / np.sqrt(v.reshape(shp) + eps) * s.reshape(shp)
                    + b.reshape(shp)).astype(x.dtype)
        if op == "Relu":
            return np.maximum(i[0], 0).astype(i[0].dtype)
        if op == "Sign":
            return np.sign(i[0])
        if op == "Sigmoid":
            return (1.0 / (1.0 + np.exp(-i[0]))).astype(i[0].dtype)
        if op == "Tanh":
            return np.tanh(i[0])
        if op == "Round":
            return np.round(i[0])  # half to even, as ONNX Round
        if op == "Clip":
            lo = i[1] if len(i) > 1 and i[1] is not None else a.get("min", -np.inf)
            hi = i[2] if len(i) > 2 and i[2] is not None else a.get("max", np.inf)
            return np.clip(i[0], lo, hi).astype(i[0].dtype)
        if op == "MaxPool":
            return _pool(i[0], a, "max")
        if op == "AveragePool":
            return _pool(i[0], a, "avg")
        if op == "GlobalAveragePool":
            return i[0].mean(axis=tuple(range(2, i[0].ndim)), keepdims=True)
        if op == "Flatten":
            ax = a.get("axis", 1)
            return i[0].reshape(int(np.prod(i[0].shape[:ax])), -1)
        if op == "Reshape":
            shape = [int(s) for s in i[1]]
            shape = [i[0].shape[k] if s == 0 else s for k, s in enumerate(shape)]
            return i[0].reshape(shape)
        if op in ("Add", "Sub", "Mul", "Div"):
            f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
            dt = i[0].dtype if i[0].ndim >= i[1].ndim else i[1].dtype
            return f(i[0], i[1]).astype(dt)
        raise NotImplementedError("op %s (node %s) is outside the sotsim subset" % (op, node.name))


def main(argv):
    sys.path.insert(0, __import__("os").path.dirname(__file__))
    import idx_datasets as data_sets
    if len(argv) != 3 or argv[2] not in ("mnist", "fashion-mnist"):
        print(__doc__)
        return 2
    data = data_sets.load_mnist() if argv[2] == "mnist" else data_sets.load_fashion_mnist()
    x, y = data[2], data[3]
    ev = OnnxNumpyModel(argv[1])
    pred = np.concatenate([ev.run(x[k:k + 500]).argmax(1) for k in range(0, x.shape[0], 500)])
    print("%s: test accuracy %.4f on %d samples; Sign inputs exactly 0: %d"
          % (argv[1], (pred == y).mean(), x.shape[0], ev.sign_zero_inputs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
