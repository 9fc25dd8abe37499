#!/usr/bin/python3
"""784-256-10 binary MLP on MNIST (carletti style): binarized input, +-1 weights,
Sign activations, BatchNorm carrying the per-neuron scale/threshold.

Graph: Sub(0.5) -> Sign -> Flatten -> Gemm(+-1) -> BN -> Sign -> Gemm(+-1) -> BN -> logits
"""
import argparse
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


class BinaryMLP(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.fc1 = common.QLinear(784, hidden, wbits=1)
        self.bn1 = nn.BatchNorm1d(hidden)
        self.fc2 = common.QLinear(hidden, 10, wbits=1)
        self.bn2 = nn.BatchNorm1d(10)

    def forward(self, x):
        x = torch.flatten(common.binarize_input(x), 1)
        x = common.binary_act(self.bn1(self.fc1(x)))
        return self.bn2(self.fc2(x))


QUANT = """- input: Sign(x - 0.5), pixels in [0,1] -> +-1 (no pixel equals 0.5 exactly).
- both Gemm layers: weights exactly +-1 (no bias); the per-neuron scale and offset
  live in the BatchNormalization that follows (inference statistics).
- hidden activation: Sign after BN1, i.e. a per-neuron threshold on the +-1 popcount
  (BN1 + Sign folds into a comparator threshold; Sign(0)=0 would need an exact tie
  of the BN output, not observed).
- output: BN2 (per-class scale + bias) on the integer sum; logits are its output."""


def run(name, hidden, default_epochs, lr, argv, title, extra=""):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=default_epochs)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--shift", type=int, default=2, help="random-translation augmentation, px")
    ap.add_argument("--bn-recal", type=int, default=1, help="1: recompute BN statistics after training")
    common.add_schedule_args(ap)
    ap.add_argument("--out", default=os.path.join(common.REPO, "workloads", "models", name + ".onnx"))
    args = ap.parse_args(argv)
    common.seed_everything(args.seed)
    xtr, ytr, xte, yte = common.load_mnist()
    data = tuple(torch.from_numpy(a) for a in (xtr, ytr, xte, yte))
    model = BinaryMLP(hidden)
    wall = common.train(model, data, args.epochs, args.lr, args.seed, shift=args.shift,
                        recalibrate=bool(args.bn_recal), stop_after=args.stop_after,
                        checkpoint=args.checkpoint, resume=args.resume)
    common.freeze_quantized(model)
    common.export_onnx(model, args.out)
    info = common.check_exported(args.out, model, xte, yte)
    print(info)
    cmd = "/usr/bin/python3 scripts/train/%s --epochs %d --seed %d --lr %g --shift %d --bn-recal %d" % (
        os.path.basename(sys.argv[0]), args.epochs, args.seed, args.lr, args.shift, args.bn_recal) + common.schedule_text(args)
    common.write_provenance(args.out[:-5] + ".md", title, cmd, common.MNIST_SPLIT,
                            common.epochs_text(args), args.seed, info, QUANT, wall, extra)


if __name__ == "__main__":
    run("mlp_bnn_mnist", 256, 20, 1e-2, sys.argv[1:],
        "mlp_bnn_mnist.onnx: 784-256-10 binary MLP (carletti style)")
