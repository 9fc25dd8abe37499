#!/usr/bin/python3
"""Generates the ONNX import fixtures of tests/unit/workloads and their expected outputs.

Run from anywhere with Debian's python3 (python3-onnx 1.12, python3-torch, numpy):
    /usr/bin/python3 tests/data/onnx/make_fixtures.py
For every valid model NAME.onnx it writes NAME.input.npy (a float32 batch) and
NAME.expected.npy, computed independently of sotsim with torch.nn.functional / numpy from
the same weights. Bad models (unsupported op, truncated, garbage, dilation 2, ...) have no
.npy files. Everything is seeded, so re-running reproduces the files bit for bit.
"""
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240611)


def rand(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def save(name, nodes, inits, in_shape, out_shape, opset=13, x=None, expected=None, check=True):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="sotsim-fixtures")
    model.ir_version = 8
    if check:
        onnx.checker.check_model(model)
    path = os.path.join(HERE, name + ".onnx")
    onnx.save(model, path)
    if x is not None:
        np.save(os.path.join(HERE, name + ".input.npy"), x.astype(np.float32))
        np.save(os.path.join(HERE, name + ".expected.npy"), np.asarray(expected, dtype=np.float32))
    return path


t = torch.from_numpy

# 1. Gemm (transB, alpha, beta, [1,M] bias) -> Relu -> MatMul -> Add(bias)
W1, C1, W2, b2 = rand(6, 12), rand(1, 6), rand(6, 4), rand(4)
x = rand(5, 12)
h = np.maximum(0.5 * x @ W1.T + 2.0 * C1, 0)
save("gemm_matmul", [
    helper.make_node("Gemm", ["x", "W1", "C1"], ["h"], name="fc1", transB=1, alpha=0.5, beta=2.0),
    helper.make_node("Relu", ["h"], ["r"], name="relu1"),
    helper.make_node("MatMul", ["r", "W2"], ["m"], name="fc2"),
    helper.make_node("Add", ["m", "b2"], ["y"], name="bias2"),
], [init("W1", W1), init("C1", C1), init("W2", W2), init("b2", b2)], ["N", 12], ["N", 4],
    x=x, expected=h @ W2 + b2)

