package experiment

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/nflowjs/nflowjs/internal/atomicfile"
)

// ReportFile and ResultsFile are written into the report directory.
const (
	ReportFile  = "REPORT.md"
	ResultsFile = "results.json"
)

// Figure is an image the report embeds (Path relative to the report).
type Figure struct {
	Path    string
	Caption string
}

// rowSpec is one table row: a model and a score. A Score ending in "@*"
// matches the score with any parameter ("mcdropout@*" ↔ "mcdropout@4").
type rowSpec struct {
	Label, Model, Score string
}

func (r *Results) lookupSpec(ds string, s rowSpec, m Metric) Stat {
	if base, ok := strings.CutSuffix(s.Score, "@*"); ok {
		for _, run := range r.Runs {
			if run.Dataset != ds || run.Model != s.Model {
				continue
			}
			for _, row := range run.Rows {
				if row.Score == base || strings.HasPrefix(row.Score, base+"@") {
					return r.Lookup(ds, s.Model, row.Score, m)
				}
			}
		}
		return Stat{}
	}
	return r.Lookup(ds, s.Model, s.Score, m)
}

var mainRows = []rowSpec{
	{"MSP", ModelClosed, "msp"},
	{"Max-logit", ModelClosed, "maxlogit"},
	{"Entropy", ModelClosed, "entropy"},
	{"Energy", ModelClosed, "energy"},
	{"ODIN", ModelClosed, "odin"},
	{"MC dropout", ModelClosed, "mcdropout@*"},
	{"ReAct", ModelClosed, "react"},
	{"KL(U‖p) score (stage 1)", ModelClosed, "kl"},
	{"Outlier exposure: real auxiliary patches (JS)", VariantReal, "js"},
	{"Uniform-noise negatives (JS)", VariantNoise, "js"},
	{"**NFlowJS** (flow negatives, JS, T=2)", VariantNFlowJS, "js"},
}

var table7Rows = []rowSpec{
	{"KL – MSP (T=10)", VariantKL, "msp@10"},
	{"KL – KL", VariantKL, "kl"},
	{"RKL – RKL", VariantRKL, "rkl"},
	{"JSD – MSP (T=10)", VariantNFlowJS, "msp@10"},
	{"**JSD – JSD**", VariantNFlowJS, "js"},
}

var table8Rows = []rowSpec{
	{"none (stage 1 continued), MSP", VariantNone, "msp"},
	{"none (stage 1 continued), JS", VariantNone, "js"},
	{"uniform noise", VariantNoise, "js"},
	{"real auxiliary images (other benchmark)", VariantReal, "js"},
	{"virtual outlier features (VOS: class Gaussians on stage-1 features)", VariantGMM, "js"},
	{"GAN samples (pre-trained DCGAN, frozen)", VariantGAN, "js"},
	{"pre-trained flow, frozen (--joint-flow=false)", VariantFrozen, "js"},
	{"**flow trained jointly (NFlowJS)**", VariantNFlowJS, "js"},
}

// headRows compare heads and scores: post-hoc scores of the stage-1
// model, the NFlowJS head (JS), and a UNO head trained on the same flow
// negatives (issue 20).
var headRows = []rowSpec{
	{"stage 1, MSP", ModelClosed, "msp"},
	{"stage 1, RbA (−Σ tanh l)", ModelClosed, "rba"},
	{"stage 1, Mahalanobis (features)", ModelClosed, "mahalanobis"},
	{"stage 1, ViM (features)", ModelClosed, "vim"},
	{"stage 1, kNN (features, k = 10)", ModelClosed, "knn"},
	{"NFlowJS head, RbA", VariantNFlowJS, "rba"},
	{"**NFlowJS head, JS**", VariantNFlowJS, "js"},
	{"UNO head, JS of its K inlier logits", VariantUNO, "js"},
	{"**UNO head, uno (p_neg − max p_k)**", VariantUNO, "uno"},
}

var table9Rows = []rowSpec{
	{"neither pre-trained (both from scratch in the joint run)", VariantNeither, "js"},
	{"classifier pre-trained, flow from scratch", VariantScratch, "js"},
	{"**classifier and flow pre-trained**", VariantNFlowJS, "js"},
}

