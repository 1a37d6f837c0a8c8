# Writes the NumPy fixtures of npy_test.go (Debian: python3-numpy).
#   /usr/bin/python3 npy/testdata/gen_testdata.py   (from the repository root)
import os
import numpy as np

d = os.path.dirname(os.path.abspath(__file__))
np.save(os.path.join(d, "f32_2x3.npy"), np.arange(6, dtype="<f4").reshape(2, 3) / 4 - 0.5)
np.save(os.path.join(d, "u8_4.npy"), np.array([0, 1, 255, 7], dtype="u1"))
np.save(os.path.join(d, "f32_scalar.npy"), np.array(3.5, dtype="<f4"))
