package fleet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/evaluate"
	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/models/seg/segtest"
)

// Tests run the pipelines on Beam's embedded Prism runner.
func TestMain(m *testing.M) { ptest.MainWithDefault(m, "prism") }

// fixture generates a small procedural road dataset and saves a
// randomly initialised tiny bundle for it.
func fixture(t *testing.T) (data, model string) {
	return segtest.RoadBundle(t, 2, 2, 6, 7, "js")
}

func run(t *testing.T, cfg Config, frames []Frame) {
	t.Helper()
	p, s := beam.NewPipelineWithRoot()
	Build(s, cfg, frames)
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// The pipeline's dataset metrics are `nflowjs eval`'s (evaluate.RunModel),
// bit for bit, under the exact and the SMIYC protocols; it writes the
// per-image outputs and a mining list.
func TestPipelineMatchesEval(t *testing.T) {
	data, model := fixture(t)
	b, err := seg.LoadBundle(model)
	if err != nil {
		t.Fatal(err)
	}
	split, err := openSplit(data, "test")
	if err != nil {
		t.Fatal(err)
	}
	info := evaluate.Info{Name: "m", NumClasses: b.Info.Config.NumClasses, Mean: b.Info.Mean, Std: b.Info.Std}
	for _, proto := range []string{"exact", "smiyc", "smiyc-uniform"} {
		p, _ := metrics.ParseProtocol(proto)
		rep, err := evaluate.RunModel(b.Model, info, split, evaluate.Options{Scores: []string{"js"}, Protocol: p})
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), proto)
		cfg := Config{Model: model, Data: data, Split: "test", Protocol: proto, Out: out, WriteFrames: proto == "exact", TopN: 3}
		frames, err := Frames(cfg, "", "")
		if err != nil {
			t.Fatal(err)
		}
		run(t, cfg, frames)
		var got Metrics
		readJSON(t, filepath.Join(out, "metrics.json"), &got)
		want := rep.Scores[0]
		if got.AP != want.AP || got.FPR95 != want.FPR95 || got.AUROC != want.AUROC || got.Images != 6 || got.Failed != 0 {
			t.Errorf("%s: pipeline %+v, eval AP %v FPR95 %v AUROC %v", proto, got, want.AP, want.FPR95, want.AUROC)
		}
		var top []Mined
		readJSON(t, filepath.Join(out, "top.json"), &top)
		if len(top) != 3 || top[0].TopScore < top[2].TopScore {
			t.Errorf("%s: top list %+v", proto, top)
		}
		if proto == "exact" {
			for _, f := range []string{"00000000_00000_score.npy", "00000005_00005.json", "00000005_00005_ood.png"} {
				if _, err := os.Stat(filepath.Join(out, "frames", f)); err != nil {
					t.Error(err)
				}
			}
		}
	}
}

// A corrupt image and a label of the wrong size land in the dead-letter
// list with their reasons; the rest is scored and counted.
func TestPipelineDeadLetters(t *testing.T) {
	data, model := fixture(t)
	dir := t.TempDir()
	imgs, _ := filepath.Glob(filepath.Join(data, "test", "images", "*.png"))
	corrupt := filepath.Join(dir, "corrupt.png")
	os.WriteFile(corrupt, []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
	small := filepath.Join(dir, "small.png")
	tiny := &dataset.Image{W: 2, H: 2, Pix: make([]uint8, 12)}
	var buf bytes.Buffer
	if err := dataset.EncodePNG(&buf, tiny); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(small, buf.Bytes(), 0o644)
	list := filepath.Join(dir, "list.txt")
	lines := []string{imgs[0], corrupt, imgs[1] + "\t" + small, imgs[2]}
	os.WriteFile(list, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	out := filepath.Join(dir, "out")
	cfg := Config{Model: model, Out: out, TopN: 10}
	frames, err := Frames(cfg, "", list)
	if err != nil {
		t.Fatal(err)
	}
	run(t, cfg, frames)
	var rep Report
	readJSON(t, filepath.Join(out, "report.json"), &rep)
	if rep.Scored != 2 || rep.Failed != 2 || len(rep.Top) != 2 {
		t.Fatalf("scored %d failed %d top %d", rep.Scored, rep.Failed, len(rep.Top))
	}
	f, _ := os.Open(filepath.Join(out, "dead_letters.jsonl"))
	defer f.Close()
	var dead []DeadLetter
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var d DeadLetter
		json.Unmarshal(sc.Bytes(), &d)
		dead = append(dead, d)
	}
	if len(dead) != 2 || dead[0].Image != corrupt || dead[1].Key != 2 ||
		!strings.Contains(dead[0].Reason, "corrupt.png") || !strings.Contains(dead[1].Reason, "2x2") {
		t.Fatalf("dead letters %+v", dead)
	}
	if _, err := os.Stat(filepath.Join(out, "metrics.json")); !os.IsNotExist(err) {
		t.Errorf("metrics.json written without labels (%v)", err)
	}
}

func TestFramesNeedsOneInput(t *testing.T) {
	if _, err := Frames(Config{}, "", ""); err == nil {
		t.Error("no input accepted")
	}
	if _, err := Frames(Config{Data: "x"}, "*.png", ""); err == nil {
		t.Error("two inputs accepted")
	}
	if _, err := Frames(Config{}, filepath.Join(t.TempDir(), "*.png"), ""); err == nil || !strings.Contains(err.Error(), "no image") {
		t.Errorf("empty glob: %v", err)
	}
}
