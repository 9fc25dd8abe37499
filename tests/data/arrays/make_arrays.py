#!/usr/bin/python3
"""Writes the .npy/.csv reader fixtures with numpy itself (the reference writer).
Run: /usr/bin/python3 tests/data/arrays/make_arrays.py"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def p(name):
    return os.path.join(HERE, name)


a = np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5      # [[-0.5,-0.25,0],[0.25,0.5,0.75]]
np.save(p("f4_2x3.npy"), a)
np.save(p("f8_1d.npy"), np.array([1.5, -2.0, 1e-300], dtype=np.float64))
np.save(p("i4_2x2.npy"), np.array([[1, -2], [2147483647, -2147483648]], dtype=np.int32))
np.save(p("i8_1d.npy"), np.array([0, 9, -(2 ** 40)], dtype=np.int64))
np.save(p("u1_2x2x3.npy"), np.arange(12, dtype=np.uint8).reshape(2, 2, 3) * 20)
with open(p("v2_f4.npy"), "wb") as f:
    np.lib.format.write_array(f, a, version=(2, 0))
np.save(p("fortran.npy"), np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
np.save(p("bigendian.npy"), np.arange(3, dtype=">f4"))
np.save(p("bool.npy"), np.array([True, False]))
np.save(p("nan.npy"), np.array([1.0, np.nan], dtype=np.float32))
np.save(p("empty.npy"), np.zeros((0, 3), dtype=np.float32))
raw = open(p("f4_2x3.npy"), "rb").read()
open(p("truncated.npy"), "wb").write(raw[:-5])
open(p("badmagic.npy"), "wb").write(b"NOTNUMPY" + raw[8:])
# Labels for the .npy dataset tests: 4 images [4,1,2,2] and int64 labels.
np.save(p("images_4x1x2x2.npy"), (np.arange(16, dtype=np.float32).reshape(4, 1, 2, 2) / 16))
np.save(p("labels_4.npy"), np.array([3, 0, 2, 1], dtype=np.int64))
np.save(p("labels_bad.npy"), np.array([3, -1, 2, 1], dtype=np.int64))

open(p("good.csv"), "w").write("# comment\n1, 2.5,-3\n\n4e2,5,6\r\n")
open(p("column.csv"), "w").write("1\n2\n3\n")
open(p("ragged.csv"), "w").write("1,2,3\n4,5\n")
open(p("nonnumeric.csv"), "w").write("1,2,3\n4,abc,6\n")
open(p("nan.csv"), "w").write("1,nan\n")
open(p("empty.csv"), "w").write("\n# nothing\n")
open(p("emptycell.csv"), "w").write("1,,3\n")
print("arrays written to", HERE)
