#!/usr/bin/env bash
# nflowjs (its defaults) against the PyTorch reference on fashion-ood, same data
# and protocol, over seeds: stage 1, flow pre-training, joint stage 2, then MSP
# and JS (T = 2) AP / FPR95 / AUROC on test (near-OOD) and test-far (far-OOD),
# closed-set mIoU on val and test, before and after stage 2.
#
#   tools/reference/compare_fashion.sh WORKDIR [SEEDS...]     (default seeds 1 2 3)
#
# Needs Debian's dataset-fashion-mnist and python3-skimage (the data), and
# python3-torch, python3-numpy, python3-pil (the reference). Resumable: a step
# whose output exists is skipped. Writes WORKDIR/compare.md (the table) and
# WORKDIR/compare.json. Never run by `go test`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:?usage: compare_fashion.sh WORKDIR [SEEDS...]}
shift
seeds=("$@")
[ $# -eq 0 ] && seeds=(1 2 3)
mkdir -p "$work"
nf="$work/nflowjs"
(cd "$root" && go build -o "$nf" ./cmd/nflowjs)
data="$work/fashion-ood"
[ -f "$data/dataset.json" ] || "$nf" data gen fashion-ood --out "$data" --quiet

for s in "${seeds[@]}"; do
  d="$work/s$s"
  mkdir -p "$d"
  [ -f "$d/seg/DONE" ] || { "$nf" train closed --data "$data" --out "$d/seg" --seed "$s" --resume > "$d/seg.log" 2>&1 && touch "$d/seg/DONE"; }
  [ -f "$d/flow/DONE" ] || { "$nf" train flow --data "$data" --out "$d/flow" --seed "$s" --resume > "$d/flow.log" 2>&1 && touch "$d/flow/DONE"; }
  [ -f "$d/joint/DONE" ] || { "$nf" train joint --data "$data" --seg "$d/seg" --flow "$d/flow" --out "$d/joint" --seed "$s" --resume --no-progress > "$d/joint.log" 2>&1 && touch "$d/joint/DONE"; }
  for m in seg joint; do
    for sp in val test test-far; do
      f="$d/eval-$m-$sp.json"
      [ -s "$f" ] || "$nf" eval --model "$d/$m" --data "$data" --split "$sp" --calib-split none --scores msp,js --json --quiet > "$f" 2>/dev/null
    done
  done
  # The reference validates lambda itself, by the same rule (--lam auto).
  [ -s "$d/ref.json" ] || /usr/bin/python3 "$here/nflowjs_reference.py" --data "$data" --out "$d/ref.json" --seed "$s" > "$d/ref.log" 2>&1
done
python3 "$here/compare_table.py" "$work" "${seeds[@]}"
