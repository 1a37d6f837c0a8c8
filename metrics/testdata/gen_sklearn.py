#!/usr/bin/python3
"""Generate the reference fixtures of the metrics package with scikit-learn.

Run from this directory with Debian's python3 (python3-sklearn, python3-numpy,
python3-scipy):  /usr/bin/python3 gen_sklearn.py

Writes <case>_scores.npy (float32), <case>_labels.npy (uint8, 1 = anomaly,
0 = inlier, 255 = void) and expected.json with the values computed here:
  ap     sklearn.metrics.average_precision_score
  auroc  sklearn.metrics.roc_auc_score
  fpr95  fpr[np.searchsorted(tpr, 0.95)] on roc_curve(drop_intermediate=False),
         the SMIYC / Fishyscapes definition
and, for small cases, the curve of sklearn's _binary_clf_curve.
Segmentation fixtures: confusion matrix and per-class IoU (jaccard_score).
"""
import json

import numpy as np
from sklearn.metrics import (average_precision_score, confusion_matrix,
                             jaccard_score, roc_auc_score, roc_curve)
from sklearn.metrics._ranking import _binary_clf_curve

rng = np.random.default_rng(20240212)
IGNORE = 255


def case_ties():
    n = 3000
    y = (rng.random(n) < 0.2).astype(np.uint8)
    s = np.round(rng.standard_normal(n) + 1.2 * y, 1).astype(np.float32)
    y[rng.random(n) < 0.05] = IGNORE
    return s, y


def case_continuous():
    n = 5000
    y = (rng.random(n) < 0.1).astype(np.uint8)
    s = (rng.standard_normal(n) + 2.0 * y).astype(np.float32)
    s[:7] = np.float32(-0.0)
    s[7:14] = np.float32(0.0)
    return s, y


def case_allequal():
    n = 500
    y = (rng.random(n) < 0.3).astype(np.uint8)
    return np.full(n, 0.25, np.float32), y


def case_single_positive():
    n = 1000
    y = np.zeros(n, np.uint8)
    y[123] = 1
    s = rng.random(n).astype(np.float32)
    return s, y


def case_wide():
    n = 4000
    y = (rng.random(n) < 0.4).astype(np.uint8)
    mag = np.exp(rng.standard_normal(n) * 12.0)
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    s = (sign * mag + 3.0 * y * mag).astype(np.float32)
    return s, y


def case_narrow():
    # 30000 scores inside one 2^16-key bucket with many ties: exercises the
    # counting sort of large buckets.
    n = 30000
    y = (rng.random(n) < 0.3).astype(np.uint8)
    steps = rng.integers(0, 40, n) + 15 * y
    s = (np.float32(1.0) + steps.astype(np.float32) * np.float32(2.0 ** -23))
    s = s.astype(np.float32)
    y[rng.random(n) < 0.02] = IGNORE
    return s, y


def binary_expected(s, y, with_curve):
    keep = y != IGNORE
    s, y = s[keep].astype(np.float64), y[keep].astype(np.int64)
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    i = int(np.searchsorted(tpr, 0.95))
    out = {
        "ap": float(average_precision_score(y, s)),
        "auroc": float(roc_auc_score(y, s)),
        "fpr95": float(fpr[i]),
        "threshold95": float(thr[i]),
        "pixels": int(y.size),
        "positives": int(y.sum()),
    }
    if with_curve:
        fps, tps, th = _binary_clf_curve(y, s)
        out["curve"] = {"thresholds": th.tolist(), "tp": tps.astype(int).tolist(),
                        "fp": fps.astype(int).tolist()}
    return out


def seg_case():
    k = 5
    n = 4000
    gt = rng.integers(0, k + 1, n).astype(np.uint8)  # k = anomaly class
    pred = gt.copy()
    flip = rng.random(n) < 0.3
    pred[flip] = rng.integers(0, k + 1, flip.sum())
    gt[rng.random(n) < 0.05] = IGNORE
    keep = gt != IGNORE
    labels = list(range(k + 1))
    cm = confusion_matrix(gt[keep], pred[keep], labels=labels)
    iou = jaccard_score(gt[keep], pred[keep], labels=labels, average=None, zero_division=0)
    # open-mIoU (DenseHybrid / NFlowJS section 4.2): the anomaly class k is
    # predicted and labelled, but anomaly pixels predicted as anomaly are not
    # counted; IoU_c = TP_c / (TP_c + FP_c + FN_c) over inlier classes c < k.
    open_iou = []
    for c in range(k):
        tp = cm[c, c]
        fp = cm[:, c].sum() - tp  # anything predicted c that is not c (incl. anomalies)
        fn = cm[c, :].sum() - tp  # c predicted as another class or as anomaly
        open_iou.append(tp / (tp + fp + fn))
    return gt, pred, {"classes": k + 1, "confusion": cm.tolist(), "iou": iou.tolist(),
                      "miou": float(iou.mean()),
                      "miou_inliers": float(iou[:k].mean()),
                      "open_iou": [float(v) for v in open_iou],
                      "open_miou": float(np.mean(open_iou))}


