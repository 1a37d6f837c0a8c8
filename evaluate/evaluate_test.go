package evaluate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/dataset/synth"
	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// fixtureDir holds a tiny procedural road dataset (32x64 images: 4 train,
// 3 val, 4 test) generated once for the package's tests.
var fixtureDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "evaluate-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtureDir = filepath.Join(dir, "road")
	err = synth.Generate(context.Background(), synth.Config{Kind: "road", Out: fixtureDir, Seed: 3,
		Train: 4, Val: 3, Test: 4, Height: 32, Width: 64})
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "generating the fixture:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func openSplit(t testing.TB, name string) *dataset.Split {
	t.Helper()
	ds, err := dataset.Open(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ds.Split(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tinyModel is a very small seg model (stride 16) with head dropout, so
// every score can run on it.
func tinyModel(t testing.TB, classes int) *seg.Model {
	t.Helper()
	cfg := seg.Config{NumClasses: classes, StemWidth: 8, Growth: 4, BlockLayers: []int{1, 2, 1}, Bottleneck: 2,
		Compression: 0.5, SPPWidth: 8, SPPGrids: []int{1, 2}, DecoderWidth: 8, Dropout: 0.2}
	m, err := seg.New(cfg, rand.New(rand.NewPCG(5, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func tinyInfo(m *seg.Model) Info {
	return Info{Name: "tiny", NumClasses: m.Config().NumClasses, Mean: dataset.DefaultMean, Std: dataset.DefaultStd}
}

// direct recomputes, independently of RunModel's plumbing, the score maps
// and labels of a split one image at a time: images come from the dataset
// loader, logits from the model, scores from package ood.
type direct struct {
	images []*tensor.Tensor // the normalised images, one per entry
	logits []*tensor.Tensor // one per image
	labels [][]uint8        // dataset labels per image
	meta   *dataset.Meta
}

func loadDirect(t *testing.T, m ood.Model, s *dataset.Split) *direct {
	t.Helper()
	l, err := dataset.NewLoader(s, dataset.LoaderConfig{BatchSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	it := l.Epoch(context.Background(), 0)
	defer it.Close()
	d := &direct{meta: s.Meta}
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			return d
		}
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.FromData(b.Images, 1, 3, b.H, b.W)
		lg, err := m.Logits(x)
		if err != nil {
			t.Fatal(err)
		}
		d.images = append(d.images, x)
		d.logits = append(d.logits, lg)
		d.labels = append(d.labels, b.Labels)
	}
}

// scores returns the concatenated score maps of kind and the OOD labels
// (1 anomaly, 0 inlier, 255 void).
func (d *direct) scores(t *testing.T, kind ood.Kind, T float32) ([]float32, []uint8) {
	var s []float32
	var l []uint8
	for i, lg := range d.logits {
		m, err := ood.Compute(kind, lg, T)
		if err != nil {
			t.Fatal(err)
		}
		s = append(s, m.Data...)
		for _, v := range d.labels[i] {
			switch int(v) {
			case d.meta.AnomalyLabel:
				l = append(l, 1)
			case d.meta.IgnoreLabel:
				l = append(l, 255)
			default:
				l = append(l, 0)
			}
		}
	}
	return s, l
}

// gt returns closed-set (open = false) or open-set ground truth.
func (d *direct) gt(i, k int, open bool) []uint8 {
	out := make([]uint8, len(d.labels[i]))
	for j, v := range d.labels[i] {
		switch {
		case int(v) < k:
			out[j] = v
		case open && int(v) == d.meta.AnomalyLabel:
			out[j] = uint8(k)
		default:
			out[j] = 255
		}
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9 }

var logitKinds = []struct {
	name string
	kind ood.Kind
	T    float32
}{
	{"msp", ood.MSP, 1}, {"maxlogit", ood.MaxLogit, 1}, {"entropy", ood.Entropy, 1}, {"energy", ood.Energy, 1},
	{"kl", ood.KLUniform, 2}, {"js", ood.NFlowJS, 2}, {"msp@10", ood.MSP, 10},
}

// RunModel's AP, FPR95, AUROC, mIoU and open-mIoU equal the metrics
// package applied to directly computed scores, for both protocols and
// with batching that leaves a partial last batch.
func TestRunMatchesMetricsPackage(t *testing.T) {
	m := tinyModel(t, 13)
	test, val := openSplit(t, "test"), openSplit(t, "val")
	var names []string
	for _, c := range logitKinds {
		names = append(names, c.name)
	}
	dt, dv := loadDirect(t, m, test), loadDirect(t, m, val)
	hw := test.Meta.Extra["size"].([]any)
	imageSize := int(hw[0].(float64)) * int(hw[1].(float64))
	for _, proto := range []metrics.Protocol{metrics.Pooled, metrics.PerImage} {
		rep, err := RunModel(m, tinyInfo(m), test, Options{Scores: names, BatchSize: 3, Protocol: proto, CalibSplit: val})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Images != 4 || len(rep.Scores) != len(names) {
			t.Fatalf("report: %d images, %d scores", rep.Images, len(rep.Scores))
		}
		// Closed-set mIoU.
		conf := metrics.NewConfusion(13)
		for i, lg := range dt.logits {
			arg, _ := ood.Argmax(lg)
			pred := make([]uint8, len(arg))
			for j, c := range arg {
				pred[j] = uint8(c)
			}
			if err := conf.Add(dt.gt(i, 13, false), pred, 255); err != nil {
				t.Fatal(err)
			}
		}
		if !near(rep.MIoU, conf.MIoU()) {
			t.Errorf("mIoU %v, direct %v", rep.MIoU, conf.MIoU())
		}
		for i, c := range logitKinds {
			got := rep.Scores[i]
			s, l := dt.scores(t, c.kind, c.T)
			want, err := metrics.Evaluate(s, l, imageSize, metrics.Options{Ignore: 255, Protocol: proto})
			if err != nil {
				t.Fatal(err)
			}
			if got.Score != c.name || !near(got.AP, want.AP) || !near(got.FPR95, want.FPR95) || !near(got.AUROC, want.AUROC) {
				t.Errorf("%v %s: got %s AP %v FPR95 %v AUROC %v, want AP %v FPR95 %v AUROC %v",
					proto, c.name, got.Score, got.AP, got.FPR95, got.AUROC, want.AP, want.FPR95, want.AUROC)
			}
			if proto == metrics.Pooled && (rep.Pixels != want.Pixels || rep.Anomalies != want.Positives) {
				t.Errorf("pixels %d/%d, want %d/%d", rep.Pixels, rep.Anomalies, want.Pixels, want.Positives)
			}
			// Open-mIoU: threshold at TPR 95% on val, fused test predictions.
			vs, vl := dv.scores(t, c.kind, c.T)
			thr, err := ood.CalibrateThreshold(vs, vl, 255, 0.95)
			if err != nil {
				t.Fatal(err)
			}
			if got.Threshold == nil || *got.Threshold != thr {
				t.Fatalf("%s: threshold %v, want %v", c.name, got.Threshold, thr)
			}
			open := metrics.NewConfusion(14)
			flagged, pixels, over := 0, 0, 0
			for j, lg := range dt.logits {
				sm, _ := ood.Compute(c.kind, lg, c.T)
				n := 0
				for _, v := range sm.Data {
					if v > thr {
						n++
					}
				}
				flagged, pixels = flagged+n, pixels+len(sm.Data)
				if 2*n > len(sm.Data) {
					over++
				}
				fused, err := ood.Fuse(lg, sm, thr)
				if err != nil {
					t.Fatal(err)
				}
				if err := open.Add(dt.gt(j, 13, true), fused, 255); err != nil {
					t.Fatal(err)
				}
			}
			if got.FlaggedFraction == nil || !near(*got.FlaggedFraction, float64(flagged)/float64(pixels)) || got.OverFlagged != over {
				t.Errorf("%s: flagged %v over %d, want %v over %d", c.name, got.FlaggedFraction, got.OverFlagged, float64(flagged)/float64(pixels), over)
			}
			wantOpen, _ := open.OpenMIoU(13)
			if got.OpenMIoU == nil || !near(*got.OpenMIoU, wantOpen) {
				t.Errorf("%s: open-mIoU %v, want %v", c.name, got.OpenMIoU, wantOpen)
			}
		}
	}
}

// The model-based baselines run through RunModel, agree with the ood
// scorers applied directly, and are deterministic; MC dropout's test scores
// do not depend on a preceding calibration pass.
func TestRunModelScores(t *testing.T) {
	m := tinyModel(t, 13)
	test, val, train := openSplit(t, "test"), openSplit(t, "val"), openSplit(t, "train")
	opt := Options{Scores: []string{"odin", "mcdropout@3", "react@0.99", "react", "sml", "mahalanobis", "vim", "knn@3", "rba"}, BatchSize: 4,
		FitSplit: train, ODINEps: 0.01, Seed: 7}
	a, err := RunModel(m, tinyInfo(m), test, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.CalibSplit = val
	b, err := RunModel(m, tinyInfo(m), test, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Scores {
		x, y := a.Scores[i], b.Scores[i]
		if x.AP != y.AP || x.FPR95 != y.FPR95 || x.AUROC != y.AUROC {
			t.Errorf("%s differs between runs: %+v vs %+v", x.Score, x, y)
		}
		if x.OpenMIoU != nil || y.OpenMIoU == nil {
			t.Errorf("%s: open-mIoU without calibration %v, with %v", x.Score, x.OpenMIoU, y.OpenMIoU)
		}
	}
	if got := a.Scores[0].Detail; got != "odin(T=1000,eps=0.01)" {
		t.Errorf("odin detail %q", got)
	}
	if got := a.Scores[1].Detail; got != "mcdropout(K=3,entropy)" {
		t.Errorf("mcdropout detail %q", got)
	}

	// ODIN directly on the whole test split in one batch.
	dt := loadDirect(t, m, test)
	l, _ := dataset.NewLoader(test, dataset.LoaderConfig{BatchSize: 4})
	it := l.Epoch(context.Background(), 0)
	batch, err := it.Next()
	it.Close()
	if err != nil {
		t.Fatal(err)
	}
	sm, err := ood.ODIN{T: 1000, Eps: 0.01}.ScoreImages(m, tensor.FromData(batch.Images, 4, 3, batch.H, batch.W))
	if err != nil {
		t.Fatal(err)
	}
	_, labels := dt.scores(t, ood.MSP, 1)
	want, err := metrics.Evaluate(sm.Data, labels, len(sm.Data), metrics.Options{Ignore: 255})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Scores[0]; !near(got.AP, want.AP) || !near(got.AUROC, want.AUROC) || !near(got.FPR95, want.FPR95) {
		t.Errorf("odin: got %+v, want %+v", got, want)
	}
}

func TestRunErrors(t *testing.T) {
	m := tinyModel(t, 13)
	test, train := openSplit(t, "test"), openSplit(t, "train")
	cases := []struct {
		name string
		run  func() error
		want string
	}{
		{"unknown score", func() error {
			_, err := RunModel(m, tinyInfo(m), test, Options{Scores: []string{"msp", "bogus"}})
			return err
		}, `unknown score "bogus"`},
		{"bad parameter", func() error {
			_, err := RunModel(m, tinyInfo(m), test, Options{Scores: []string{"react@1.5"}})
			return err
		}, "percentile"},
		{"duplicate", func() error {
			_, err := RunModel(m, tinyInfo(m), test, Options{Scores: []string{"js", "nflowjs"}})
			return err
		}, "twice"},
		{"class mismatch", func() error {
			m5 := tinyModel(t, 5)
			_, err := RunModel(m5, tinyInfo(m5), test, Options{Scores: []string{"msp"}})
			return err
		}, "class-count mismatch: the model has 5 classes"},
		{"lying info", func() error {
			info := tinyInfo(m)
			info.NumClasses = 12
			ds := *test
			meta := *test.Meta
			meta.Classes = meta.Classes[:12]
			ds.Meta = &meta
			_, err := RunModel(m, info, &ds, Options{Scores: []string{"msp"}})
			return err
		}, "returns 13 logits"},
		{"missing split", func() error {
			_, err := RunModel(m, tinyInfo(m), nil, Options{})
			return err
		}, "no evaluation split"},
		{"no fit split", func() error {
			_, err := RunModel(m, tinyInfo(m), test, Options{Scores: []string{"react"}})
			return err
		}, "fit split"},
		{"no anomalies", func() error {
			_, err := RunModel(m, tinyInfo(m), train, Options{Scores: []string{"msp"}})
			return err
		}, "no anomaly pixels"},
		{"calibrate without anomalies", func() error {
			_, err := CalibrateModel(m, tinyInfo(m), train, "js", Options{})
			return err
		}, "no anomaly pixels"},
	}
	for _, c := range cases {
		err := c.run()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "evaluate: ") {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// Segmentation only works on a split without anomalies.
	rep, err := RunModel(m, tinyInfo(m), train, Options{})
	if err != nil || rep.Images != 4 || len(rep.ClassIoU) != 13 {
		t.Errorf("segmentation-only run: %v %+v", err, rep)
	}
}

// Calibrate stores the threshold in model.json; a reloaded bundle uses it
// for open-mIoU, giving the same value as calibrating during the run.
func TestCalibrateRoundTrip(t *testing.T) {
	m := tinyModel(t, 13)
	val, test := openSplit(t, "val"), openSplit(t, "test")
	dir := t.TempDir()
	info := seg.NewInfo(m, val.Meta.Classes, "msp", "closed")
	if err := seg.SaveBundle(dir, m, info); err != nil {
		t.Fatal(err)
	}
	b, err := seg.LoadBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Calibrate(b, val, "js@1.5", 0.9, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Score != "js" || c.Temperature != 1.5 || c.TPR != 0.9 || c.CalibratedOn != "synth-road val TPR 0.9" {
		t.Errorf("calibration %+v", c)
	}
	// The threshold is ood.CalibrateThreshold's on directly computed
	// scores, and flags at least 90% of the val anomaly pixels.
	dv := loadDirect(t, b.Model, val)
	s, l := dv.scores(t, ood.NFlowJS, 1.5)
	want, _ := ood.CalibrateThreshold(s, l, 255, 0.9)
	if c.Threshold != want {
		t.Errorf("threshold %v, want %v", c.Threshold, want)
	}
	var pos, hit int
	for i, v := range l {
		if v == 1 {
			pos++
			if s[i] > c.Threshold {
				hit++
			}
		}
	}
	if float64(hit) < 0.9*float64(pos) {
		t.Errorf("threshold flags %d of %d anomaly pixels", hit, pos)
	}

	b2, err := seg.LoadBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b2.Info.Threshold == nil || *b2.Info.Threshold != c.Threshold || b2.Info.Score != "js" ||
		b2.Info.Temperature != 1.5 || b2.Info.CalibratedOn != c.CalibratedOn {
		t.Fatalf("reloaded info: score %q T %v threshold %v on %q", b2.Info.Score, b2.Info.Temperature, b2.Info.Threshold, b2.Info.CalibratedOn)
	}
	stored, err := Run(b2, test, Options{Scores: []string{"js@1.5", "js"}})
	if err != nil {
		t.Fatal(err)
	}
	if stored.Scores[0].OpenMIoU == nil || !strings.HasPrefix(stored.Scores[0].ThresholdSource, "model.json") {
		t.Fatalf("stored threshold unused: %+v", stored.Scores[0])
	}
	if stored.Scores[1].OpenMIoU != nil {
		t.Errorf("threshold of js@1.5 applied to js at T=2")
	}
	fresh, err := Run(b2, test, Options{Scores: []string{"js@1.5"}, CalibSplit: val, TPR: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	if *fresh.Scores[0].Threshold != c.Threshold || *fresh.Scores[0].OpenMIoU != *stored.Scores[0].OpenMIoU {
		t.Errorf("open-mIoU from model.json %v, calibrated in the run %v", *stored.Scores[0].OpenMIoU, *fresh.Scores[0].OpenMIoU)
	}
}

func TestReportFormats(t *testing.T) {
	open := 0.5
	thr := float32(-0.1)
	rep := &Report{Dataset: "synth-road", Split: "test", Protocol: "pooled", Engine: "exact", Images: 2, MIoU: 0.75,
		Scores: []ScoreResult{{Score: "js", Detail: "nflowjs(T=2)", AP: 0.5, FPR95: 0.25, AUROC: 0.9, OpenMIoU: &open, Threshold: &thr},
			{Score: "msp", Detail: "msp(T=1)", AP: 0.125}}}
	var sb strings.Builder
	if err := rep.WriteTable(&sb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"closed-set mIoU 75.00%", "js", "50.00", "25.00", "90.00", "12.50", "nflowjs(T=2)"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, sb.String())
		}
	}
	rows := rep.Rows()
	if len(rows) != 2 || rows[0].MIoU != 0.75 || *rows[0].OpenMIoU != 0.5 || rows[1].OpenMIoU != nil {
		t.Errorf("rows %+v", rows)
	}
}

// The streaming engine stays within its reported bound of the exact one.
func TestRunStreamingEngine(t *testing.T) {
	m := tinyModel(t, 13)
	test := openSplit(t, "test")
	opt := Options{Scores: []string{"js", "energy"}}
	ex, err := RunModel(m, tinyInfo(m), test, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Engine = metrics.EngineStreaming
	st, err := RunModel(m, tinyInfo(m), test, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range st.Scores {
		e := ex.Scores[i]
		if s.Bounds == nil {
			t.Fatalf("%s: no error bound", s.Score)
		}
		if math.Abs(s.AP-e.AP) > s.Bounds.AP+1e-12 || math.Abs(s.AUROC-e.AUROC) > s.Bounds.AUROC+1e-12 ||
			math.Abs(s.FPR95-e.FPR95) > s.Bounds.FPR95+1e-12 {
			t.Errorf("%s: streaming %+v, exact %+v", s.Score, s, e)
		}
	}
	if st.Engine != "streaming" || ex.Engine != "exact" {
		t.Errorf("engines %q %q", st.Engine, ex.Engine)
	}
}

// TestCalibrateFPR: with Options.FPR the threshold is ood.
// CalibrateThresholdFPR's on the val inlier pixels, flags at most that
// share of them, and the provenance says so.
func TestCalibrateFPR(t *testing.T) {
	m := tinyModel(t, 13)
	val := openSplit(t, "val")
	dir := t.TempDir()
	if err := seg.SaveBundle(dir, m, seg.NewInfo(m, val.Meta.Classes, "js", "joint")); err != nil {
		t.Fatal(err)
	}
	b, err := seg.LoadBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Calibrate(b, val, "js", 0.95, Options{FPR: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if c.FPR != 0.05 || c.TPR != 0 || c.CalibratedOn != "synth-road val FPR 0.05 (inlier pixels)" {
		t.Errorf("calibration %+v", c)
	}
	s, l := loadDirect(t, b.Model, val).scores(t, ood.NFlowJS, 2)
	want, _ := ood.CalibrateThresholdFPR(s, l, 255, 0.05)
	if c.Threshold != want {
		t.Errorf("threshold %v, want %v", c.Threshold, want)
	}
	var neg, flagged int
	for i, v := range l {
		if v == 0 {
			neg++
			if s[i] > c.Threshold {
				flagged++
			}
		}
	}
	if float64(flagged) > 0.05*float64(neg) {
		t.Errorf("threshold flags %d of %d inlier pixels", flagged, neg)
	}
}

// TestRunFPRCalibration: with Options.FPR, open-mIoU's threshold is the
// FPR one of the val inliers and the flagged share is reported with it.
func TestRunFPRCalibration(t *testing.T) {
	m := tinyModel(t, 13)
	val, test := openSplit(t, "val"), openSplit(t, "test")
	rep, err := RunModel(m, tinyInfo(m), test, Options{Scores: []string{"js"}, CalibSplit: val, FPR: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Scores[0]
	s, l := loadDirect(t, m, val).scores(t, ood.NFlowJS, 2)
	want, _ := ood.CalibrateThresholdFPR(s, l, 255, 0.05)
	if r.Threshold == nil || *r.Threshold != want || r.ThresholdSource != "synth-road val FPR 0.05 (inlier pixels)" || r.FlaggedFraction == nil {
		t.Errorf("threshold %v (want %v), source %q, flagged %v", r.Threshold, want, r.ThresholdSource, r.FlaggedFraction)
	}
}
