#!/usr/bin/env python3
"""Side-by-side table of compare_fashion.sh's runs: nflowjs vs the PyTorch
reference on fashion-ood, mean ± std over seeds.

  python3 tools/reference/compare_table.py WORKDIR SEED [SEED...]

Writes WORKDIR/compare.md and WORKDIR/compare.json and prints the table.
Only the standard library: nflowjs's eval --json rows and the reference's
output JSON carry every number.
"""
import json, math, os, statistics, sys


def ours(d, model, split):
    rows = json.load(open(os.path.join(d, "eval-%s-%s.json" % (model, split))))
    out = {"miou": rows[0]["miou"]}
    for r in rows:
        if r["score"] in ("msp", "js"):
            out[r["score"]] = {k: r[k] for k in ("ap", "fpr95", "auroc")}
    return out


def ref(d, stage, split):
    return json.load(open(os.path.join(d, "ref.json")))[stage][split]


def stat(vals):
    vals = [100 * v for v in vals if v is not None and not math.isnan(v)]
    if not vals:
        return "—", None
    m = statistics.fmean(vals)
    sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
    return "%.1f ± %.1f" % (m, sd), m


def main():
    work, seeds = sys.argv[1], sys.argv[2:]
    runs = [os.path.join(work, "s" + s) for s in seeds]
    cols = [("val mIoU", "val", None, "miou"), ("test mIoU", "test", None, "miou")]
    for split, tag in (("test", "near"), ("test-far", "far")):
        for score in ("msp", "js"):
            for m in ("ap", "fpr95", "auroc"):
                cols.append(("%s %s %s" % (tag, score.upper(), {"ap": "AP", "fpr95": "FPR95", "auroc": "AUROC"}[m]), split, score, m))
    table, raw = [], {}
    for impl, get in (("nflowjs", lambda d, st, sp: ours(d, "seg" if st == "stage1" else "joint", sp)),
                      ("PyTorch reference", lambda d, st, sp: ref(d, st, sp))):
        for stage in ("stage1", "joint"):
            name = "%s, %s" % (impl, "stage 1" if stage == "stage1" else "after stage 2")
            cells = []
            for label, split, score, m in cols:
                vals = []
                for d in runs:
                    r = get(d, stage, split)
                    vals.append(r["miou"] if score is None else r[score][m])
                text, mean = stat(vals)
                cells.append(text)
                raw.setdefault(name, {})[label] = mean
            table.append((name, cells))
    head = "| model | " + " | ".join(c[0] for c in cols) + " |"
    lines = [head, "|" + "---|" * (len(cols) + 1)]
    for name, cells in table:
        lines.append("| %s | %s |" % (name, " | ".join(cells)))
    md = "\n".join(lines) + "\n\nSeeds: %s. Percent, mean ± std over seeds.\n" % ", ".join(seeds)
    open(os.path.join(work, "compare.md"), "w").write(md)
    json.dump(raw, open(os.path.join(work, "compare.json"), "w"), indent=1)
    print(md)


if __name__ == "__main__":
    main()