def components_case():
    """SMIYC component metrics, written from the benchmark's definitions
    (road-anomaly-benchmark MetricSegment) with scipy.ndimage.label."""
    from scipy.ndimage import label, uniform_filter
    n, h, w = 3, 48, 64
    min_pred, min_gt, thr = 15, 10, 0.5
    labels = np.zeros((n, h, w), np.uint8)
    for i in range(n):
        for _ in range(4):
            y, x = rng.integers(0, h - 4), rng.integers(0, w - 4)
            dy, dx = rng.integers(2, 14), rng.integers(2, 14)
            labels[i, y:y + dy, x:x + dx] = 1
        labels[i, rng.random((h, w)) < 0.01] = 1  # specks: tiny GT components
        labels[i, :, :3] = IGNORE
    noise = uniform_filter(rng.standard_normal((n, h, w)), size=(1, 5, 5))
    scores = (0.7 * labels.clip(0, 1) + 0.2 + 1.5 * noise).astype(np.float32)
    struct = np.ones((3, 3), int)
    siou, ppv, sioup = [], [], []
    for i in range(n):
        lab = labels[i].copy()
        gt = (lab == 1)
        pred = (scores[i] > thr) & (lab != IGNORE)
        gi, ng = label(gt, struct)
        pi, npred = label(pred, struct)
        for c in range(1, npred + 1):
            if (pi == c).sum() < min_pred:
                pi[pi == c] = 0
        for c in range(1, ng + 1):
            if (gi == c).sum() < min_gt:
                lab[gi == c] = IGNORE
        roi = lab != IGNORE
        g, p = gi[roi], pi[roi]
        for c in np.unique(g[g > 0]):
            s_ = np.unique(p[(g == c) & (p > 0)])
            inter = np.sum((g == c) & np.isin(p, s_))
            adj = np.sum(~np.isin(g, [0, c]) & np.isin(p, s_))
            union = np.sum(np.isin(p, s_)) + np.sum(g == c) - inter - adj
            siou.append(inter / union)
        for c in np.unique(p[p > 0]):
            s_ = np.unique(g[(p == c) & (g > 0)])
            inter = np.sum((p == c) & np.isin(g, s_))
            adj = np.sum(~np.isin(p, [0, c]) & np.isin(g, s_))
            union = np.sum(np.isin(g, s_)) + np.sum(p == c) - inter - adj
            sioup.append(inter / union)
            ppv.append(np.sum((p == c) & (g > 0)) / np.sum(p == c))
    ths = np.linspace(0.25, 0.75, 11, endpoint=True)
    siou, ppv, sioup = map(np.array, (siou, ppv, sioup))

    def f1s(fp_score):
        out = []
        for t in ths:
            tp = np.count_nonzero(siou >= t)
            fn = np.count_nonzero(siou < t)
            fp = np.count_nonzero(fp_score < t)
            out.append(2 * tp / (2 * tp + fn + fp))
        return out
    f1_ppv, f1_sioup = f1s(ppv), f1s(sioup)
    return scores, labels, {
        "shape": [n, h, w], "min_pred": min_pred, "min_gt": min_gt, "threshold": thr,
        "siou": siou.tolist(), "ppv": ppv.tolist(), "siou_pred": sioup.tolist(),
        "f1_ppv": f1_ppv, "mean_f1_ppv": float(np.mean(f1_ppv)),
        "f1_siou_pred": f1_sioup, "mean_f1_siou_pred": float(np.mean(f1_sioup)),
        "thresholds": ths.tolist()}


def main():
    cases = {
        "ties": (case_ties, True),
        "continuous": (case_continuous, False),
        "allequal": (case_allequal, True),
        "single_positive": (case_single_positive, False),
        "wide": (case_wide, False),
        "narrow": (case_narrow, False),
    }
    expected = {}
    for name, (fn, with_curve) in cases.items():
        s, y = fn()
        np.save(f"{name}_scores.npy", s)
        np.save(f"{name}_labels.npy", y)
        expected[name] = binary_expected(s, y, with_curve)
    gt, pred, seg = seg_case()
    np.save("seg_gt.npy", gt)
    np.save("seg_pred.npy", pred)
    expected["segmentation"] = seg
    cs, cl, comp = components_case()
    np.save("comp_scores.npy", cs)
    np.save("comp_labels.npy", cl)
    expected["components"] = comp
    with open("expected.json", "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
