#!/usr/bin/python3
"""zand-style 784-16-10 MLP on MNIST: binarized input, +-1 weights, sigmoidal
hidden neurons (the analog SOT-MRAM neuron, no ADC between the layers).

Graph: Sub(0.5) -> Sign -> Flatten -> Gemm(+-1) -> Mul(gain) -> Add(threshold) -> Sigmoid
       -> Gemm(+-1) -> BN -> logits

The hidden layer has ONE gain for all neurons (the slope of the SOT-MRAM neuron is a
device property, not a per-neuron knob) and a per-neuron threshold (its bias), so the
simulator can map it onto analog neurons without an ADC.
"""
import argparse
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


class ZandMLP(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.fc1 = common.QLinear(784, hidden, wbits=1)
        # Pre-activation ~ N(0, 1) at init: a sum of 784 +-1 products has std ~28.
        self.gain = nn.Parameter(torch.tensor(1.0 / 28.0))
        self.threshold = nn.Parameter(torch.zeros(hidden))
        self.fc2 = common.QLinear(hidden, 10, wbits=1)
        self.bn2 = nn.BatchNorm1d(10)

    def forward(self, x):
        x = torch.flatten(common.binarize_input(x), 1)
        x = torch.sigmoid(self.fc1(x) * self.gain + self.threshold)
        return self.bn2(self.fc2(x))


QUANT = """- input: Sign(x - 0.5), pixels in [0,1] -> +-1 (no pixel equals 0.5 exactly).
- both Gemm layers: weights exactly +-1 (no bias).
- hidden neurons: Sigmoid(g * sum + t[n]) with one learned gain g for all neurons and a
  per-neuron threshold t[n] -- the sigmoidal SOT-MRAM neuron's transfer function
  (fixed slope, programmable threshold); its output in (0,1) drives layer 2 (the
  simulator quantizes it to periphery.input.bits for the drivers).
- layer 2: BN2 (per-class scale + bias) on the sum; logits are its output.
"""


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--shift", type=int, default=2, help="random-translation augmentation, px")
    common.add_schedule_args(ap)
    ap.add_argument("--out", default=os.path.join(common.REPO, "workloads", "models", "zand_mlp_mnist.onnx"))
    args = ap.parse_args(argv)
    common.seed_everything(args.seed)
    xtr, ytr, xte, yte = common.load_mnist()
    data = tuple(torch.from_numpy(a) for a in (xtr, ytr, xte, yte))
    model = ZandMLP(16)
    wall = common.train(model, data, args.epochs, args.lr, args.seed, shift=args.shift,
                        stop_after=args.stop_after, checkpoint=args.checkpoint, resume=args.resume)
    common.freeze_quantized(model)
    common.export_onnx(model, args.out)
    info = common.check_exported(args.out, model, xte, yte)
    print(info)
    cmd = "/usr/bin/python3 scripts/train/train_zand_mlp.py --epochs %d --seed %d --lr %g --shift %d" % (
        args.epochs, args.seed, args.lr, args.shift) + common.schedule_text(args)
    common.write_provenance(args.out[:-5] + ".md",
                            "zand_mlp_mnist.onnx: 784-16-10 MLP, sigmoid neurons, binary weights (zand style)",
                            cmd, common.MNIST_SPLIT, common.epochs_text(args), args.seed, info, QUANT, wall)


if __name__ == "__main__":
    main(sys.argv[1:])
