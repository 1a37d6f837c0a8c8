"""Writes npargsort.json: float64 arrays with many ties and NumPy's
np.argsort of each (default kind, NumPy 1.24 as Debian bookworm ships it),
for metrics' port of NumPy's introsort. Run: /usr/bin/python3 gen_npargsort.py"""
import json
import numpy as np

rng = np.random.default_rng(7)
cases = []
for n, k in [(1, 1), (2, 1), (15, 3), (16, 3), (17, 2), (100, 5), (1000, 7), (3000, 40), (5000, 1), (4000, 4000)]:
    v = rng.integers(0, k, n).astype(np.float64) / 8
    cases.append({"values": v.tolist(), "argsort": np.argsort(v).tolist()})
json.dump({"numpy": np.__version__, "cases": cases}, open("npargsort.json", "w"))