// recipeRows are the recipe ablations of issue 14: the default recipe
// with one setting changed, against stage 1 and stage 1 continued.
var recipeRows = []rowSpec{
	{"stage 1, MSP", ModelClosed, "msp"},
	{"stage 1, JS", ModelClosed, "js"},
	{"no negatives (stage 1 continued), JS", VariantNone, "js"},
	{"**default recipe** (λ auto, patch sides ≤ ¼ of the image)", VariantNFlowJS, "js"},
	{"λ = 0.03 fixed (the paper's)", VariantLambdaLow, "js"},
	{"λ = 0.3 fixed (the old profiles')", VariantLambdaHigh, "js"},
	{"patch sides 16-64 (the old default)", VariantPatchLarge, "js"},
	{"the paper's stage-2 learning rates (1e-5 / 2.5e-6)", VariantPaperLR, "js"},
	{"flow learning rate 1e-4 (10×)", VariantFlowLRHigh, "js"},
	{"batch norms frozen at stage 1", VariantFreezeBN, "js"},
}

var table6Rows = []rowSpec{
	{"MSP", ModelClosed, "msp"},
	{"Max-logit", ModelClosed, "maxlogit"},
	{"Energy", ModelClosed, "energy"},
	{"NFlowJS (JS)", ModelClosed, "js"},
	{"ODIN", ModelClosed, "odin"},
	{"MC dropout", ModelClosed, "mcdropout@*"},
	{"ReAct", ModelClosed, "react"},
}

// fmtStat formats a fraction as a percentage with its seed spread.
func fmtStat(s Stat, scale float64, digits int) string {
	if s.N == 0 {
		return "—"
	}
	v := fmt.Sprintf("%.*f", digits, s.Mean*scale)
	if s.N > 1 {
		v += fmt.Sprintf(" ± %.*f", digits, s.Std*scale)
	}
	return v
}

func pct(s Stat) string { return fmtStat(s, 100, 1) }

// table writes a Markdown table of rows × metrics for one dataset, and
// returns how many rows had a value.
func (r *Results) table(b *strings.Builder, ds string, rows []rowSpec, metrics []Metric, headers []string) int {
	return r.tableOpt(b, ds, rows, metrics, headers, false)
}

// tableOpt is table; compact leaves out rows that did not run.
func (r *Results) tableOpt(b *strings.Builder, ds string, rows []rowSpec, metrics []Metric, headers []string, compact bool) int {
	fmt.Fprintf(b, "| Method | %s |\n|---|%s\n", strings.Join(headers, " | "), strings.Repeat("---:|", len(headers)))
	filled := 0
	for _, row := range rows {
		cells := make([]string, len(metrics))
		has := false
		for i, m := range metrics {
			s := r.lookupSpec(ds, row, m)
			if s.N > 0 {
				has = true
			}
			if m == MetricMs || m == MetricForwardMs || m == MetricTotalMs {
				cells[i] = fmtStat(s, 1, 2)
			} else {
				cells[i] = pct(s)
			}
		}
		if compact && !has {
			continue
		}
		fmt.Fprintf(b, "| %s | %s |\n", row.Label, strings.Join(cells, " | "))
		if has {
			filled++
		}
	}
	b.WriteString("\n")
	return filled
}

var (
	detMetrics = []Metric{MetricAP, MetricFPR95, MetricAUROC}
	detHeaders = []string{"AP ↑", "FPR95 ↓", "AUROC ↑"}
	// detMIoUMetrics add the closed-set mIoU, for ablations that change
	// how much joint training disturbs the segmentation.
	detMIoUMetrics = []Metric{MetricAP, MetricFPR95, MetricAUROC, MetricMIoU}
	detMIoUHeaders = []string{"AP ↑", "FPR95 ↓", "AUROC ↑", "mIoU ↑"}
)