# 2. Conv(pad 1, bias) -> BatchNorm -> Relu -> MaxPool(2,2) -> Flatten -> Gemm
Wc, bc = rand(3, 2, 3, 3), rand(3)
g, beta, mean, var = rand(3) + 1.5, rand(3), rand(3), np.abs(rand(3)) + 0.5
Wf, bf = rand(5, 27), rand(5)
x = rand(4, 2, 7, 7)
v = F.conv2d(t(x), t(Wc), t(bc), padding=1)
v = F.batch_norm(v, t(mean), t(var), t(g), t(beta), eps=1e-3)
v = F.max_pool2d(F.relu(v), 2, 2).flatten(1)
save("conv_bn_pool", [
    helper.make_node("Conv", ["x", "Wc", "bc"], ["c"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("BatchNormalization", ["c", "g", "beta", "mean", "var"], ["b"], name="bn1", epsilon=1e-3),
    helper.make_node("Relu", ["b"], ["r"], name="relu1"),
    helper.make_node("MaxPool", ["r"], ["p"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Flatten", ["p"], ["f"], name="flatten", axis=1),
    helper.make_node("Gemm", ["f", "Wf", "bf"], ["y"], name="fc", transB=1),
], [init("Wc", Wc), init("bc", bc), init("g", g), init("beta", beta), init("mean", mean), init("var", var),
    init("Wf", Wf), init("bf", bf)], ["N", 2, 7, 7], ["N", 5],
    x=x, expected=(v @ t(Wf).T + t(bf)).numpy())

# 3. Conv(stride 2, asymmetric pads, no bias) -> AveragePool x2 (count_include_pad 0/1)
#    -> GlobalAveragePool -> Flatten -> Gemm(no bias)
Wc = rand(4, 3, 2, 3)
Wf = rand(4, 3)
x = rand(3, 3, 8, 9)
v = F.conv2d(F.pad(t(x), (1, 0, 0, 1)), t(Wc), stride=2)  # pads [top=0,left=1,bottom=1,right=0]
a1 = F.avg_pool2d(v, 3, 1, padding=1, count_include_pad=False)
a2 = F.avg_pool2d(a1, 3, 1, padding=1, count_include_pad=True)
gp = a2.mean(dim=(2, 3))
save("conv_stride_avgpool", [
    helper.make_node("Conv", ["x", "Wc"], ["c"], name="conv", strides=[2, 2], pads=[0, 1, 1, 0]),
    helper.make_node("AveragePool", ["c"], ["a1"], name="avg_excl", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("AveragePool", ["a1"], ["a2"], name="avg_incl", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                     count_include_pad=1),
    helper.make_node("GlobalAveragePool", ["a2"], ["g"], name="gap"),
    helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
    helper.make_node("Gemm", ["f", "Wf"], ["y"], name="fc"),
], [init("Wc", Wc), init("Wf", Wf)], ["N", 3, 8, 9], ["N", 3],
    x=x, expected=(gp @ t(Wf)).numpy())

# 4. Activations: Sigmoid, Tanh, Sign, Clip(min,max inputs), Clip(max only), Round
x = rand(6, 10, scale=2.0)
x[0, :4] = [0.0, 0.5, 1.5, -2.5]  # Sign(0) = 0, Round half to even
W = rand(10, 10)
s = 1 / (1 + np.exp(-x))
v = np.tanh(s @ W) + np.sign(x) + np.clip(x, -0.5, 0.75) + np.minimum(x, 1.0) + np.round(x)
save("activations", [
    helper.make_node("Sigmoid", ["x"], ["s"], name="sigmoid"),
    helper.make_node("MatMul", ["s", "W"], ["m"], name="fc"),
    helper.make_node("Tanh", ["m"], ["t"], name="tanh"),
    helper.make_node("Sign", ["x"], ["sg"], name="sign"),
    helper.make_node("Clip", ["x", "lo", "hi"], ["c"], name="clip"),
    helper.make_node("Clip", ["x", "", "one"], ["c1"], name="clip_max"),
    helper.make_node("Round", ["x"], ["rd"], name="round"),
    helper.make_node("Add", ["t", "sg"], ["s1"], name="sum1"),
    helper.make_node("Add", ["s1", "c"], ["s2"], name="sum2"),
    helper.make_node("Add", ["s2", "c1"], ["s3"], name="sum3"),
    helper.make_node("Add", ["s3", "rd"], ["y"], name="sum4"),
], [init("W", W), init("lo", np.float32(-0.5)), init("hi", np.float32(0.75)), init("one", np.float32(1.0))],
    ["N", 10], ["N", 10], opset=11, x=x, expected=v)

# 5. Elementwise with constants: c - x (per-channel), x / c (per-channel), x * s, x + c[C,1,1],
#    x + full constant, residual Add, Reshape [0,-1], Gemm
x = rand(4, 2, 3, 3)
c_sub = rand(2, 1, 1)
c_div = (np.abs(rand(1, 2, 1, 1)) + 0.5).astype(np.float32)
c_full = rand(2, 3, 3)
Wf = rand(3, 18)
a = c_sub - x
b = a / c_div
m = b * np.float32(1.5)
p = m + c_full
r = p + x
save("elementwise", [
    helper.make_node("Sub", ["c_sub", "x"], ["a"], name="rsub"),
    helper.make_node("Div", ["a", "c_div"], ["b"], name="div"),
    helper.make_node("Mul", ["b", "s"], ["m"], name="mul"),
    helper.make_node("Add", ["m", "c_full"], ["p"], name="add_full"),
    helper.make_node("Add", ["p", "x"], ["r"], name="residual"),
    helper.make_node("Reshape", ["r", "shape"], ["f"], name="reshape"),
    helper.make_node("Gemm", ["f", "Wf"], ["y"], name="fc", transB=1),
], [init("c_sub", c_sub), init("c_div", c_div), init("s", np.float32(1.5)), init("c_full", c_full),
    init("shape", np.array([0, -1], dtype=np.int64)), init("Wf", Wf)], ["N", 2, 3, 3], ["N", 3],
    x=x, expected=r.reshape(4, -1) @ Wf.T)

# 6. Fake quantization: activations Clip -> Mul -> Round -> Div; QuantizeLinear/DequantizeLinear
#    (int8, zero point 3); weights DequantizeLinear(int8, per-axis scale) -> Transpose -> MatMul;
#    a Constant node and an Identity.
x = rand(5, 8, scale=1.5)
Wq = rng.integers(-7, 8, size=(6, 8)).astype(np.int8)
wscale = (np.abs(rand(6)) * 0.1 + 0.05).astype(np.float32)
Wdq = Wq.astype(np.float32) * wscale[:, None]
q = np.round(np.clip(x, -1, 1) * np.float32(7)) / np.float32(7)
qs, qz = np.float32(0.05), 3
qq = np.clip(np.round(q / qs) + qz, -128, 127)
dq = (qq - qz) * qs
expected = dq @ Wdq.T
save("fake_quant", [
    helper.make_node("Constant", [], ["seven"], name="const7",
                     value=helper.make_tensor("seven", TensorProto.FLOAT, [], [7.0])),
    helper.make_node("Clip", ["x", "m1", "p1"], ["c"], name="clip"),
    helper.make_node("Mul", ["c", "seven"], ["cm"], name="scale_up"),
    helper.make_node("Round", ["cm"], ["cr"], name="round"),
    helper.make_node("Div", ["cr", "seven"], ["cd"], name="scale_down"),
    helper.make_node("QuantizeLinear", ["cd", "qs", "qz"], ["q8"], name="quant"),
    helper.make_node("DequantizeLinear", ["q8", "qs", "qz"], ["dq"], name="dequant"),
    helper.make_node("Identity", ["dq"], ["id"], name="identity"),
    helper.make_node("DequantizeLinear", ["Wq", "wscale", "wzero"], ["Wdq"], name="wdequant", axis=0),
    helper.make_node("Transpose", ["Wdq"], ["WT"], name="wtranspose", perm=[1, 0]),
    helper.make_node("MatMul", ["id", "WT"], ["y"], name="fc"),
], [init("m1", np.float32(-1)), init("p1", np.float32(1)), init("qs", qs), init("qz", np.int8(qz)),
    init("Wq", Wq), init("wscale", wscale), init("wzero", np.zeros(6, dtype=np.int8))],
    ["N", 8], ["N", 6], opset=13, x=x, expected=expected)

# 7. Binary MLP in the exported BNN style: Sign(x) -> Gemm(Sign(W)) -> BatchNorm1d -> Sign
#    -> Gemm(Sign(W2)) (weight binarization folded as constants); opset 17.
x = rand(7, 16)
W1, W2 = rand(8, 16), rand(3, 8)
g, beta, mean, var = rand(8) + 2, rand(8), rand(8) * 3, np.abs(rand(8)) + 1
h = np.sign(x) @ np.sign(W1).T
h = g * (h - mean) / np.sqrt(var + 1e-5) + beta
save("bnn_mlp", [
    helper.make_node("Sign", ["x"], ["xs"], name="binarize_in"),
    helper.make_node("Sign", ["W1"], ["W1s"], name="binarize_w1"),
    helper.make_node("Gemm", ["xs", "W1s"], ["h"], name="fc1", transB=1),
    helper.make_node("BatchNormalization", ["h", "g", "beta", "mean", "var"], ["b"], name="bn1"),
    helper.make_node("Sign", ["b"], ["hs"], name="sign1"),
    helper.make_node("Sign", ["W2"], ["W2s"], name="binarize_w2"),
    helper.make_node("Gemm", ["hs", "W2s"], ["y"], name="fc2", transB=1),
], [init("W1", W1), init("W2", W2), init("g", g), init("beta", beta), init("mean", mean), init("var", var)],
    ["N", 16], ["N", 3], opset=17, x=x, expected=np.sign(h) @ np.sign(W2).T)

# 8. Static batch 1 in the model, Reshape [1,-1]: the importer treats the first dim as batch.
x = rand(3, 1, 4, 4)
W = rand(16, 2)
save("static_batch_reshape", [
    helper.make_node("Reshape", ["x", "shape"], ["f"], name="reshape"),
    helper.make_node("MatMul", ["f", "W"], ["y"], name="fc"),
], [init("shape", np.array([1, -1], dtype=np.int64)), init("W", W)], [1, 1, 4, 4], [1, 2],
    x=x, expected=x.reshape(3, -1) @ W)

# ---- bad models (no expected outputs) ----
Wc = rand(2, 1, 3, 3)
save("bad_dilation2", [
    helper.make_node("Conv", ["x", "W"], ["y"], name="conv_dilated", dilations=[2, 2]),
], [init("W", Wc)], ["N", 1, 9, 9], ["N", 2, 5, 5])
save("bad_group2", [
    helper.make_node("Conv", ["x", "W"], ["y"], name="conv_grouped", group=2),
], [init("W", rand(2, 1, 3, 3))], ["N", 2, 5, 5], ["N", 2, 3, 3])
save("bad_unsupported_op", [
    helper.make_node("Gemm", ["x", "W"], ["h"], name="fc", transB=1),
    helper.make_node("LSTM", ["h", "Wl", "Rl"], ["y"], name="lstm1", hidden_size=2),
], [init("W", rand(4, 4)), init("Wl", rand(1, 8, 4)), init("Rl", rand(1, 8, 2))], ["N", 4], ["N", 2],
    check=False)
save("bad_nonconst_weight", [
    helper.make_node("Relu", ["x"], ["r"], name="relu"),
    helper.make_node("Gemm", ["x", "r"], ["y"], name="fc_dynamic"),
], [], ["N", 4], ["N", 4])
save("bad_missing_initializer", [
    helper.make_node("Gemm", ["x", "W_absent"], ["y"], name="fc", transB=1),
], [], ["N", 4], ["N", 4], check=False)
Wn = rand(3, 4)
Wn[1, 2] = np.nan
save("bad_nan_weight", [
    helper.make_node("Gemm", ["x", "W"], ["y"], name="fc", transB=1),
], [init("W", Wn)], ["N", 4], ["N", 3])
save("bad_opset9", [
    helper.make_node("Relu", ["x"], ["y"], name="relu"),
], [], ["N", 4], ["N", 4], opset=9)

# 9. torch-style explicit Pad merged into the Conv / AveragePool it feeds (opset 13: pads input).
x = rand(2, 2, 5, 5)
Wc = rand(3, 2, 3, 3)
Wf = rand(18, 2)
v = F.conv2d(F.pad(t(x), (1, 0, 2, 1)), t(Wc), padding=1)  # Pad H 2/1, W 1/0, plus conv pads 1
v = F.avg_pool2d(F.pad(v, (1, 1, 1, 1)), 3, 3)  # zeros from Pad count in the average
save("pad_merge", [
    helper.make_node("Pad", ["x", "pads1"], ["xp"], name="pad1"),
    helper.make_node("Conv", ["xp", "Wc"], ["c"], name="conv", pads=[1, 1, 1, 1]),
    helper.make_node("Pad", ["c", "pads2", "zero"], ["cp"], name="pad2"),
    helper.make_node("AveragePool", ["cp"], ["a"], name="avg", kernel_shape=[3, 3], strides=[3, 3]),
    helper.make_node("Flatten", ["a"], ["f"], name="flatten"),
    helper.make_node("MatMul", ["f", "Wf"], ["y"], name="fc"),
], [init("pads1", np.array([0, 0, 2, 1, 0, 0, 1, 0], dtype=np.int64)),
    init("pads2", np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64)), init("zero", np.float32(0)),
    init("Wc", Wc), init("Wf", Wf)], ["N", 2, 5, 5], ["N", 2],
    x=x, expected=(v.flatten(1) @ t(Wf)).numpy())
save("bad_pad_relu", [
    helper.make_node("Pad", ["x", "pads"], ["xp"], name="pad"),
    helper.make_node("Relu", ["xp"], ["y"], name="relu"),
], [init("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64))], ["N", 1, 3, 3], ["N", 1, 5, 5])

good = open(os.path.join(HERE, "conv_bn_pool.onnx"), "rb").read()
with open(os.path.join(HERE, "bad_truncated.onnx"), "wb") as f:
    f.write(good[: len(good) // 2])
with open(os.path.join(HERE, "bad_garbage.onnx"), "wb") as f:
    f.write(np.random.default_rng(7).integers(0, 256, 600, dtype=np.uint8).tobytes())
print("fixtures written to", HERE)
