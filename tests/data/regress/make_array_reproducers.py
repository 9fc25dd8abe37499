#!/usr/bin/python3
"""Writes the .npy and IDX reproducers of tests/data/regress/npy and .../idx (plain python3, no numpy needed:
the point is headers numpy itself would never write). Rerun from anywhere:
    python3 tests/data/regress/make_array_reproducers.py
Each file is also a seed of the array fuzz target (tests/fuzz).
"""
import gzip
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "npy")


def npy(name, header, payload=b""):
    h = header.encode("latin1")
    pad = (64 - (10 + len(h) + 1) % 64) % 64
    h = h + b" " * pad + b"\n"
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + payload)


# Item 6: 7 * 2635249153387078803 = 2^64 + 5 wrapped to 5 elements, and 5 floats follow.
npy("shape_wraps.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 7, 2635249153387078803), }",
    struct.pack("<5f", 1, 2, 3, 4, 5))
# Wraps to 2^62 elements: the reader tried to allocate them ("vector::_M_default_append").
npy("shape_wraps_huge.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 8), }")
# Garbage after a dimension was accepted ("2Lxyz" read as 2).
npy("shape_garbage.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2Lxyz,3), }",
    struct.pack("<6f", *range(6)))
# A dimension beyond 64 bits.
npy("shape_dim_beyond_64bit.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }")
# Supported element types numpy writes (read exactly): float16, int16, uint16, big-endian int32.
npy("f2_3.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", struct.pack("<3e", 1.5, -2.0, 65504.0))
npy("i2_2.npy", "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", struct.pack("<2h", -32768, 123))
npy("u2_2.npy", "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", struct.pack("<2H", 65535, 7))
npy("be_i4_2.npy", "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", struct.pack(">2i", -5, 70000))
# Unsupported: complex.
npy("complex.npy", "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", b"\0" * 8)


IDX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "idx")
os.makedirs(IDX, exist_ok=True)


def idx(name, dims, payload=b"", gz=False):
    data = b"\0\0\x08" + bytes([len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload
    with open(os.path.join(IDX, name), "wb") as f:
        # mtime=0: the same bytes on every run.
        f.write(gzip.compress(data, mtime=0) if gz else data)


# Item 6 / (c): rank 4, 65536^4 = 2^64 wrapped to 0 bytes and no data: was accepted as empty.
idx("dims_wrap_to_zero.idx", [65536] * 4)
# (2^32-1)^2 x 48 x 2863311531 = 16 (mod 2^64): wrapped to 16 bytes, and 16 bytes follow.
idx("dims_wrap_small.idx", [0xFFFFFFFF, 0xFFFFFFFF, 48, 2863311531], b"\x01" * 16)
# A gzip bomb: header says 4 bytes, the stream inflates to 64 MiB of zeros (about 64 KB
# compressed); the reader stops right after the declared size.
idx("bomb.idx.gz", [4], b"\0" * (64 << 20), gz=True)
