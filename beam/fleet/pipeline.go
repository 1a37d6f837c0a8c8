package fleet

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/nflowjs/nflowjs/internal/atomicfile"
)

// Frames lists the input elements: the dataset split's samples (Data and
// Split), the files matching a glob, or the lines of a list file
// ("IMAGE" or "IMAGE<TAB>LABEL", LABEL a binary label PNG); exactly one
// source. An empty input is an error.
func Frames(cfg Config, glob, list string) ([]Frame, error) {
	n := 0
	for _, s := range []string{cfg.Data, glob, list} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return nil, errors.New("fleet: give exactly one input: a dataset (--data with --split), --inputs GLOB or --list FILE")
	}
	var frames []Frame
	switch {
	case cfg.Data != "":
		s, err := openSplit(cfg.Data, cfg.Split)
		if err != nil {
			return nil, err
		}
		for i, e := range s.Entries {
			frames = append(frames, Frame{Key: int64(i), Image: e.Image, Index: i})
		}
	case glob != "":
		paths, err := filepath.Glob(glob)
		if err != nil {
			return nil, fmt.Errorf("fleet: --inputs %q: %w", glob, err)
		}
		for i, p := range paths {
			frames = append(frames, Frame{Key: int64(i), Image: p})
		}
	default:
		fh, err := os.Open(list)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		sc := bufio.NewScanner(fh)
		for line := 1; sc.Scan(); line++ {
			t := strings.TrimSpace(sc.Text())
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			img, lbl, _ := strings.Cut(t, "\t")
			frames = append(frames, Frame{Key: int64(len(frames)), Image: img, Label: strings.TrimSpace(lbl)})
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("fleet: %s: %w", list, err)
		}
	}
	if len(frames) == 0 {
		return nil, errors.New("fleet: the input lists no image")
	}
	return frames, nil
}

// Build adds the fleet pipeline to s: score every frame, combine the
// outcomes into one Report, write it.
func Build(s beam.Scope, cfg Config, frames []Frame) {
	s = s.Scope("nflowjs-fleet")
	col := beam.CreateList(s, frames)
	outcomes := beam.ParDo(s, &scoreFn{Cfg: cfg}, col)
	report := beam.Combine(s, &reportFn{TopN: cfg.TopN}, outcomes)
	beam.ParDo0(s, &writeFn{Out: cfg.Out}, report)
}

// reportFn combines outcomes into a Report.
type reportFn struct{ TopN int }

func (f *reportFn) CreateAccumulator() Report { return Report{TopN: f.TopN} }

func (f *reportFn) AddInput(r Report, o Outcome) (Report, error) {
	var add Report
	add.TopN = f.TopN
	switch {
	case o.Dead != nil:
		add.Failed = 1
		add.Dead = []DeadLetter{*o.Dead}
	default:
		add.Scored = 1
		if o.Stats != nil {
			add.Labelled = 1
			add.Stats = o.Stats
		}
		if o.Mined != nil && f.TopN > 0 {
			add.Top = []Mined{*o.Mined}
		}
	}
	err := r.merge(&add)
	return r, err
}

func (f *reportFn) MergeAccumulators(a, b Report) (Report, error) {
	err := a.merge(&b)
	return a, err
}

func (f *reportFn) ExtractOutput(r Report) Report { return r }

// writeFn writes the report's files.
type writeFn struct{ Out string }

func (f *writeFn) ProcessElement(ctx context.Context, r Report) error {
	return WriteReport(f.Out, r)
}

// Metrics is metrics.json: the dataset metrics and the counts.
type Metrics struct {
	Protocol  string  `json:"protocol"`
	AP        float64 `json:"ap"`
	FPR95     float64 `json:"fpr95"`
	AUROC     float64 `json:"auroc"`
	Pixels    int64   `json:"pixels"`
	Positives int64   `json:"positives"`
	Images    int     `json:"images"`
	Scored    int64   `json:"scored"`
	Failed    int64   `json:"failed"`
}

// WriteReport writes report.json (everything), metrics.json (when labels
// were given), top.json and dead_letters.jsonl into dir, atomically.
func WriteReport(dir string, r Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, v any) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		return atomicfile.WriteFile(filepath.Join(dir, name), append(b, '\n'))
	}
	if r.Stats != nil {
		sum, err := r.Stats.Result()
		if err != nil {
			return fmt.Errorf("fleet: metrics: %w", err)
		}
		m := Metrics{Protocol: r.Stats.Protocol.String(), AP: sum.AP, FPR95: sum.FPR95, AUROC: sum.AUROC,
			Pixels: sum.Pixels, Positives: sum.Positives, Images: sum.Images, Scored: r.Scored, Failed: r.Failed}
		if err := write("metrics.json", m); err != nil {
			return err
		}
	}
	if err := write("top.json", r.Top); err != nil {
		return err
	}
	var dl strings.Builder
	for _, d := range r.Dead {
		b, _ := json.Marshal(d)
		dl.Write(append(b, '\n'))
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "dead_letters.jsonl"), []byte(dl.String())); err != nil {
		return err
	}
	summary := r
	summary.Stats = nil // the per-threshold statistics are large; metrics.json has the numbers
	return write("report.json", summary)
}

func init() {
	register.DoFn3x0[context.Context, Frame, func(Outcome)](&scoreFn{})
	register.Emitter1[Outcome]()
	register.Combiner3[Report, Outcome, Report](&reportFn{})
	register.DoFn2x1[context.Context, Report, error](&writeFn{})
}
