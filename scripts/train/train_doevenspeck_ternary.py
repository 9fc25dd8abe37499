#!/usr/bin/python3
"""doevenspeck-style ternary MLP on MNIST: +-1 inputs, ternary weights {-a, 0, +a}
(one scale a per layer) for differential SOT-MRAM pairs, Sign hidden activations,
trained with weight noise.

doevenspeck et al. (VLSI 2020) map ternary weights onto differential pairs of
high-resistance SOT-MRAM cells (design point R_on 6 MOhm, TMR 150 %) and train the
networks with weight noise so they tolerate device variation. Their networks are
CNNs; this 784-128-10 MLP is our small stand-in (a few CPU-minutes of training):
its first layer spans several 256-row blocks, the case analog accumulation across
row blocks serves (configs/doevenspeck_sot.yaml).

Ternary quantizer (TWN, Li & Liu 2016): threshold 0.7 mean|w|, scale a = mean |w|
over the weights above it; straight-through gradient. Weight noise: while training,
every ternary weight gets additive Gaussian noise of sigma `--weight-noise` x a
(both cells of a pair vary, so a 0 weight is noisy too).

Graph: Sub(0.5) -> Sign -> Flatten -> Gemm(ternary) -> BN -> Sign -> Gemm(ternary) -> BN -> logits
"""
import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def ternarize(w):
    """(codes in {-1,0,1}, scale a) of the TWN quantizer."""
    delta = 0.7 * w.abs().mean()
    q = torch.where(w > delta, torch.ones_like(w), torch.where(w < -delta, -torch.ones_like(w), torch.zeros_like(w)))
    nz = q != 0
    a = w.abs()[nz].mean() if bool(nz.any()) else w.abs().mean().clamp(min=1e-8)
    return q, a


class TernaryLinear(nn.Linear):
    def __init__(self, fin, fout, noise):
        super().__init__(fin, fout, bias=False)
        self.noise = noise
        self.frozen = False
        # a zero bias makes F.linear export as Gemm (transB=1), the form the importer expects
        self.register_buffer("zero_bias", torch.zeros(fout))

    def qweight(self):
        if self.frozen:
            return self.weight
        q, a = ternarize(self.weight.detach())
        wq = self.weight + (q * a - self.weight).detach()  # STE
        if self.training and self.noise > 0:
            wq = wq + self.noise * a * torch.randn_like(wq)
        return wq

    def forward(self, x):
        return F.linear(x, self.qweight(), self.zero_bias)

    def freeze(self):
        with torch.no_grad():
            q, a = ternarize(self.weight)
            self.weight.copy_(q * a)
        self.frozen = True


class TernaryMLP(nn.Module):
    def __init__(self, hidden, noise):
        super().__init__()
        self.fc1 = TernaryLinear(784, hidden, noise)
        self.bn1 = nn.BatchNorm1d(hidden)
        self.fc2 = TernaryLinear(hidden, 10, noise)
        self.bn2 = nn.BatchNorm1d(10)

    def forward(self, x):
        x = torch.flatten(common.binarize_input(x), 1)
        x = common.binary_act(self.bn1(self.fc1(x)))
        return self.bn2(self.fc2(x))


QUANT = """- input: Sign(x - 0.5), pixels in [0,1] -> +-1 (no pixel equals 0.5 exactly).
- both Gemm layers: ternary weights a * {-1, 0, +1} with one scale a per layer (TWN
  quantizer: threshold 0.7 mean|w|), no bias; the compiler reads them as 2-bit signed
  codes (|q| <= 1), one differential pair per weight. Trained with additive weight noise
  of sigma `--weight-noise` x a (doevenspeck: noise-resilient training).
- hidden activation: Sign after BN1 (a per-neuron comparator threshold).
- output: BN2 (per-class scale + bias) on the integer sum; logits are its output."""

EXTRA = """
## Reference

doevenspeck et al., VLSI 2020 (imec): ternary weights on differential pairs of SOT-MRAM
cells at R_on 6 MOhm / TMR 150 %, networks trained with weight noise. Their networks are
CNNs (accuracy figures not in /work/shared/REFERENCE.md); this MLP is a small stand-in
chosen so training stays a few CPU-minutes, not their network.
"""


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--weight-noise", type=float, default=0.1, help="sigma of the training weight noise, x a")
    ap.add_argument("--shift", type=int, default=0, help="random-translation augmentation, px")
    common.add_schedule_args(ap)
    ap.add_argument("--out", default=os.path.join(common.REPO, "workloads", "models", "doevenspeck_ternary_mnist.onnx"))
    args = ap.parse_args(argv)
    common.seed_everything(args.seed)
    xtr, ytr, xte, yte = common.load_mnist()
    data = tuple(torch.from_numpy(a) for a in (xtr, ytr, xte, yte))
    model = TernaryMLP(args.hidden, args.weight_noise)
    wall = common.train(model, data, args.epochs, args.lr, args.seed, shift=args.shift,
                        stop_after=args.stop_after, checkpoint=args.checkpoint, resume=args.resume)
    for m in (model.fc1, model.fc2):
        m.freeze()
    model.eval()
    common.export_onnx(model, args.out)
    info = common.check_exported(args.out, model, xte, yte)
    print(info)
    cmd = ("/usr/bin/python3 scripts/train/train_doevenspeck_ternary.py --epochs %d --seed %d --lr %g "
           "--hidden %d --weight-noise %g --shift %d") % (
        args.epochs, args.seed, args.lr, args.hidden, args.weight_noise, args.shift) + common.schedule_text(args)
    common.write_provenance(args.out[:-5] + ".md",
                            "doevenspeck_ternary_mnist.onnx: 784-%d-10 MLP, ternary weights (doevenspeck style)" % args.hidden,
                            cmd, common.MNIST_SPLIT, common.epochs_text(args), args.seed, info, QUANT, wall, EXTRA)


if __name__ == "__main__":
    main(sys.argv[1:])