// RenderReport returns REPORT.md for results r; figs are embedded in the
// Figures section (paths relative to the report directory).
func RenderReport(r *Results, figs []Figure) string {
	var b strings.Builder
	title := "NFlowJS reproduction report"
	demo := r.Suite == "demo"
	if demo {
		title = "nflowjs demo report"
	}
	fmt.Fprintf(&b, "# %s — suite `%s`, profile `%s`\n\n", title, r.Suite, r.Profile)
	commit := r.Commit
	if commit == "" {
		commit = "unknown"
	}
	fmt.Fprintf(&b, "Generated %s by `nflowjs experiment` (commit %s, %s, %d CPUs).  \n", r.Created.Format("2006-01-02 15:04 UTC"), commit, r.GoVersion, r.CPUs)
	fmt.Fprintf(&b, "Profile: %s.\n\n", r.ProfileDescription)
	if r.Profile != "full" {
		b.WriteString("> **These numbers come from a short run** (small images, few training steps, one seed). They show that the\n" +
			"> pipeline works end to end and indicate trends; they are not a faithful reproduction of the paper's numbers.\n" +
			"> Run `nflowjs experiment --suite paper --profile full` for the full-size study.\n\n")
	}
	b.WriteString("All metrics are pixel-level and in percent; anomaly pixels are positive, void pixels excluded. " +
		"AP = average precision, FPR95 = false-positive rate at 95% true-positive rate, open-mIoU = mIoU over K+1 classes " +
		"of the outlier-aware segmentation, with the score threshold calibrated on val at TPR 95%. Mean ± std over seeds where " +
		"more than one seed ran; — = not run.\n\n")

	r.writeSteps(&b, true)

	names := map[string]string{"road": "`road` (procedural road scenes; paper Table 3, StreetHazards)",
		"aerial":      "`aerial` (procedural aerial tiles; paper Table 4, BSB-aerial-OOD)",
		FashionOOD:    "`fashion-ood` (real scanned Fashion-MNIST products on textures; near-OOD test anomalies: other product kinds)",
		FashionOODFar: "`fashion-ood-far` (the same models on fashion-ood's far-OOD split test-far: pieces of real photographs)"}
	for _, ds := range r.Datasets() {
		name := names[ds]
		if name == "" {
			name = "`" + ds + "`"
		}
		fmt.Fprintf(&b, "## Main results on %s\n\n", name)
		r.tableOpt(&b, ds, mainRows, []Metric{MetricAP, MetricFPR95, MetricAUROC, MetricMIoU, MetricOpenMIoU},
			[]string{"AP ↑", "FPR95 ↓", "AUROC ↑", "mIoU ↑", "open-mIoU ↑"}, demo)
	}
	if demo {
		// The demo trains one joint model: no ablation tables.
		r.writeToy(&b)
		writeFigures(&b, figs)
		b.WriteString("## What the numbers say\n\n")
		for _, c := range r.Claims() {
			if c.Verdict != NotMeasured {
				fmt.Fprintf(&b, "- **%s** — %s. %s\n", c.Verdict, c.Claim, c.Evidence)
			}
		}
		b.WriteString("\nFor every baseline and ablation of the paper run `nflowjs experiment --suite paper --profile quick`.\n\n")
		r.writeSteps(&b, false)
		return b.String()
	}

	sections := []struct {
		title, note string
		rows        []rowSpec
		metrics     []Metric
		headers     []string
	}{
		{"Table 7 — loss on negatives × OOD score", "L_neg of joint training – score at test time. MSP at T = 10 as in the paper; divergence scores at T = 2. " +
			"mIoU shows what each loss costs the closed-set segmentation (the paper's case for the bounded JS loss).", table7Rows, detMIoUMetrics, detMIoUHeaders},
		{"Table 8 — source of the negatives", "All rows score with JS (T = 2) unless noted; the same stage-1 model and training budget.", table8Rows, detMetrics, detHeaders},
		{"Heads and scores — JS vs UNO vs post-hoc scores", "Post-hoc scores on the stage-1 model (features fitted on the train split), " +
			"the NFlowJS model, and a UNO head (a (K+1)-th negative class trained by cross-entropy on the same flow negatives, its own λ auto by the uno score's val FPR95).",
			headRows, detMIoUMetrics, detMIoUHeaders},
		{"Recipe ablations — what makes the joint stage transfer", "The default recipe of `train joint` with one setting changed " +
			"(issue 14); JS score at T = 2. λ auto picks λ from short pilots by the val split's FPR95 (never the test split).", recipeRows, detMIoUMetrics, detMIoUHeaders},
		{"Table 9 — pre-training", "Without pre-training, a model trains from scratch within the joint run's budget (the classifier at stage 1's " +
			"learning rates), as in the paper's first row; the paper's rows are these three.", table9Rows,
			detMIoUMetrics, detMIoUHeaders},
	}
	for _, sec := range sections {
		var tb strings.Builder
		any := false
		for _, ds := range r.Datasets() {
			fmt.Fprintf(&tb, "**%s**\n\n", ds)
			// A comparison needs two rows that ran.
			if r.table(&tb, ds, sec.rows, sec.metrics, sec.headers) >= 2 {
				any = true
			}
		}
		if any {
			fmt.Fprintf(&b, "## %s\n\n%s\n\n%s", sec.title, sec.note, tb.String())
		}
	}

	r.writeTemperature(&b)
	r.writeDepth(&b)

	var tb strings.Builder
	any := false
	for _, ds := range r.Datasets() {
		fmt.Fprintf(&tb, "**%s**\n\n", ds)
		if r.table(&tb, ds, table6Rows, []Metric{MetricMs, MetricForwardMs, MetricTotalMs},
			[]string{"scoring ms / image", "forward pass ms / image", "total ms / image"}) > 0 {
			any = true
		}
	}
	if any {
		b.WriteString("## Table 6 — cost of scoring on this machine\n\nTime spent in each scorer per test image, measured by `nflowjs eval` on the stage-1 model " +
			"(logit scores exclude the shared forward pass; ODIN adds a backward and a second forward pass, MC dropout K forward passes, ReAct a feature pass), " +
			"the plain forward pass of the model, and their sum: what the method costs per image. NFlowJS adds nothing to the forward pass — the flow is " +
			"not used at inference. See `nflowjs bench` for the full-HD timing.\n\n")
		b.WriteString(tb.String())
	}

	r.writeToy(&b)

	writeFigures(&b, figs)

	b.WriteString("## Discussion: which of the paper's claims hold here\n\n")
	b.WriteString("Generated from the numbers above. A difference is treated as noise when it is smaller than the sum of the two rows' " +
		"standard deviations over seeds, or, when either row ran a single seed, smaller than that sum or half a point or 3% of the " +
		"larger value, whichever is largest. " +
		"A claim holds when one metric (AP or FPR95) is better and the other not worse, does not hold in the opposite case, is " +
		"inconclusive when both differences are noise, and is mixed when the metrics disagree.\n\n")
	for _, c := range r.Claims() {
		fmt.Fprintf(&b, "- **%s** — %s. %s\n", c.Verdict, c.Claim, c.Evidence)
	}
	b.WriteString("\n")
	r.writeSteps(&b, false)
	return b.String()
}

