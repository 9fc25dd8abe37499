#!/usr/bin/python3
"""zand-style 784-16-10 MLP on MNIST: binarized input, +-1 weights, sigmoidal
hidden neurons (the analog SOT-MRAM neuron, no ADC between the layers).

Graph: Sub(0.5) -> Sign -> Flatten -> Gemm(+-1) -> BN -> Sigmoid -> Gemm(+-1) -> BN -> logits
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
        self.bn1 = nn.BatchNorm1d(hidden)
        self.fc2 = common.QLinear(hidden, 10, wbits=1)
        self.bn2 = nn.BatchNorm1d(10)

    def forward(self, x):
        x = torch.flatten(common.binarize_input(x), 1)
        x = torch.sigmoid(self.bn1(self.fc1(x)))
        return self.bn2(self.fc2(x))


QUANT = """- input: Sign(x - 0.5), pixels in [0,1] -> +-1 (no pixel equals 0.5 exactly).
- both Gemm layers: weights exactly +-1 (no bias); per-neuron scale/offset in the
  following BatchNormalization (inference statistics).
- hidden neurons: Sigmoid(BN1(sum)) -- the sigmoidal SOT-MRAM neuron's transfer
  function; its analog output in (0,1) drives layer 2 directly (no ADC, no
  quantization between the layers).
- output: BN2 (per-class scale + bias) on the layer-2 sum; logits are its output."""


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--shift", type=int, default=2, help="random-translation augmentation, px")
    ap.add_argument("--out", default=os.path.join(common.REPO, "workloads", "models", "zand_mlp_mnist.onnx"))
    args = ap.parse_args(argv)
    common.seed_everything(args.seed)
    xtr, ytr, xte, yte = common.load_mnist()
    data = tuple(torch.from_numpy(a) for a in (xtr, ytr, xte, yte))
    model = ZandMLP(16)
    wall = common.train(model, data, args.epochs, args.lr, args.seed, shift=args.shift)
    common.freeze_quantized(model)
    common.export_onnx(model, args.out)
    info = common.check_exported(args.out, model, xte, yte)
    print(info)
    cmd = "/usr/bin/python3 scripts/train/train_zand_mlp.py --epochs %d --seed %d --lr %g --shift %d" % (
        args.epochs, args.seed, args.lr, args.shift)
    common.write_provenance(args.out[:-5] + ".md",
                            "zand_mlp_mnist.onnx: 784-16-10 MLP, sigmoid neurons, binary weights (zand style)",
                            cmd, common.MNIST_SPLIT, args.epochs, args.seed, info, QUANT, wall)


if __name__ == "__main__":
    main(sys.argv[1:])
