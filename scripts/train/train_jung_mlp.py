#!/usr/bin/python3
"""jung-style 2-layer binary perceptron on MNIST: +-1 inputs, +-1 weights,
784-128-10, Sign hidden activations (BN threshold), BN output scale.

jung et al. (Nature 2022) report 95.24 % software / 93.23 % on-chip for their
2-layer binary perceptron; the hidden size is not taken from the paper: 128 is
our choice (two 64-row array blocks deep for the second layer).
Graph: Sub(0.5) -> Sign -> Flatten -> Gemm(+-1) -> BN -> Sign -> Gemm(+-1) -> BN -> logits
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_mlp_bnn import run  # noqa: E402

EXTRA = """
## Reference

jung et al., Nature 601 (2022): 2-layer binary perceptron, software 95.24 %, measured
93.23 % on 10,000 MNIST test digits. Hidden size 128 is our choice (not published in
REFERENCE.md). Ours is trained on the 60,000 standard training digits and tested on the
same 10,000-digit standard test set.
"""

if __name__ == "__main__":
    run("jung_mlp_mnist", 128, 12, 1e-2, sys.argv[1:],
        "jung_mlp_mnist.onnx: 784-128-10 binary perceptron (jung style)", EXTRA)