func writeFigures(b *strings.Builder, figs []Figure) {
	if len(figs) == 0 {
		return
	}
	b.WriteString("## Figures\n\n")
	for _, f := range figs {
		fmt.Fprintf(b, "**%s**\n\n![%s](%s)\n\n", f.Caption, f.Caption, filepath.ToSlash(f.Path))
	}
}

// writeSteps writes the run summary (short) or the per-step table.
func (r *Results) writeSteps(b *strings.Builder, short bool) {
	counts := map[Status]int{}
	var train float64
	for _, s := range r.Steps {
		counts[s.Status]++
		train += s.Seconds
	}
	if short {
		fmt.Fprintf(b, "Steps: %d", len(r.Steps))
		for _, st := range []Status{StatusRan, StatusResumed, StatusCached, StatusFailed, StatusMissing, StatusBlocked, StatusPending} {
			if counts[st] > 0 {
				fmt.Fprintf(b, ", %d %s", counts[st], st)
			}
		}
		fmt.Fprintf(b, "; %.1f minutes of compute in total (sum of step wall times).\n\n", train/60)
		for _, s := range r.Steps {
			if s.Status == StatusFailed || s.Status == StatusMissing || s.Status == StatusBlocked {
				fmt.Fprintf(b, "- `%s` %s: %s\n", s.Name, s.Status, s.Error)
			}
		}
		if counts[StatusFailed]+counts[StatusMissing]+counts[StatusBlocked] > 0 {
			b.WriteString("\n")
		}
		return
	}
	b.WriteString("## Steps\n\n| Step | Status | Wall time (s) | Directory |\n|---|---|---:|---|\n")
	for _, s := range r.Steps {
		fmt.Fprintf(b, "| %s | %s | %.1f | `%s` |\n", s.Name, s.Status, s.Seconds, s.Dir)
	}
	b.WriteString("\n")
}

