#!/usr/bin/env python3
"""PyTorch reference of NFlowJS on a dataset in nflowjs's generic format.

The oracle of issue 14: the same method, protocol and metrics as nflowjs,
written independently, so that nflowjs's numbers can be put beside it.
Debian's python3-torch and python3-numpy (and python3-pil) are all it needs;
nothing in `go test` runs it. tools/reference/compare_fashion.sh runs both
implementations over seeds and tabulates them.

  /usr/bin/python3 tools/reference/nflowjs_reference.py --data DIR --out OUT.json [--seed 1]

Stages (paper Section 3; every setting is recorded in the output JSON):
  1. closed-set segmentation: a compact U-Net-like net (about 0.85 M
     parameters, logits at 1/2 resolution, bilinearly upsampled), Adam 1e-3,
     cosine schedule, flips and random rescaling, 40 epochs of batch 8;
  2. a multi-scale RealNVP (affine couplings, checkerboard then channel
     masks, squeeze, half of the channels factored out per level),
     pre-trained by NLL in bits/dim on dequantised random inlier crops
     (Adamax 1e-3 with warm-up, 1000 steps of 16 crops of 32x32);
  3. joint training, 600 steps of batch 8: a flow sample x- = f^-1(z) of
     random size (multiples of 8 up to a quarter of the short side) pasted
     into each inlier image (eq. 2); classifier loss CE(inliers) + lambda *
     JS(U, p) averaged over pasted pixels (eq. 3, Adam 1e-3 decoder / 2.5e-4
     encoder, cosine); flow loss NLL(replaced inlier crop) + lambda * JS with
     the gradient through the classifier into the patch (eq. 4-5, Adamax
     1e-5); lambda validated as the paper does ("chosen so that the
     closed-set segmentation performance is not reduced"), by nflowjs's rule:
     pilots at 0.03, 0.1, 0.3, the lowest val FPR95 among those keeping val
     mIoU within a point;
  4. evaluation on val, test and (if present) test-far: pooled AP, FPR95 and
     AUROC of MSP and -JS(U, softmax(l/T)), T = 2, and closed-set mIoU,
     before and after stage 2.
"""
import argparse, copy, glob, json, math, os, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

ANOMALY, VOID = 254, 255


def load_split(root, split):
    ims, labs = [], []
    for p in sorted(glob.glob(os.path.join(root, split, "images", "*.png"))):
        ims.append(np.asarray(Image.open(p).convert("RGB"), dtype=np.uint8))
        labs.append(np.asarray(Image.open(p.replace("/images/", "/labels/")), dtype=np.uint8))
    return np.stack(ims), np.stack(labs)


# ---------------------------------------------------------------- segmentation
def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNetSmall(nn.Module):
    """Encoder 24-48-96-144 with skips (about 0.85 M parameters for 5 classes); logits at 1/2 resolution."""

    def __init__(self, k, w=(24, 48, 96, 144)):
        super().__init__()
        self.e1, self.e2, self.e3, self.e4 = block(3, w[0]), block(w[0], w[1]), block(w[1], w[2]), block(w[2], w[3])
        self.d3, self.d2 = block(w[3] + w[2], w[2]), block(w[2] + w[1], w[1])
        self.drop = nn.Dropout2d(0.1)
        self.head = nn.Conv2d(w[1], k, 1)

    def forward(self, x):
        h, w = x.shape[-2:]
        e1 = self.e1(x)                       # 1/1
        e2 = self.e2(F.max_pool2d(e1, 2))     # 1/2
        e3 = self.e3(F.max_pool2d(e2, 2))     # 1/4
        e4 = self.e4(F.max_pool2d(e3, 2))     # 1/8
        d3 = self.d3(torch.cat([F.interpolate(e4, size=e3.shape[-2:], mode="bilinear", align_corners=False), e3], 1))
        d2 = self.d2(torch.cat([F.interpolate(d3, size=e2.shape[-2:], mode="bilinear", align_corners=False), e2], 1))
        return F.interpolate(self.head(self.drop(d2)), size=(h, w), mode="bilinear", align_corners=False)


