"""Reference values of the feature-space scores (ood/mahalanobis.go, vim.go,
knn.go), computed as the authors' code computes them, with NumPy/SciPy only:

- Mahalanobis (Lee et al. 2018, deep_Mahalanobis_detector lib_generation
  sample_estimator): class means, sklearn EmpiricalCovariance of the
  class-centred features -> precision_ = scipy.linalg.pinvh(covariance_);
  score = min_k (f-mu_k)^T P (f-mu_k).  (sklearn is not needed: the ML
  covariance and pinvh are written out.)
- ViM (haoqiwang/vim benchmark.py): u = -pinv(W) b; EmpiricalCovariance
  (assume_centered=True) of f - u; NS = eigenvectors of all but the DIM
  largest eigenvalues; alpha = mean max logit / mean ||(f-u) NS||;
  OOD score = alpha ||(f-u) NS|| - logsumexp(logits).
- kNN (deeplearning-wisc/knn-ood): x/(||x||+1e-10); faiss IndexFlatL2 squared
  distance to the k-th neighbour (written out with numpy).

Run: python3 ood/testdata/gen_feature_scores.py > ood/testdata/feature_scores.json
"""
import json

import numpy as np
import scipy.linalg

rng = np.random.default_rng(7)
D, K, N, M = 6, 3, 240, 9
cls = rng.integers(0, K, N)
centres = rng.normal(0, 2, (K, D))
mix = rng.normal(0, 1, (D, D))
feats = centres[cls] + rng.normal(0, 1, (N, D)) @ mix * 0.5
feats[:, 5] = 0.0  # a dead channel: the covariance is singular
feats = feats.astype(np.float32)
test = (rng.normal(0, 3, (M, D))).astype(np.float32)
test[:, 5] = 0.0
test[0] = feats[3]
W = rng.normal(0, 1, (K, D)).astype(np.float32)
b = rng.normal(0, 1, K).astype(np.float32)

f64, t64 = feats.astype(np.float64), test.astype(np.float64)

# Mahalanobis
mu = np.stack([f64[cls == k].mean(0) for k in range(K)])
xc = f64 - mu[cls]
cov = xc.T @ xc / N  # EmpiricalCovariance(assume_centered=False): mean of xc is 0
prec = scipy.linalg.pinvh(cov)
maha = np.min(np.stack([np.einsum("md,de,me->m", t64 - mu[k], prec, t64 - mu[k]) for k in range(K)]), 0)

# ViM
Wd, bd = W.astype(np.float64), b.astype(np.float64)
u = -np.linalg.pinv(Wd) @ bd
DIM = D // 2
ec = (f64 - u).T @ (f64 - u) / N
vals, vecs = np.linalg.eigh(ec)
NS = vecs.T[np.argsort(vals * -1)[DIM:]].T
logit_train = f64 @ Wd.T + bd
alpha = logit_train.max(-1).mean() / np.linalg.norm((f64 - u) @ NS, axis=-1).mean()
logit_test = t64 @ Wd.T + bd
vlogit = np.linalg.norm((t64 - u) @ NS, axis=-1) * alpha
energy = scipy.special.logsumexp(logit_test, axis=-1)
vim = vlogit - energy

# kNN, k = 5, bank = the first 100 sampled pixels
def normalise(x):
    return x / (np.linalg.norm(x, ord=2, axis=-1, keepdims=True) + 1e-10)

bank = normalise(f64[:100])
q = normalise(t64)
d2 = ((q[:, None, :] - bank[None, :, :]) ** 2).sum(-1)
knn = np.sort(d2, axis=1)[:, 4]

json.dump({
    "d": D, "k": K, "feats": feats.ravel().tolist(), "classes": cls.tolist(), "test": test.ravel().tolist(),
    "w": W.ravel().tolist(), "b": b.tolist(),
    "mahalanobis": maha.tolist(), "vim": vim.tolist(), "vim_alpha": float(alpha), "knn_k": 5, "knn_bank": 100,
    "knn": knn.tolist(),
}, __import__("sys").stdout, indent=None)