func (r *Results) writeTemperature(b *strings.Builder) {
	var tb strings.Builder
	any := false
	for _, ds := range r.Datasets() {
		fmt.Fprintf(&tb, "**%s**\n\n| T | NFlowJS AP ↑ | NFlowJS FPR95 ↓ | NFlowJS AUROC ↑ | stage-1 AP ↑ | stage-1 FPR95 ↓ |\n|---|---:|---:|---:|---:|---:|\n", ds)
		for _, t := range Temperatures {
			sc := jsAt(t)
			nAP := r.Lookup(ds, VariantNFlowJS, sc, MetricAP)
			if nAP.N > 0 {
				any = true
			}
			fmt.Fprintf(&tb, "| %s | %s | %s | %s | %s | %s |\n", t, pct(nAP),
				pct(r.Lookup(ds, VariantNFlowJS, sc, MetricFPR95)), pct(r.Lookup(ds, VariantNFlowJS, sc, MetricAUROC)),
				pct(r.Lookup(ds, ModelClosed, sc, MetricAP)), pct(r.Lookup(ds, ModelClosed, sc, MetricFPR95)))
		}
		tb.WriteString("\n")
	}
	if any {
		b.WriteString("## Table 10 — temperature of the JS score\n\nJS(U, softmax(l/T)) of the NFlowJS model and, for reference, of the stage-1 model.\n\n")
		b.WriteString(tb.String())
	}
}

// writeDepth writes Table 5: FPR95 by distance from the camera.
func (r *Results) writeDepth(b *strings.Builder) {
	if len(r.Depth) == 0 {
		return
	}
	b.WriteString("## Table 5 — FPR95 by distance from the camera\n\nFPR95 (%) computed separately on the test pixels in each depth range " +
		"(first seed; bins without anomaly pixels are blank). The procedural road scenes place anomalies at 5–50 m.\n\n")
	for _, ds := range r.Datasets() {
		cols := r.Depth[ds]
		if len(cols) == 0 {
			continue
		}
		fmt.Fprintf(b, "**%s**\n\n| Range (m) |", ds)
		for _, c := range cols {
			fmt.Fprintf(b, " %s |", c.Method)
		}
		b.WriteString(" anomaly pixels |\n|---|" + strings.Repeat("---:|", len(cols)+1) + "\n")
		for i, bin := range cols[0].Bins {
			fmt.Fprintf(b, "| %g–%g |", bin.Lo, bin.Hi)
			for _, c := range cols {
				if i < len(c.Bins) && c.Bins[i].FPR95 != nil {
					fmt.Fprintf(b, " %.1f |", 100**c.Bins[i].FPR95)
				} else {
					b.WriteString(" |")
				}
			}
			fmt.Fprintf(b, " %d |\n", bin.Positives)
		}
		b.WriteString("\n")
	}
}

