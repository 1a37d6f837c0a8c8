"""Writes fishyscapes.json: the Fishyscapes bdl-benchmark's pixel metrics
(bdlb/fishyscapes/benchmark.py, calculate_metrics_perpixAP, transcribed
below with its steps in order) on the SMIYC fixture frames, their float16
scores widened to float32. metrics' Fishyscapes protocol must give these.
Run: /usr/bin/python3 gen_fishyscapes.py (NumPy only)."""
import glob
import json
import numpy as np


def perpix(labels, scores):
    valid = np.logical_or(labels == 1, labels == 0)
    gt = (labels == 1)[valid]
    u = scores[valid].reshape(-1).astype(np.float32, copy=False)
    order = np.argsort(u, kind="mergesort")[::-1]
    u, gt = u[order], gt[order]
    distinct = np.where(np.diff(u))[0]
    idx = np.r_[distinct, gt.size - 1]
    tps = np.cumsum(gt, dtype=np.uint64)[idx]
    fps = 1 + idx - tps
    precision = tps / (tps + fps)
    precision[np.isnan(precision)] = 0
    recall = tps / tps[-1]
    sl = slice(tps.searchsorted(tps[-1]), None, -1)
    precision = np.r_[precision[sl], 1]
    recall = np.r_[recall[sl], 0]
    ap = -np.sum(np.diff(recall) * precision[:-1])
    if tps.size == 0 or fps[0] != 0 or tps[0] != 0:
        tps = np.r_[0.0, tps]
        fps = np.r_[0.0, fps]
    tpr = tps / tps[-1]
    fpr = fps / fps[-1]
    return {"ap": float(ap), "auroc": float(np.trapz(tpr, fpr)), "fpr95": float(fpr[np.searchsorted(tpr, 0.95)])}


ids = sorted(p.split("/")[-1][:3] for p in glob.glob("smiyc/frames/*_score.npy"))
cases = {}
for name, sel in [("all", ids), ("single", ["000"]), ("ties", ["006", "007"])]:
    s = np.concatenate([np.load(f"smiyc/frames/{i}_score.npy").ravel() for i in sel])
    l = np.concatenate([np.load(f"smiyc/frames/{i}_label.npy").ravel() for i in sel])
    cases[name] = dict(frames=sel, **perpix(l, s))
json.dump({"numpy": np.__version__, "cases": cases}, open("fishyscapes.json", "w"), indent=1)
