"""Writes the .pt fixtures of package pth with Debian's python3-torch
(1.13) and expected.json, what reading them must give. Never run by
`go test`. Run: /usr/bin/python3 gen.py

- small.pt: a state dict in torch.save's zip format: float32, float16,
  bfloat16, float64 and int64 tensors, a 0-d tensor, a non-contiguous
  view, two views sharing one storage at offsets, an nn.Parameter.
- small_legacy.pt: the same in the pre-1.6 format (_use_new_zipfile_serialization=False).
- wrapped.pt: a training checkpoint {"state_dict": {"module.<k>": ...},
  "epoch": 3, "best_miou": 0.5, "arch": "net", "flags": [1, 2]} as
  DataParallel and NVIDIA's semantic-segmentation repository save them.
- evil.pt, evil_legacy.pt: pickles whose loading would call os.system;
  they must be refused without running anything.
"""
import collections
import io
import json
import os
import pickle
import zipfile

import torch

torch.manual_seed(0)
x = torch.arange(10, dtype=torch.float32)
sd = collections.OrderedDict()
sd["conv.weight"] = torch.randn(2, 3, 3, 3)
sd["conv.bias"] = torch.randn(2)
sd["bn.running_mean"] = torch.randn(4)
sd["bn.num_batches_tracked"] = torch.tensor(7)
sd["half"] = torch.randn(3).half()
sd["bf16"] = torch.randn(2).bfloat16()
sd["double"] = torch.randn(2, 2).double()
sd["noncontig"] = torch.arange(6, dtype=torch.float32).reshape(2, 3).t()
sd["view_a"] = x[2:5]
sd["view_b"] = x[5:].view(5, 1)
sd["param"] = torch.nn.Parameter(torch.randn(3))

torch.save(sd, "small.pt")
torch.save(sd, "small_legacy.pt", _use_new_zipfile_serialization=False)
wrapped = {"state_dict": collections.OrderedDict(("module." + k, v) for k, v in list(sd.items())[:3]),
           "epoch": 3, "best_miou": 0.5, "arch": "net", "flags": [1, 2], "none": None}
torch.save(wrapped, "wrapped.pt")


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/nflowjs-pwned",))


raw = pickle.dumps(collections.OrderedDict(a=Evil()), protocol=2)
with zipfile.ZipFile("evil.pt", "w") as z:
    z.writestr("evil/data.pkl", raw)
    z.writestr("evil/version", "3\n")
with open("evil_legacy.pt", "wb") as f:
    f.write(raw)


def expect(d):
    return {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", ""),
                "values": v.detach().double().flatten().tolist()} for k, v in d.items()}


json.dump({"torch": torch.__version__, "small": expect(sd),
           "wrapped": expect(wrapped["state_dict"])}, open("expected.json", "w"), indent=1)