# ------------------------------------------------------------------------ flow
class Coupling(nn.Module):
    def __init__(self, c, mask, hidden=64):
        super().__init__()
        self.mask = mask  # "cb0", "cb1", "ch0", "ch1"
        cin = c if mask.startswith("cb") else c // 2
        cout = 2 * (c if mask.startswith("cb") else c - c // 2)
        self.net = nn.Sequential(nn.Conv2d(cin, hidden, 3, padding=1), nn.ReLU(), nn.Conv2d(hidden, hidden, 1), nn.ReLU(),
                                 nn.Conv2d(hidden, cout, 3, padding=1))
        nn.init.zeros_(self.net[-1].weight), nn.init.zeros_(self.net[-1].bias)
        self.scale = nn.Parameter(torch.zeros(1))

    def _cb(self, x):
        h, w = x.shape[-2:]
        m = ((torch.arange(h).view(-1, 1) + torch.arange(w).view(1, -1)) % 2).to(x)
        return m if self.mask == "cb0" else 1 - m

    def _st(self, inp):
        s, t = self.net(inp).chunk(2, 1)
        return self.scale.exp() * torch.tanh(s), t

    def forward(self, x, reverse=False):
        if self.mask.startswith("cb"):
            m = self._cb(x)
            s, t = self._st(x * m)
            s, t = s * (1 - m), t * (1 - m)
            if not reverse:
                return x * s.exp() + t, s.flatten(1).sum(1)
            return (x - t) * (-s).exp(), None
        a, b = x.chunk(2, 1) if self.mask == "ch0" else reversed(x.chunk(2, 1))
        s, t = self._st(a)
        b = b * s.exp() + t if not reverse else (b - t) * (-s).exp()
        out = torch.cat([a, b], 1) if self.mask == "ch0" else torch.cat([b, a], 1)
        return out, (s.flatten(1).sum(1) if not reverse else None)


class ActNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.loc, self.logs = nn.Parameter(torch.zeros(1, c, 1, 1)), nn.Parameter(torch.zeros(1, c, 1, 1))
        self.register_buffer("ready", torch.tensor(0))

    def forward(self, x, reverse=False):
        if not self.ready and not reverse:
            with torch.no_grad():
                self.loc.data = -x.mean((0, 2, 3), keepdim=True)
                self.logs.data = -torch.log(x.std((0, 2, 3), keepdim=True) + 1e-6)
                self.ready.fill_(1)
        if not reverse:
            return (x + self.loc) * self.logs.exp(), self.logs.sum() * x.shape[2] * x.shape[3] * torch.ones(x.shape[0], device=x.device)
        return x * (-self.logs).exp() - self.loc, None


def squeeze(x):
    n, c, h, w = x.shape
    return x.view(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(n, 4 * c, h // 2, w // 2)


def unsqueeze(x):
    n, c, h, w = x.shape
    return x.view(n, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c // 4, 2 * h, 2 * w)


class RealNVP(nn.Module):
    """Levels: [actnorm, 2 checkerboard couplings, squeeze, 2 channel couplings], half factored out."""

    def __init__(self, levels=3, hidden=64):
        super().__init__()
        self.levels = nn.ModuleList()
        c = 3
        for l in range(levels):
            mods = nn.ModuleList([ActNorm(c), Coupling(c, "cb0", hidden), Coupling(c, "cb1", hidden),
                                  ActNorm(4 * c), Coupling(4 * c, "ch0", hidden), Coupling(4 * c, "ch1", hidden)])
            self.levels.append(mods)
            c = 2 * c  # 4c after squeeze, half factored out
        self.cfinal = c

    def log_prob(self, x, zs=None):
        """x in [-0.5, 0.5]; returns log-density per image (nats); the
        per-level latents are appended to zs if given."""
        ld = torch.zeros(x.shape[0], device=x.device)
        zs_lp = torch.zeros_like(ld)
        h = x
        for l, mods in enumerate(self.levels):
            for i, m in enumerate(mods):
                if i == 3:
                    h = squeeze(h)
                h, d = m(h)
                ld = ld + d
            if l < len(self.levels) - 1:
                z, h = h.chunk(2, 1)
            else:
                z = h
            if zs is not None:
                zs.append(z)
            zs_lp = zs_lp + (-0.5 * (z ** 2 + math.log(2 * math.pi))).flatten(1).sum(1)
        return zs_lp + ld

    def sample(self, n, hh, ww, T=1.0, zs=None):
        """x = f^-1(z), z ~ N(0, T^2 I); zs (from log_prob) replaces the draw."""
        k = 2 ** len(self.levels)
        c = 3
        shapes = []
        for l in range(len(self.levels)):
            c4, s = 4 * c, 2 ** (l + 1)
            shapes.append((n, c4 // 2 if l < len(self.levels) - 1 else c4, hh // s, ww // s))
            c = c4 // 2
        h = None
        for l in reversed(range(len(self.levels))):
            z = T * torch.randn(shapes[l]) if zs is None else zs[l]
            h = z if h is None else torch.cat([z, h], 1)
            mods = self.levels[l]
            for i in reversed(range(len(mods))):
                h, _ = mods[i](h, reverse=True)
                if i == 3:
                    h = unsqueeze(h)
        return h


def bpd(logp, dims):
    return -logp / (dims * math.log(2)) + 8


def dequant(u8):
    return (u8.float() + torch.rand_like(u8.float())) / 256 - 0.5


# --------------------------------------------------------------------- scores
def js_to_uniform(logits, T=1.0):
    """JS(U, softmax(l/T)) per pixel, [N,H,W]."""
    k = logits.shape[1]
    logp = F.log_softmax(logits / T, 1)
    p = logp.exp()
    m = 0.5 * p + 0.5 / k
    logm = m.log()
    return 0.5 * ((1.0 / k) * (math.log(1.0 / k) - logm)).sum(1) + 0.5 * (p * (logp - logm)).sum(1)


def pooled_metrics(score, ood):
    """AP, FPR at 95% TPR and AUROC of score (higher = anomalous) for binary ood labels."""
    order = np.argsort(-score, kind="mergesort")
    s, y = score[order], ood[order]
    tp, fp = np.cumsum(y), np.cumsum(1 - y)
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]  # ends of tie groups
    tp, fp = tp[last], fp[last]
    P, N = tp[-1], fp[-1]
    if P == 0 or N == 0:
        return dict(ap=float("nan"), fpr95=float("nan"), auroc=float("nan"))
    tpr, fpr, prec = tp / P, fp / N, tp / np.maximum(tp + fp, 1)
    ap = float(np.sum(np.diff(np.r_[0, tpr]) * prec))
    fpr95 = float(fpr[np.searchsorted(tpr, 0.95)])
    auroc = float(np.trapz(np.r_[0, tpr], np.r_[0, fpr]))
    return dict(ap=ap, fpr95=fpr95, auroc=auroc)


def normalise(u8, mean, std):
    return (u8.permute(0, 3, 1, 2).float() / 255 - mean) / std


@torch.no_grad()
def evaluate(model, ims, labs, k, mean, std, T=2.0, dump=""):
    model.eval()
    if dump:
        os.makedirs(dump, exist_ok=True)
    conf = np.zeros((k, k), np.int64)
    msp, js, ood = [], [], []
    for i in range(0, len(ims), 16):
        x = normalise(torch.from_numpy(ims[i:i + 16]), mean, std)
        lg = model(x)
        y = labs[i:i + 16]
        pred = lg.argmax(1).numpy()
        for j in range(len(lg)) if dump else ():
            _, h, w = lg[j].shape
            lg[j].numpy().astype(np.float32).tofile(os.path.join(dump, "%05d_%dx%dx%d.f32" % (i + j, k, h, w)))
        inl = y < k
        conf += np.bincount(k * y[inl].astype(np.int64) + pred[inl], minlength=k * k).reshape(k, k)
        keep = y != VOID
        msp.append(-F.softmax(lg, 1).max(1)[0].numpy()[keep])
        js.append(-js_to_uniform(lg, T).numpy()[keep])
        ood.append((y[keep] == ANOMALY).astype(np.int64))
    iou = np.diag(conf) / np.maximum(conf.sum(0) + conf.sum(1) - np.diag(conf), 1)
    ood = np.concatenate(ood)
    return dict(miou=float(iou.mean()), msp=pooled_metrics(np.concatenate(msp), ood), js=pooled_metrics(np.concatenate(js), ood))


def augment(ims, labs, rng, smin=0.75, smax=1.5):
    """Flip and rescale-then-crop back to the input size (padding with void)."""
    n, h, w, _ = ims.shape
    x = torch.from_numpy(ims).permute(0, 3, 1, 2).float()
    y = torch.from_numpy(labs).float().unsqueeze(1)
    if rng.random() < 0.5:
        x, y = x.flip(-1), y.flip(-1)
    s = rng.uniform(smin, smax)
    hs, ws = max(8, int(h * s)), max(8, int(w * s))
    x = F.interpolate(x, size=(hs, ws), mode="bilinear", align_corners=False)
    y = F.interpolate(y, size=(hs, ws), mode="nearest")
    if s >= 1:
        t, l = rng.integers(0, hs - h + 1), rng.integers(0, ws - w + 1)
        x, y = x[..., t:t + h, l:l + w], y[..., t:t + h, l:l + w]
    else:
        x = F.pad(x, (0, w - ws, 0, h - hs))
        y = F.pad(y, (0, w - ws, 0, h - hs), value=VOID)
    return x.round().clamp(0, 255).permute(0, 2, 3, 1).to(torch.uint8), y[:, 0].long()


def joint_step_fn(a, tr_x, tr_y, k, mean, std):
    """Returns joint(model, flow, lam, steps, rng): stage 2 of NFlowJS (eq. 2-5)."""

    def joint(model, fl, lam, steps, rng, quiet=False):
        enc = [p for n, p in model.named_parameters() if n.startswith("e")]
        dec = [p for n, p in model.named_parameters() if not n.startswith("e")]
        copt = torch.optim.Adam([{"params": enc, "lr": 2.5e-4}, {"params": dec, "lr": 1e-3}])
        csched = torch.optim.lr_scheduler.CosineAnnealingLR(copt, steps, eta_min=1e-7)
        fopt = torch.optim.Adamax(fl.parameters(), lr=1e-5)
        cparams, fparams = list(model.parameters()), list(fl.parameters())
        for step in range(steps):
            model.train()
            idx = rng.choice(len(tr_x), a.batch, replace=False)
            xb, yb = augment(tr_x[idx], tr_y[idx], rng, smin=1.0)
            yb[yb >= k] = -100
            mult = 8
            ph = int(rng.integers(a.patch_min // mult, a.patch_max // mult + 1)) * mult
            pw = int(rng.integers(a.patch_min // mult, a.patch_max // mult + 1)) * mult
            n, h, w, _ = xb.shape
            tops, lefts = rng.integers(0, h - ph + 1, n), rng.integers(0, w - pw + 1, n)
            xc = torch.stack([xb[i, tops[i]:tops[i] + ph, lefts[i]:lefts[i] + pw] for i in range(n)]).permute(0, 3, 1, 2)
            nll = bpd(fl.log_prob(dequant(xc)), 3 * ph * pw).mean()
            patch = fl.sample(n, ph, pw, T=a.flow_temp).clamp(-0.5, 0.5)
            patch_n = (patch + 0.5 - mean) / std
            x = normalise(xb, mean, std)
            mask = torch.zeros(n, 1, h, w)
            canvas = torch.zeros_like(x)
            for i in range(n):
                mask[i, :, tops[i]:tops[i] + ph, lefts[i]:lefts[i] + pw] = 1
                canvas = canvas + F.pad(patch_n[i:i + 1], (lefts[i], w - lefts[i] - pw, tops[i], h - tops[i] - ph)) * F.one_hot(torch.tensor(i), n).view(n, 1, 1, 1)
            xm = x * (1 - mask) + canvas  # eq. 2, paste by addition
            yb = yb.masked_fill(mask[:, 0].bool(), -100)
            lg = model(xm)
            ce = F.cross_entropy(lg, yb, ignore_index=-100)
            neg = (js_to_uniform(lg) * mask[:, 0]).sum() / mask.sum()
            gc = torch.autograd.grad(ce + lam * neg, cparams, retain_graph=True)  # eq. 3
            gf = torch.autograd.grad(nll + lam * neg, fparams)  # eq. 4, through the patch into the flow
            for p, g in zip(cparams, gc):
                p.grad = g
            for p, g in zip(fparams, gf):
                p.grad = g
            torch.nn.utils.clip_grad_norm_(fparams, 50)
            copt.step(); fopt.step(); csched.step()
            if not quiet and (step + 1) % 50 == 0:
                print(f"joint {step + 1}: ce {float(ce):.4f} js {float(neg):.4f} bpd {float(nll):.3f}", flush=True)

    return joint


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seg-epochs", type=int, default=40)
    ap.add_argument("--flow-steps", type=int, default=1000)
    ap.add_argument("--flow-crop", type=int, default=32)
    ap.add_argument("--joint-steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lam", default="auto", help="lambda, or auto: pilots validated on val (nflowjs's rule)")
    ap.add_argument("--flow-temp", type=float, default=1.0, help="latent temperature of the negatives")
    ap.add_argument("--patch-min", type=int, default=0, help="0: a quarter of --patch-max (nflowjs's rule)")
    ap.add_argument("--patch-max", type=int, default=0, help="0: a quarter of the short side, at most --flow-crop (nflowjs's rule)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dump", default="", help="write the test logits of both stages as DIR/<stage>/<id>_KxHxW.f32")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    meta = json.load(open(os.path.join(a.data, "dataset.json")))
    k = len(meta["classes"])
    tr_x, tr_y = load_split(a.data, "train")
    # Evaluation splits: val (closed-set mIoU for the lambda rule), test and,
    # where the dataset has it (fashion-ood), the far-OOD split test-far.
    evals = {sp: load_split(a.data, sp) for sp in ("val", "test", "test-far") if os.path.isdir(os.path.join(a.data, sp, "images"))}

    def evaluate_all(stage):
        out = {}
        for sp, (x, y) in evals.items():
            out[sp] = evaluate(model, x, y, k, mean, std, dump=a.dump and os.path.join(a.dump, stage, sp))
        return out
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    res = dict(settings=vars(a), timing={})
    if a.patch_max == 0:  # multiples of the flow's squeeze factor 8
        a.patch_max = max(8, min(min(tr_x.shape[1:3]) // 4, a.flow_crop) // 8 * 8)
    if a.patch_min == 0:
        a.patch_min = max(8, min(a.patch_max, (a.patch_max // 4 + 7) // 8 * 8))
    joint = joint_step_fn(a, tr_x, tr_y, k, mean, std)

    # Stage 1.
    model = UNetSmall(k)
    res["seg_params"] = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    steps = a.seg_epochs * (len(tr_x) // a.batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps, eta_min=1e-7)
    t0 = time.time()
    for step in range(steps):
        model.train()
        idx = rng.choice(len(tr_x), a.batch, replace=False)
        xb, yb = augment(tr_x[idx], tr_y[idx], rng)
        yb[yb >= k] = -100
        loss = F.cross_entropy(model(normalise(xb, mean, std)), yb, ignore_index=-100)
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    res["timing"]["stage1_s"] = time.time() - t0
    res["stage1"] = evaluate_all("stage1")
    print("stage 1", res["stage1"], flush=True)

    # Flow pre-training on anomaly-free random crops.
    fl = RealNVP()
    fopt = torch.optim.Adamax(fl.parameters(), lr=1e-3)
    c = a.flow_crop
    t0 = time.time()

    def crops(n):
        out = np.empty((n, c, c, 3), np.uint8)
        for j in range(n):
            i = rng.integers(len(tr_x)); t = rng.integers(0, tr_x.shape[1] - c + 1); l = rng.integers(0, tr_x.shape[2] - c + 1)
            out[j] = tr_x[i, t:t + c, l:l + c]
        return torch.from_numpy(out).permute(0, 3, 1, 2)

    for step in range(a.flow_steps):
        for g in fopt.param_groups:
            g["lr"] = 1e-3 * min(1.0, (step + 1) / 200)
        nll = bpd(fl.log_prob(dequant(crops(16))), 3 * c * c).mean()
        fopt.zero_grad(); nll.backward(); torch.nn.utils.clip_grad_norm_(fl.parameters(), 50); fopt.step()
    res["timing"]["flow_s"] = time.time() - t0
    res["flow_bpd_end"] = float(nll)
    print("flow bpd", float(nll), flush=True)

    # Stage 2: joint training, with lambda validated as the paper does
    # (Section 4.3) by nflowjs's rule: short pilots (a quarter of the steps)
    # per candidate from the same stage-1 model and flow; keep the lowest
    # val FPR95 of the JS score among pilots keeping the val mIoU within one
    # point (without val anomalies: the largest lambda keeping it).
    t0 = time.time()
    if a.lam == "auto":
        s1 = res["stage1"]["val"]
        pilots = []
        for lam in (0.03, 0.1, 0.3):
            pm, pf = copy.deepcopy(model), copy.deepcopy(fl)
            joint(pm, pf, lam, max(a.joint_steps // 4, 1), np.random.default_rng(a.seed + 7), quiet=True)
            v = evaluate(pm, *evals["val"], k, mean, std)
            pilots.append(dict(lam=lam, miou=v["miou"], fpr95=v["js"]["fpr95"], ap=v["js"]["ap"]))
            print("pilot", pilots[-1], flush=True)
        kept = [p for p in pilots if p["miou"] >= s1["miou"] - 0.01]
        if kept and not math.isnan(kept[0]["fpr95"]):
            lam = min(kept, key=lambda p: (p["fpr95"], -p["ap"]))["lam"]
        else:  # no val anomalies: the paper's rule, the largest lambda keeping mIoU
            lam = max([p["lam"] for p in kept], default=0.03)
        res["lambda_pilots"] = pilots
    else:
        lam = float(a.lam)
    res["lambda"] = lam
    print("lambda", lam, flush=True)
    joint(model, fl, lam, a.joint_steps, rng)
    res["timing"]["joint_s"] = time.time() - t0
    res["joint"] = evaluate_all("joint")
    print("joint", res["joint"], flush=True)
    json.dump(res, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
