package experiment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/results_fixture.json is a hand-written results.json: two seeds
// of the stage-1, NFlowJS and noise models on road, one KL run, a failed
// step and a toy result, with values chosen so every verdict kind occurs.

func loadFixture(t *testing.T) *Results {
	t.Helper()
	r, err := ReadResults(filepath.Join("testdata", "results_fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRenderReportFromFixture(t *testing.T) {
	r := loadFixture(t)
	md := RenderReport(r, []Figure{{Path: "figures/x.png", Caption: "A figure"}})
	for _, want := range []string{
		"suite `paper`, profile `quick`",
		"commit abc123",
		"These numbers come from a short run",
		"| MSP | 10.5 ± 0.7 | 59.5 ± 0.7 | 80.0 ± 0.0 | 70.0 ± 0.0 | 50.0 ± 0.0 |",
		"| **NFlowJS** (flow negatives, JS, T=2) | 30.5 ± 0.7 | 19.5 ± 0.7 | 95.0 ± 0.0 | 69.5 ± 0.0 | 60.0 ± 0.0 |",
		"| Outlier exposure: real auxiliary patches (JS) | — | — | — | — | — |",
		"| KL – KL | 20.0 | 30.0 | 90.0 |",
		"| 1.5 | 28.0 ± 0.0 | 22.0 ± 0.0 | 94.0 ± 0.0 | — | — |",
		"`joint-road-rkl-s1` failed: experiment: step joint-road-rkl-s1: boom",
		"![A figure](figures/x.png)",
		"| **NFlowJS classifier, JS** | 98.0 | 5.0 | 99.0 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(md, "## Table 9") {
		t.Error("Table 9 rendered without any of its runs")
	}
	if t.Failed() {
		t.Log(md)
	}
}

func TestClaimsFromFixture(t *testing.T) {
	verdicts := map[string]string{}
	for _, c := range loadFixture(t).Claims() {
		verdicts[c.Claim] = c.Verdict + " | " + c.Evidence
	}
	want := map[string]string{
		"NFlowJS detects anomalies better than the stage-1 max-softmax baseline (road)":                       Holds + " | AP 30.5 ± 0.7 vs 10.5 ± 0.7, FPR95 19.5 ± 0.7 vs 59.5 ± 0.7. The stronger goal (AP at least 2×, FPR95 at most half) is met.",
		"Flow negatives beat uniform-noise negatives (Table 8) (road)":                                        Holds, // AP within the seed spread, FPR95 better
		"The JS loss and score beat the KL loss and score (Table 7, JSD-JSD vs KL-KL) (road)":                 Holds,
		"The JS loss beats the KL loss with the same MSP score (Table 7, JSD-MSP vs KL-MSP) (road)":           DoesNotHold,
		"Synthetic flow negatives beat real auxiliary negatives from another domain (Table 4) (road)":         NotMeasured,
		"Temperature T = 2 improves JS scoring over T = 1, and larger T is worse (Table 10) (road)":           Holds,
		"Joint training keeps closed-set segmentation quality (mIoU drop at most 1 point) (road)":             Holds,
		"In 2-D, training on flow negatives bounds the confident region, unlike max-softmax (Figure 2)":       Holds,
		"In 2-D, the gradient of L_neg into the flow (joint training) helps beyond a frozen pre-trained flow": Inconclusive,
		"NFlowJS beats every post-hoc and model-based baseline in AP (road)":                                  Holds,
		"The JS loss keeps more segmentation quality than the KL loss (mIoU, Table 7) (road)":                 Inconclusive + " | mIoU 69.5 ± 0.0 (JS) vs 68.0 (KL).", // 1.5 points < 3% of 69.5
	}
	for claim, w := range want {
		got, ok := verdicts[claim]
		if !ok {
			t.Errorf("claim %q missing", claim)
			continue
		}
		if strings.Contains(w, " | ") {
			if got != w {
				t.Errorf("%s:\n got %s\nwant %s", claim, got, w)
			}
		} else if !strings.HasPrefix(got, w+" | ") {
			t.Errorf("%s: got %s, want %s", claim, got, w)
		}
	}
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	r := loadFixture(t)
	if err := WriteReport(dir, r, nil); err != nil {
		t.Fatal(err)
	}
	back, err := ReadResults(filepath.Join(dir, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if back.Lookup("road", VariantNFlowJS, "js", MetricAP) != r.Lookup("road", VariantNFlowJS, "js", MetricAP) {
		t.Fatal("results.json does not round-trip")
	}
	if b, err := os.ReadFile(filepath.Join(dir, ReportFile)); err != nil || !strings.HasPrefix(string(b), "# NFlowJS reproduction report") {
		t.Fatalf("REPORT.md: %v", err)
	}
}

func TestParseEval(t *testing.T) {
	// The shape `nflowjs eval --json` prints.
	rows, err := ParseEval([]byte(`[{"model":"m","dataset":"synth-road","split":"test","score":"js","detail":"nflowjs(T=2)",
		"ap":0.25,"fpr95":0.3,"auroc":0.9,"miou":0.7,"open_miou":0.6,"threshold":-0.1,"images":2,"ms_per_image":0.4,"forward_ms_per_image":3.5},
		{"score":"msp","ap":0.1,"fpr95":0.6,"auroc":0.8,"miou":0.7}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Score != "js" || rows[0].AP != 0.25 || *rows[0].OpenMIoU != 0.6 || rows[0].MsPerImage != 0.4 || rows[1].OpenMIoU != nil {
		t.Fatalf("rows %+v", rows)
	}
	if v, ok := MetricTotalMs.of(rows[0]); !ok || v != 3.9 || rows[1].ForwardMs != 0 {
		t.Fatalf("rows %+v", rows)
	}
	// Tolerated variants: an object with a scores list, other key
	// spellings, percentages.
	rows, err = ParseEval([]byte(`{"Scores":[{"Score":"js","AP":25,"FPR_95":30,"AUROC":"90","mIoU":70,"openMIoU":60}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[0]; r.AP != 0.25 || r.FPR95 != 0.3 || r.AUROC != 0.9 || r.MIoU != 0.7 || *r.OpenMIoU != 0.6 {
		t.Fatalf("tolerant parse %+v", r)
	}
	for name, bad := range map[string]string{
		"empty":      ``,
		"table text": `score  AP  FPR95`,
		"no rows":    `[]`,
		"no name":    `[{"ap":0.1,"fpr95":0.2,"auroc":0.3}]`,
		"no ap":      `[{"score":"js","fpr95":0.2,"auroc":0.3}]`,
		"ap string":  `[{"score":"js","ap":"high","fpr95":0.2,"auroc":0.3}]`,
		"no list":    `{"model":"x"}`,
	} {
		if _, err := ParseEval([]byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "experiment:") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

func TestPaperSuitePlans(t *testing.T) {
	for _, name := range ProfileNames() {
		p, _ := GetProfile(name)
		plan, err := PaperSuite(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := plan.Keys(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if plan.Step("eval-road-nflowjs-s1") == nil || plan.Step("joint-road-nflowjs-s1") == nil {
			t.Errorf("%s: no NFlowJS steps", name)
		}
	}
	p, _ := GetProfile("quick")
	plan, _ := PaperSuite(p)
	real := plan.Step("joint-road-real-s1")
	if real == nil || !strings.Contains(strings.Join(real.Args, " "), "--negatives real:{dep:data-aerial}/train/images") {
		t.Fatalf("real-negatives step %+v", real)
	}
	if _, err := GetProfile("huge"); err == nil {
		t.Error("unknown profile accepted")
	}
}

func TestRenderDemoReport(t *testing.T) {
	r := loadFixture(t)
	r.Suite, r.Profile = "demo", "demo"
	md := RenderReport(r, nil)
	for _, want := range []string{"# nflowjs demo report", "These numbers come from a short run", "## What the numbers say",
		"| **NFlowJS** (flow negatives, JS, T=2) | 30.5 ± 0.7 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("demo report lacks %q", want)
		}
	}
	for _, absent := range []string{"## Table 7", "| ODIN |", "not measured"} {
		if strings.Contains(md, absent) {
			t.Errorf("demo report contains %q", absent)
		}
	}
}

func TestCombine(t *testing.T) {
	for _, c := range []struct {
		a, b int
		want string
	}{{1, 1, Holds}, {1, 0, Holds}, {0, 1, Holds}, {-1, -1, DoesNotHold}, {0, -1, DoesNotHold}, {0, 0, Inconclusive}, {1, -1, Mixed}, {-1, 1, Mixed}} {
		if got := combine(c.a, c.b); got != c.want {
			t.Errorf("combine(%d, %d) = %s, want %s", c.a, c.b, got, c.want)
		}
	}
	// Single seed: half a point (or 3%) is noise; several seeds: the spread.
	one := func(v float64) Stat { return Stat{Mean: v, N: 1} }
	if v, _ := better(one(0.104), one(0.100), false); v != 0 {
		t.Errorf("0.4 point single-seed difference: %d", v)
	}
	if v, _ := better(one(0.12), one(0.10), false); v != 1 {
		t.Errorf("2 point single-seed difference: %d", v)
	}
	if v, _ := better(one(0.51), one(0.52), true); v != 0 {
		t.Errorf("FPR95 1 point of 52 (under 3%%): %d", v)
	}
	if v, _ := better(Stat{0.30, 0.05, 3}, Stat{0.25, 0.01, 3}, false); v != 0 {
		t.Errorf("within the seed spread: %d", v)
	}
	// Several seeds against one run (full profile: joint seeds vs the one
	// stage-1 model): the multi-seed row's spread still counts.
	if v, _ := better(Stat{0.20, 0.06, 3}, one(0.15), false); v != 0 {
		t.Errorf("5 points within a 6-point spread against one run: %d", v)
	}
	if v, _ := better(Stat{0.20, 0.01, 3}, one(0.15), false); v != 1 {
		t.Errorf("5 points beyond a 1-point spread against one run: %d", v)
	}
}
