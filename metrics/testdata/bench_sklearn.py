#!/usr/bin/python3
"""Time scikit-learn on the pixel metrics, for comparison with nflowjs.

  /usr/bin/python3 bench_sklearn.py gen DIR N      # writes DIR/scores.npy, DIR/labels.npy
  /usr/bin/time -v /usr/bin/python3 bench_sklearn.py run DIR
  /usr/bin/time -v nflowjs metrics --scores DIR/scores.npy --labels DIR/labels.npy

N pixels: float32 scores ~ N(0,1) + 1.5 on anomalies, 5% anomalies, 2% void
(255), seed 0. "run" prints the same JSON as `nflowjs metrics` and the
seconds spent in the metric calls (after loading).
"""
import json
import sys
import time

import numpy as np


def gen(d, n):
    rng = np.random.default_rng(0)
    labels = (rng.random(n, dtype=np.float32) < 0.05).astype(np.uint8)
    scores = rng.standard_normal(n, dtype=np.float32)
    scores += np.float32(1.5) * labels
    labels[rng.random(n, dtype=np.float32) < 0.02] = 255
    np.save(f"{d}/scores.npy", scores)
    np.save(f"{d}/labels.npy", labels)


def run(d):
    from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve
    scores = np.load(f"{d}/scores.npy")
    labels = np.load(f"{d}/labels.npy")
    t0 = time.perf_counter()
    keep = labels != 255
    s, y = scores[keep], labels[keep]
    ap = average_precision_score(y, s)
    auroc = roc_auc_score(y, s)
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    fpr95 = fpr[np.searchsorted(tpr, 0.95)]
    dt = time.perf_counter() - t0
    print(json.dumps({"ap": ap, "auroc": auroc, "fpr95": float(fpr95), "pixels": int(y.size),
                      "positives": int(y.sum()), "seconds": dt}))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(float(sys.argv[3])))
    else:
        run(sys.argv[2])
