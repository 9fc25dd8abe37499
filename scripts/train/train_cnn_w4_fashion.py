#!/usr/bin/python3
"""Small CNN on Fashion-MNIST with 4-bit weights and 4-bit unsigned activations
(for the myung multi-bit preset).

  Clip/Mul(15)/Round/Div(15)                                   (4-bit input)
  Conv(1->c, w4) -> BN -> Q4 -> MaxPool 2x2                    28x28 -> 14x14
  Conv(c->2c, w4) -> BN -> Q4 -> MaxPool 2x2                   14x14 -> 7x7
  Flatten -> Gemm(2c*49 -> fc, w4) -> BN -> Q4 -> Gemm(fc -> 10, w4) -> BN -> logits
Q4 = Clip(0,1) -> Mul(15) -> Round -> Div(15): a 4-bit unsigned activation on the
grid {0, 1/15, ..., 1} (the Clip doubles as a bounded ReLU).
"""
import argparse
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

BITS = 4


class CnnW4(nn.Module):
    def __init__(self, c=16, fc=64):
        super().__init__()
        self.conv1 = common.QConv2d(1, c, 3, 1, wbits=BITS)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = common.QConv2d(c, 2 * c, 3, 1, wbits=BITS)
        self.bn2 = nn.BatchNorm2d(2 * c)
        self.fc1 = common.QLinear(2 * c * 49, fc, wbits=BITS)
        self.bn3 = nn.BatchNorm1d(fc)
        self.fc2 = common.QLinear(fc, 10, wbits=BITS)
        self.bn4 = nn.BatchNorm1d(10)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        q = lambda t: common.act_quant(t, BITS)  # noqa: E731
        x = q(x)
        x = self.pool(q(self.bn1(self.conv1(x))))
        x = self.pool(q(self.bn2(self.conv2(x))))
        x = q(self.bn3(self.fc1(torch.flatten(x, 1))))
        return self.bn4(self.fc2(x))


QUANT = """- input: 4-bit unsigned, Clip(0,1) -> Mul(15) -> Round -> Div(15) on the pixels.
- weights of every Conv (3x3, stride 1, pad 1, no bias) and Gemm: w = s * q with q an
  integer in [-7, 7] and ONE scale s per layer, s = max|w_latent| / 7 (scales below);
  recover q exactly as round(w / s). The Gemm C input is exactly 0.
- hidden activations: BN -> Clip(0,1) -> Mul(15) -> Round -> Div(15), i.e. 4-bit
  unsigned on {0, 1/15, ..., 1}; MaxPool follows the quantizer (pools grid values).
- Round is round-half-to-even (ONNX Round = torch.round = numpy.round).
- zero padding is 0, which is on the activation grid.
- output: BN (per-class scale + bias) after the last Gemm; logits are its output."""


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--out", default=os.path.join(common.REPO, "workloads", "models", "cnn_w4_fashion.onnx"))
    args = ap.parse_args(argv)
    common.seed_everything(args.seed)
    xtr, ytr, xte, yte = common.load_fashion_mnist()
    data = tuple(torch.from_numpy(a) for a in (xtr, ytr, xte, yte))
    model = CnnW4(args.width)
    wall = common.train(model, data, args.epochs, args.lr, args.seed)
    common.freeze_quantized(model)
    common.export_onnx(model, args.out)
    info = common.check_exported(args.out, model, xte, yte)
    print(info)
    cmd = "/usr/bin/python3 scripts/train/train_cnn_w4_fashion.py --epochs %d --seed %d --lr %g --width %d" % (
        args.epochs, args.seed, args.lr, args.width)
    scales = "\n".join("| %s | %.9g |" % (n, m.scale) for n, m in model.named_modules()
                       if isinstance(m, common.QuantMixin))
    extra = "\n## Per-layer weight scales s (w = s * q, q in [-7, 7])\n\n| layer | s |\n|---|---|\n" + scales + "\n"
    common.write_provenance(args.out[:-5] + ".md",
                            "cnn_w4_fashion.onnx: 4-bit-weight / 4-bit-activation CNN on Fashion-MNIST (myung multi-bit)",
                            cmd, common.FASHION_SPLIT, args.epochs, args.seed, info, QUANT, wall, extra,
                            dataset="fashion-mnist")


if __name__ == "__main__":
    main(sys.argv[1:])
