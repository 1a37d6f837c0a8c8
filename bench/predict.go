package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"syscall"
	"time"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/infer"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// predict: one 1024×2048 RGB image (a full-HD-like Cityscapes frame)
// through the whole prediction pipeline of `nflowjs predict` / `serve`
// with a randomly initialised model of each small preset and 19 classes.
// It reports, per preset, medians of the forward pass (forward_ms), of the
// closed-set argmax (argmax_ms, part of any segmentation), and of what
// anomaly detection adds: the NFlowJS score map (score_ms) and the
// threshold fusion (fuse_ms), together score_fuse_ms; overhead_pct is
// score_fuse_ms / forward_ms (goal ≤ 3 %; the paper's Table 6 has +7.8 ms
// on a 46.5 ms model, 17 %) and cpu_overhead_pct the same ratio in process
// CPU time. The summary stage (statistics and connected components,
// summary_ms) is JSON bookkeeping, reported apart.
//
// Keys without a mode are the default full score resolution (the score of
// every pixel's logits); PRESET_native_* repeat forward, score, fusion and
// the overheads with --score-res native (the score of the 1/4-resolution
// logits, its map upsampled; see package infer). The two pipelines run
// alternately, so that load from other processes affects both alike.
func init() {
	register("predict", func() (map[string]any, error) {
		return benchPredict([]string{"tiny", "small"}, 1024, 2048, 1, 3)
	})
}

// predictBenchClasses is the number of Cityscapes classes.
const predictBenchClasses = 19

// predictStages collects per-iteration stage times (ms) of one pipeline.
type predictStages struct {
	fwd, am, sc, fu, sf, sum []float64
}

func (s *predictStages) add(t infer.Timing) {
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
	s.fwd = append(s.fwd, ms(t.Forward))
	s.am = append(s.am, ms(t.Argmax))
	s.sc = append(s.sc, ms(t.Score))
	s.fu = append(s.fu, ms(t.Fuse))
	s.sf = append(s.sf, ms(t.Score+t.Fuse))
	s.sum = append(s.sum, ms(t.Summary))
}

func benchPredict(presets []string, h, w, warmup, iters int) (map[string]any, error) {
	rng := rand.New(rand.NewPCG(0, 0))
	img := dataset.NewImage(w, h)
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	classes := make([]string, predictBenchClasses)
	for i := range classes {
		classes[i] = fmt.Sprintf("c%d", i)
	}
	out := map[string]any{"size": fmt.Sprintf("%dx%d", w, h), "classes": predictBenchClasses}
	for _, name := range presets {
		cfg, err := seg.PresetConfig(name, predictBenchClasses)
		if err != nil {
			return nil, err
		}
		m, err := seg.New(cfg, rand.New(rand.NewPCG(1, 0)))
		if err != nil {
			return nil, err
		}
		// The threshold is arbitrary (the model is untrained); it makes
		// the fusion stage run as it does with a calibrated bundle.
		thr := float32(-0.1)
		pipes := map[string]*infer.Pipeline{}
		for _, res := range infer.ScoreResolutions {
			p, err := infer.New(m, infer.Config{Classes: classes, Mean: dataset.DefaultMean, Std: dataset.DefaultStd,
				Score: "js", Threshold: &thr, ScoreResolution: res})
			if err != nil {
				return nil, err
			}
			pipes[res] = p
		}
		stages := map[string]*predictStages{infer.ScoreResFull: {}, infer.ScoreResNative: {}}
		for i := 0; i < warmup+iters; i++ {
			for _, res := range infer.ScoreResolutions {
				r, err := pipes[res].Predict(img)
				if err != nil {
					return nil, err
				}
				if i >= warmup {
					stages[res].add(r.Timing)
				}
			}
		}
		for _, res := range infer.ScoreResolutions {
			s, key := stages[res], name+"_"
			if res != infer.ScoreResFull {
				key += res + "_"
			}
			f, sf := predictMedian(s.fwd), predictMedian(s.sf)
			out[key+"forward_ms"] = predictRound2(f)
			out[key+"score_ms"] = predictRound2(predictMedian(s.sc))
			out[key+"fuse_ms"] = predictRound2(predictMedian(s.fu))
			out[key+"score_fuse_ms"] = predictRound2(sf)
			out[key+"overhead_pct"] = predictRound2(100 * sf / f)
			if res == infer.ScoreResFull {
				// Identical work in both modes.
				out[key+"argmax_ms"] = predictRound2(predictMedian(s.am))
				out[key+"summary_ms"] = predictRound2(predictMedian(s.sum))
			}
		}
		if err := benchPredictCPU(out, name, m, img, thr, iters); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// benchPredictCPU adds PRESET[_native]_cpu_overhead_pct: the overhead in
// process CPU time, which other processes on a shared machine disturb much
// less than wall time. Each mode's forward pass (for native: the native
// logits and their upsampling, as the pipeline runs them) and its score
// and fusion stages are timed separately with the package functions the
// pipeline calls; medians over iters runs.
func benchPredictCPU(out map[string]any, name string, m *seg.Model, img *dataset.Image, thr float32, iters int) error {
	h, w := img.H, img.W
	x := tensor.FromData((&dataset.Sample{Image: img}).CHW(dataset.DefaultMean, dataset.DefaultStd), 1, 3, h, w)
	var fullFwd, fullScore, natFwd, natScore []float64
	for range max(iters, 1) {
		var logits, native *tensor.Tensor
		var err error
		fullFwd = append(fullFwd, cpuTime(func() { logits, err = m.Logits(x) }))
		if err != nil {
			return err
		}
		arg, err := ood.Argmax(logits)
		if err != nil {
			return err
		}
		labels := make([]uint8, len(arg))
		for i, c := range arg {
			labels[i] = uint8(c)
		}
		fullScore = append(fullScore, cpuTime(func() {
			var s *tensor.Tensor
			if s, err = ood.JSAnomaly(logits, ood.DefaultT); err == nil {
				ood.FuseLabels(labels, s.Data, thr, predictBenchClasses)
			}
		}))
		if err != nil {
			return err
		}
		natFwd = append(natFwd, cpuTime(func() {
			if native, err = m.NativeLogits(x); err == nil {
				_, err = m.UpsampleNative(native, h, w)
			}
		}))
		if err != nil {
			return err
		}
		natScore = append(natScore, cpuTime(func() {
			var s *tensor.Tensor
			if s, err = ood.JSAnomaly(native, ood.DefaultT); err != nil {
				return
			}
			_, _, nh, nw := native.NCHW()
			if s, err = m.UpsampleNative(tensor.FromData(s.Data, 1, 1, nh, nw), h, w); err == nil {
				ood.FuseLabels(labels, s.Data, thr, predictBenchClasses)
			}
		}))
		if err != nil {
			return err
		}
	}
	out[name+"_cpu_overhead_pct"] = predictRound2(100 * predictMedian(fullScore) / predictMedian(fullFwd))
	out[name+"_native_cpu_overhead_pct"] = predictRound2(100 * predictMedian(natScore) / predictMedian(natFwd))
	return nil
}

// cpuTime returns the process CPU time (user + system) fn takes, in ms.
func cpuTime(fn func()) float64 {
	var a, b syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &a)
	fn()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &b)
	return float64(b.Utime.Nano()+b.Stime.Nano()-a.Utime.Nano()-a.Stime.Nano()) / 1e6
}

func predictMedian(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func predictRound2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }
