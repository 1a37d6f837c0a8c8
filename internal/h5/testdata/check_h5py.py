"""Checks golden.hdf5 (written by package h5) with the reference reader:
h5py must open it, find one float16 dataset "value" of shape (3, 4) whose
values equal NumPy's float16 rounding of the Go test's goldenData.
Run: /usr/bin/python3 check_h5py.py (Debian: python3-h5py)."""
import h5py
import numpy as np

want = np.array([0, 0.25, 0.5, 1, 0.1, 0.3333, 0.999, 1e-5, 0.75, 0.125, 0.6, 0.01],
                np.float32).astype(np.float16).reshape(3, 4)
with h5py.File("golden.hdf5", "r") as f:
    assert list(f.keys()) == ["value"], list(f.keys())
    v = f["value"]
    assert v.dtype == np.float16 and v.shape == (3, 4), (v.dtype, v.shape)
    got = v[()]
    assert np.array_equal(got.view(np.uint16), want.view(np.uint16)), (got, want)
print("ok: h5py", h5py.__version__, "HDF5", h5py.version.hdf5_version)
