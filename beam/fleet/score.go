package fleet

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/evaluate"
	"github.com/nflowjs/nflowjs/infer"
	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/npy"
	"github.com/nflowjs/nflowjs/ood"
)

// Config describes a fleet run. Its fields travel to the workers with the
// DoFns, so they are plain values.
type Config struct {
	// Model is the nflowjs bundle directory every worker loads once.
	Model string
	// Score overrides the bundle's anomaly score ("" = the bundle's).
	Score string
	// Data and Split name a dataset split (DIR or KIND:DIR, as for
	// `nflowjs eval`) whose labels give the metrics; empty for unlabelled
	// glob or list inputs.
	Data, Split string
	// Protocol is the metrics protocol: exact, smiyc or smiyc-uniform.
	Protocol string
	// Out is the output directory: frames/ (per-image layers, summary
	// JSON and the score .npy), report.json, metrics.json, top.json,
	// dead_letters.jsonl.
	Out string
	// WriteFrames writes the per-image outputs (frames/).
	WriteFrames bool
	// TopN is the length of the mining list.
	TopN int
}

// scoreFn scores one frame. The model (and the dataset listing) load once
// per worker, in Setup.
type scoreFn struct {
	Cfg Config

	p     *infer.Pipeline
	split *dataset.Split
	proto metrics.Protocol
	lo    float32 // SMIYC protocols: the score's range mapped onto [0, 1]
	hi    float32
}

func (f *scoreFn) Setup() error {
	p, b, err := infer.Load(f.Cfg.Model, infer.Overrides{Score: f.Cfg.Score})
	if err != nil {
		return err
	}
	f.p = p
	if f.proto, err = parseProtocol(f.Cfg.Protocol); err != nil {
		return err
	}
	if f.proto.Binned() {
		spec, err := ood.ParseScore(p.Score().Name)
		if err != nil {
			return err
		}
		lo, hi, ok := spec.Bounds(b.Info.Config.NumClasses)
		if !ok {
			return fmt.Errorf("fleet: the %s protocol needs a score with known bounds to map onto [0, 1]; %s has none (use js, msp, entropy, kl or rkl, or the exact protocol)", f.proto, spec.Name)
		}
		f.lo, f.hi = lo, hi
	}
	if f.Cfg.Data != "" {
		if f.split, err = openSplit(f.Cfg.Data, f.Cfg.Split); err != nil {
			return err
		}
	}
	if f.Cfg.WriteFrames {
		return os.MkdirAll(filepath.Join(f.Cfg.Out, "frames"), 0o755)
	}
	return nil
}

func (f *scoreFn) ProcessElement(ctx context.Context, fr Frame, emit func(Outcome)) {
	o, err := f.score(fr)
	if err != nil {
		emit(Outcome{Dead: &DeadLetter{Key: fr.Key, Image: fr.Image, Reason: err.Error()}})
		return
	}
	emit(o)
}

func (f *scoreFn) score(fr Frame) (Outcome, error) {
	img, labels, err := f.load(fr)
	if err != nil {
		return Outcome{}, err
	}
	r, err := f.p.Predict(img)
	if err != nil {
		return Outcome{}, err
	}
	var o Outcome
	if labels != nil {
		acc, err := metrics.NewAccumulator(f.proto)
		if err != nil {
			return Outcome{}, err
		}
		s := r.Scores
		if f.proto.Binned() {
			s = evaluate.ToUnit(slices.Clone(s), f.lo, f.hi)
		}
		if err := acc.AddFrame(fr.Key, s, labels, metrics.DefaultIgnore); err != nil {
			return Outcome{}, fmt.Errorf("%s: %w", fr.Image, err)
		}
		o.Stats = acc
	}
	o.Mined = mined(fr, r)
	if f.Cfg.WriteFrames {
		if err := writeFrame(filepath.Join(f.Cfg.Out, "frames"), frameBase(fr), r); err != nil {
			return Outcome{}, err
		}
	}
	return o, nil
}

// load reads the frame's image and its binary labels (1 anomaly, 0
// inlier, 255 void; nil without labels).
func (f *scoreFn) load(fr Frame) (*dataset.Image, []uint8, error) {
	if f.split != nil {
		smp, err := f.split.Load(fr.Index)
		if err != nil {
			return nil, nil, err
		}
		m := f.split.Meta
		bin := make([]uint8, len(smp.Labels))
		for i, l := range smp.Labels {
			switch int(l) {
			case m.AnomalyLabel:
				bin[i] = 1
			case m.IgnoreLabel:
				bin[i] = metrics.DefaultIgnore
			}
		}
		return smp.Image, bin, nil
	}
	img, err := dataset.ReadImage(fr.Image)
	if err != nil {
		return nil, nil, err
	}
	if fr.Label == "" {
		return img, nil, nil
	}
	w, h, pix, err := dataset.ReadLabel(fr.Label)
	if err != nil {
		return nil, nil, err
	}
	if w != img.W || h != img.H {
		return nil, nil, fmt.Errorf("%s: labels are %dx%d, the image %s is %dx%d", fr.Label, w, h, fr.Image, img.W, img.H)
	}
	for i, v := range pix {
		if v != 0 && v != 1 && v != metrics.DefaultIgnore {
			return nil, nil, fmt.Errorf("%s: label value %d at pixel (%d, %d); binary labels are 0 (inlier), 1 (anomaly) or 255 (void)", fr.Label, v, i%w, i/w)
		}
	}
	return img, pix, nil
}

// mined summarises a frame for the mining list.
func mined(fr Frame, r *infer.Result) *Mined {
	s := make([]float32, 0, len(r.Scores))
	for _, v := range r.Scores {
		if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
			s = append(s, v)
		}
	}
	m := &Mined{Key: fr.Key, Image: fr.Image, AnomalousFraction: r.Summary.AnomalousFraction}
	if len(s) > 0 {
		slices.Sort(s)
		top := s[len(s)-max(1, len(s)/100):]
		var sum float64
		for _, v := range top {
			sum += float64(v)
		}
		m.TopScore = sum / float64(len(top))
	}
	for _, c := range r.Summary.Components[:min(3, len(r.Summary.Components))] {
		m.Components = append(m.Components, Component{Pixels: c.Pixels, BBox: c.BBox, MeanScore: c.MeanScore})
	}
	return m
}

// frameBase names a frame's outputs: its key (unique) and image stem.
func frameBase(fr Frame) string {
	stem := strings.TrimSuffix(filepath.Base(fr.Image), filepath.Ext(fr.Image))
	return fmt.Sprintf("%08d_%s", fr.Key, stem)
}

// writeFrame writes predict's files and the float32 score map as .npy.
func writeFrame(dir, base string, r *infer.Result) error {
	if _, err := r.WriteFiles(dir, base); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := npy.WriteFloat32(&b, []int{r.Input.H, r.Input.W}, r.Scores); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, base+"_score.npy"), b.Bytes())
}

func parseProtocol(name string) (metrics.Protocol, error) {
	if name == "" {
		return metrics.Pooled, nil
	}
	p, err := metrics.ParseProtocol(name)
	if err != nil {
		return 0, err
	}
	switch p {
	case metrics.Pooled, metrics.SMIYC, metrics.SMIYCUniform:
		return p, nil
	}
	return 0, fmt.Errorf("fleet: protocol %s is not offered (exact, smiyc or smiyc-uniform)", p)
}

func openSplit(data, split string) (*dataset.Split, error) {
	ds, err := dataset.Open(data)
	if err != nil {
		return nil, err
	}
	s, err := ds.Split(split)
	if err != nil {
		return nil, err
	}
	return s, s.Err()
}