func (r *Results) writeToy(b *strings.Builder) {
	t := r.Toy
	if t == nil {
		return
	}
	fmt.Fprintf(b, "## 2-D toy (Figure 2)\n\nTwo Gaussian classes, a 2-64-64-2 ReLU classifier and a 6-coupling RealNVP trained jointly "+
		"(eqs. 3–4 in 2-D, λ_gen = %g, negatives drawn at latent temperature %g), %d pre-training + %d joint steps; "+
		"test outliers are uniform points far from both classes; mean ± std over %d seed(s). With two classes every divergence score "+
		"orders points like max-softmax, so the NFlowJS classifier's two rows coincide.\n\n", t.LambdaGen, t.SampleTemp, t.PretrainSteps, t.JointSteps, max(1, len(t.Seeds)))
	b.WriteString("| Model / score | AP ↑ | FPR95 ↓ | AUROC ↑ |\n|---|---:|---:|---:|\n")
	for _, row := range []struct {
		name   string
		m, std ToyMetrics
	}{
		{"baseline classifier, max-softmax", t.MSP, t.MSPStd},
		{"NFlowJS classifier, max-softmax", t.JointMSP, ToyMetrics{}},
		{"classifier trained with a frozen flow, JS", t.Frozen, t.FrozenStd},
		{"**NFlowJS classifier, JS**", t.NFlowJS, t.NFlowJSStd},
	} {
		f := func(v, s float64) string {
			if len(t.Seeds) > 1 && s > 0 {
				return fmt.Sprintf("%.1f ± %.1f", 100*v, 100*s)
			}
			return fmt.Sprintf("%.1f", 100*v)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", row.name, f(row.m.AP, row.std.AP), f(row.m.FPR95, row.std.FPR95), f(row.m.AUROC, row.std.AUROC))
	}
	fmt.Fprintf(b, "\nClosed-set accuracy on the test inliers: baseline %.1f%%, NFlowJS %.1f%%.\n\n", 100*t.BaselineAcc, 100*t.JointAcc)
}

// Claim is one of the paper's claims checked against the results.
type Claim struct {
	Claim    string
	Verdict  string // "holds", "does not hold", "mixed", "inconclusive", "not measured"
	Evidence string
}

// Verdicts.
const (
	Holds        = "holds"
	DoesNotHold  = "does not hold"
	Mixed        = "mixed"
	Inconclusive = "inconclusive"
	NotMeasured  = "not measured"
)

// Single-seed tolerance: without a seed spread, differences smaller than
// half a point, or 3% of the larger value, are treated as noise.
const (
	singleSeedAbsTol = 0.005
	singleSeedRelTol = 0.03
)

// better compares a (the claimed winner) with b on a metric where higher
// is better (or lower, for FPR95): 1 better, -1 worse, 0 within the seed
// spread (or the single-seed tolerance), and ok false when either is
// missing.
func better(a, b Stat, lowerIsBetter bool) (int, bool) {
	if a.N == 0 || b.N == 0 {
		return 0, false
	}
	d := a.Mean - b.Mean
	if lowerIsBetter {
		d = -d
	}
	tol := a.Std + b.Std
	if a.N == 1 || b.N == 1 {
		// A single run has no spread of its own: keep the other row's
		// spread, but never go below the single-seed tolerance.
		tol = math.Max(tol, math.Max(singleSeedAbsTol, singleSeedRelTol*math.Max(math.Abs(a.Mean), math.Abs(b.Mean))))
	}
	if math.Abs(d) < tol {
		return 0, true
	}
	if d > 0 {
		return 1, true
	}
	if d < 0 {
		return -1, true
	}
	return 0, true
}

// compareAPFPR judges "a beats b" on AP and FPR95.
func (r *Results) compareAPFPR(ds string, a, b rowSpec, claim string) Claim {
	apA, apB := r.lookupSpec(ds, a, MetricAP), r.lookupSpec(ds, b, MetricAP)
	fA, fB := r.lookupSpec(ds, a, MetricFPR95), r.lookupSpec(ds, b, MetricFPR95)
	c := Claim{Claim: fmt.Sprintf("%s (%s)", claim, ds)}
	ap, ok1 := better(apA, apB, false)
	fpr, ok2 := better(fA, fB, true)
	if !ok1 || !ok2 {
		c.Verdict, c.Evidence = NotMeasured, "One of the runs is missing."
		return c
	}
	c.Evidence = fmt.Sprintf("AP %s vs %s, FPR95 %s vs %s.", pct(apA), pct(apB), pct(fA), pct(fB))
	c.Verdict = combine(ap, fpr)
	return c
}

// combine turns two comparisons (1 better, 0 within noise, -1 worse) into
// a verdict: one better and none worse holds, one worse and none better
// does not hold, both within noise is inconclusive, otherwise mixed.
func combine(a, b int) string {
	switch {
	case a >= 0 && b >= 0 && a+b > 0:
		return Holds
	case a <= 0 && b <= 0 && a+b < 0:
		return DoesNotHold
	case a == 0 && b == 0:
		return Inconclusive
	}
	return Mixed
}

// Claims checks the paper's claims that this suite measures.
func (r *Results) Claims() []Claim {
	var out []Claim
	nf := rowSpec{"NFlowJS", VariantNFlowJS, "js"}
	for _, ds := range r.Datasets() {
		msp := rowSpec{"MSP", ModelClosed, "msp"}
		c := r.compareAPFPR(ds, nf, msp, "NFlowJS detects anomalies better than the stage-1 max-softmax baseline")
		if c.Verdict != NotMeasured {
			apA, apB := r.lookupSpec(ds, nf, MetricAP), r.lookupSpec(ds, msp, MetricAP)
			fA, fB := r.lookupSpec(ds, nf, MetricFPR95), r.lookupSpec(ds, msp, MetricFPR95)
			goal := apA.Mean >= 2*apB.Mean && fA.Mean <= fB.Mean/2
			c.Evidence += fmt.Sprintf(" The stronger goal (AP at least 2×, FPR95 at most half) is %s.", map[bool]string{true: "met", false: "not met"}[goal])
		}
		out = append(out, c)
		best, bestName := Stat{}, ""
		for _, base := range mainRows[1:7] {
			if s := r.lookupSpec(ds, base, MetricAP); s.N > 0 && s.Mean > best.Mean {
				best, bestName = s, base.Label
			}
		}
		if bestName != "" {
			cl := Claim{Claim: fmt.Sprintf("NFlowJS beats every post-hoc and model-based baseline in AP (%s)", ds)}
			if v, ok := better(r.lookupSpec(ds, nf, MetricAP), best, false); ok {
				cl.Verdict = map[int]string{1: Holds, 0: Inconclusive, -1: DoesNotHold}[v]
				cl.Evidence = fmt.Sprintf("NFlowJS AP %s, best baseline %s %s.", pct(r.lookupSpec(ds, nf, MetricAP)), bestName, pct(best))
			} else {
				cl.Verdict, cl.Evidence = NotMeasured, "NFlowJS did not run."
			}
			out = append(out, cl)
		}
		out = append(out,
			r.compareAPFPR(ds, nf, rowSpec{"", VariantNoise, "js"}, "Flow negatives beat uniform-noise negatives (Table 8)"),
			r.compareAPFPR(ds, nf, rowSpec{"", VariantReal, "js"}, "Synthetic flow negatives beat real auxiliary negatives from another domain (Table 4)"),
			r.compareAPFPR(ds, nf, rowSpec{"", VariantKL, "kl"}, "The JS loss and score beat the KL loss and score (Table 7, JSD-JSD vs KL-KL)"),
			r.compareAPFPR(ds, rowSpec{"", VariantNFlowJS, "msp@10"}, rowSpec{"", VariantKL, "msp@10"}, "The JS loss beats the KL loss with the same MSP score (Table 7, JSD-MSP vs KL-MSP)"),
			r.compareAPFPR(ds, nf, rowSpec{"", VariantRKL, "rkl"}, "JSD-JSD beats RKL-RKL (Table 7)"),
			r.compareAPFPR(ds, nf, rowSpec{"", VariantFrozen, "js"}, "Training the flow jointly beats a frozen pre-trained flow"),
			r.compareAPFPR(ds, nf, rowSpec{"", VariantScratch, "js"}, "Pre-training the flow helps (Table 9)"),
			r.compareAPFPR(ds, nf, rowSpec{"", VariantNeither, "js"}, "Pre-training both models helps (Table 9, vs neither pre-trained)"),
			r.compareAPFPR(ds, nf, rowSpec{"", VariantNone, "js"}, "The gain comes from the negatives, not from extra training steps (vs stage 1 continued without negatives)"),
		)
		// Table 10: T = 2 vs T = 1 and T = 3.
		t2 := r.Lookup(ds, VariantNFlowJS, "js", MetricAP)
		t1 := r.Lookup(ds, VariantNFlowJS, "js@1", MetricAP)
		t3 := r.Lookup(ds, VariantNFlowJS, "js@3", MetricAP)
		cl := Claim{Claim: fmt.Sprintf("Temperature T = 2 improves JS scoring over T = 1, and larger T is worse (Table 10) (%s)", ds)}
		v1, ok1 := better(t2, t1, false)
		v3, ok3 := better(t2, t3, false)
		switch {
		case !ok1 || !ok3:
			cl.Verdict, cl.Evidence = NotMeasured, "Temperatures were not evaluated."
		default:
			cl.Evidence = fmt.Sprintf("AP at T=1 %s, T=2 %s, T=3 %s.", pct(t1), pct(t2), pct(t3))
			cl.Verdict = combine(v1, v3)
		}
		out = append(out, cl)
		// mIoU preserved.
		mA, mB := r.Lookup(ds, VariantNFlowJS, "js", MetricMIoU), r.Lookup(ds, ModelClosed, "msp", MetricMIoU)
		cm := Claim{Claim: fmt.Sprintf("Joint training keeps closed-set segmentation quality (mIoU drop at most 1 point) (%s)", ds)}
		if mA.N == 0 || mB.N == 0 {
			cm.Verdict, cm.Evidence = NotMeasured, "One of the runs is missing."
		} else {
			drop := 100 * (mB.Mean - mA.Mean)
			cm.Verdict = map[bool]string{true: Holds, false: DoesNotHold}[drop <= 1]
			cm.Evidence = fmt.Sprintf("mIoU %s after joint training vs %s after stage 1 (drop %.1f points).", pct(mA), pct(mB), drop)
		}
		out = append(out, cm)
		// The paper's case for the bounded JS loss: it disturbs the
		// classifier less than KL on the same negatives.
		kA, kB := r.Lookup(ds, VariantNFlowJS, "js", MetricMIoU), r.Lookup(ds, VariantKL, "kl", MetricMIoU)
		ck := Claim{Claim: fmt.Sprintf("The JS loss keeps more segmentation quality than the KL loss (mIoU, Table 7) (%s)", ds)}
		if v, ok := better(kA, kB, false); !ok {
			ck.Verdict, ck.Evidence = NotMeasured, "One of the runs is missing."
		} else {
			ck.Verdict = map[int]string{1: Holds, 0: Inconclusive, -1: DoesNotHold}[v]
			ck.Evidence = fmt.Sprintf("mIoU %s (JS) vs %s (KL).", pct(kA), pct(kB))
		}
		out = append(out, ck)
	}
	if t := r.Toy; t != nil {
		c := Claim{Claim: "In 2-D, training on flow negatives bounds the confident region, unlike max-softmax (Figure 2)"}
		c.Evidence = fmt.Sprintf("Toy AUROC %.1f (NFlowJS) vs %.1f (MSP), FPR95 %.1f vs %.1f.", 100*t.NFlowJS.AUROC, 100*t.MSP.AUROC, 100*t.NFlowJS.FPR95, 100*t.MSP.FPR95)
		c.Verdict = map[bool]string{true: Holds, false: DoesNotHold}[t.NFlowJS.AUROC > t.MSP.AUROC && t.NFlowJS.FPR95 < t.MSP.FPR95]
		out = append(out, c)
		c2 := Claim{Claim: "In 2-D, the gradient of L_neg into the flow (joint training) helps beyond a frozen pre-trained flow"}
		d := t.NFlowJS.AUROC - t.Frozen.AUROC
		c2.Evidence = fmt.Sprintf("Toy AUROC %.1f (joint flow) vs %.1f (frozen flow).", 100*t.NFlowJS.AUROC, 100*t.Frozen.AUROC)
		// One seed: differences under a point of AUROC are noise; several
		// seeds: the std-sum rule of better().
		tol := 0.01
		if len(t.Seeds) > 1 {
			tol = t.NFlowJSStd.AUROC + t.FrozenStd.AUROC
		}
		switch {
		case math.Abs(d) < tol:
			c2.Verdict = Inconclusive
			if math.Abs(d) < 0.01 {
				c2.Evidence += " In 2-D the negatives' coverage comes mostly from the flow's NLL fit and the latent temperature."
			} else {
				c2.Evidence += fmt.Sprintf(" The seeds disagree (std %.1f joint, %.1f frozen).", 100*t.NFlowJSStd.AUROC, 100*t.FrozenStd.AUROC)
			}
		case d > 0:
			c2.Verdict = Holds
		default:
			c2.Verdict = DoesNotHold
		}
		out = append(out, c2)
	}
	return out
}

// WriteReport writes REPORT.md and results.json into dir.
func WriteReport(dir string, r *Results, figs []Figure) error {
	if err := WriteResults(filepath.Join(dir, ResultsFile), r); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ReportFile), []byte(RenderReport(r, figs))); err != nil {
		return fmt.Errorf("experiment: writing %s: %w", filepath.Join(dir, ReportFile), err)
	}
	return nil
}
