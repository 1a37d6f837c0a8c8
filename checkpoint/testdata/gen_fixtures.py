#!/usr/bin/env python3
"""Writes the safetensors fixtures of package checkpoint.

Run from this directory:  /usr/bin/python3 gen_fixtures.py

The safetensors format is 8 bytes of little-endian header length N, N bytes of
JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
{str: str}} (offsets relative to the data section), then the data section.
Python's `safetensors` package is not installed here, so the files are
written with struct/json exactly as safetensors.torch.save_file would lay
them out (tensors sorted by dtype alignment then name, header padded with
spaces to a multiple of 8). torch supplies the F16/BF16 encodings.

I64/I32 tensors (torch saves BatchNorm's num_batches_tracked as I64) load
as float32 too.

valid-*.safetensors come with valid-*.json holding the expected float32
values (as uint32 bit patterns, so NaN payloads and -0 are exact).
invalid-*.safetensors must fail to load; the Go test lists the expected error.
"""
import json
import struct

import numpy as np
import torch


def layout(entries, metadata=None, pad=True):
    """entries: list of (name, dtype, shape, raw bytes) in file order."""
    header, data, off = {}, b"", 0
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        data += raw
        off += len(raw)
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def raw_header(h, data=b""):
    h = h.encode() if isinstance(h, str) else h
    return struct.pack("<Q", len(h)) + h + data


def f32(values):
    return np.asarray(values, dtype="<f4")


def bits(a):
    return [int(x) for x in np.asarray(a, dtype="<f4").view("<u4").reshape(-1)]


def write(name, blob):
    with open(name, "wb") as f:
        f.write(blob)


def valid_f32():
    rng = np.random.default_rng(0)
    conv = f32(rng.standard_normal((4, 3, 3, 3)))
    specials = np.array([0x7FC00001, 0xFFC12345, 0x7F800001, 0x80000000, 0x00000001,
                         0x807FFFFF, 0x7F800000, 0xFF800000, 0x3F800000, 0x7F7FFFFF], dtype="<u4").view("<f4")
    scalar = f32([3.5]).reshape(())
    empty = f32([]).reshape(0, 5)
    ent = [("empty", "F32", (0, 5), empty.tobytes()),
           ("encoder.conv1.weight", "F32", conv.shape, conv.tobytes()),
           ("scalar", "F32", (), scalar.tobytes()),
           ("specials", "F32", (10,), specials.tobytes())]
    meta = {"epoch": "7", "format": "pt"}
    write("valid-f32.safetensors", layout(ent, meta))
    want = {"metadata": meta, "tensors": {n: {"shape": list(s), "bits": bits(np.frombuffer(r, dtype="<f4"))}
                                          for n, _, s, r in ent}}
    with open("valid-f32.json", "w") as f:
        json.dump(want, f, indent=1)


def valid_dtypes():
    vals = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6.1035e-05, 5.96e-08, 0.33325195, float("inf"), float("-inf")])
    h = vals.to(torch.float16)
    b = vals.to(torch.bfloat16)
    d = torch.tensor([1.0 / 3.0, -1e300, 1e-50, 2.0 ** -149, 123456789.123], dtype=torch.float64)
    nbt = np.array(1234, dtype="<i8")  # torch's BatchNorm num_batches_tracked
    ints = np.array([-7, 0, 16777216, 2147483647], dtype="<i4")
    ent = [("double", "F64", (5,), d.numpy().astype("<f8").tobytes()),
           ("bn.num_batches_tracked", "I64", (), nbt.tobytes()),
           ("ints", "I32", (4,), ints.tobytes()),
           ("bf16", "BF16", (2, 5), b.view(torch.int16).numpy().astype("<i2").tobytes()),
           ("half", "F16", (10,), h.view(torch.int16).numpy().astype("<i2").tobytes())]
    write("valid-dtypes.safetensors", layout(ent, None))
    want = {"metadata": {}, "tensors": {
        "double": {"shape": [5], "bits": bits(d.to(torch.float32).numpy())},
        "bf16": {"shape": [2, 5], "bits": bits(b.to(torch.float32).numpy())},
        "half": {"shape": [10], "bits": bits(h.to(torch.float32).numpy())},
        "bn.num_batches_tracked": {"shape": [], "bits": bits(nbt.astype("<f4"))},
        "ints": {"shape": [4], "bits": bits(ints.astype("<f4"))},
    }}
    with open("valid-dtypes.json", "w") as f:
        json.dump(want, f, indent=1)


def invalid():
    one = f32([1.0, 2.0]).tobytes()
    good = layout([("w", "F32", (2,), one)], {"k": "v"})
    write("invalid-empty.safetensors", b"")
    write("invalid-short-length.safetensors", b"\x10\x00\x00")
    write("invalid-truncated-header.safetensors", good[:20])
    write("invalid-truncated-data.safetensors", good[:-3])
    write("invalid-trailing-data.safetensors", good + b"\x00\x00\x00\x00")
    write("invalid-huge-header-length.safetensors", struct.pack("<Q", 1 << 62) + b"{}")
    write("invalid-bad-json.safetensors", raw_header('{"w":{"dtype":"F32","shape":[2],', one))
    write("invalid-not-object.safetensors", raw_header('[1,2,3]'))
    write("invalid-offsets-out-of-range.safetensors",
          raw_header('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,800]}}', one))
    write("invalid-overlapping.safetensors",
          raw_header('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                     '"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', one))
    write("invalid-offsets-shape-mismatch.safetensors",
          raw_header('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', one))
    write("invalid-unknown-dtype.safetensors",
          raw_header('{"w":{"dtype":"F8","shape":[8],"data_offsets":[0,8]}}', one))
    write("invalid-bool-dtype.safetensors",
          raw_header('{"w":{"dtype":"BOOL","shape":[8],"data_offsets":[0,8]}}', one))
    write("invalid-negative-shape.safetensors",
          raw_header('{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', one))
    write("invalid-shape-overflow.safetensors",
          raw_header('{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}}', one))
    write("invalid-metadata-not-string.safetensors",
          raw_header('{"__metadata__":{"epoch":7},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', one))


if __name__ == "__main__":
    valid_f32()
    valid_dtypes()
    invalid()
