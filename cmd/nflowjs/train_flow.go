package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/internal/runlock"
	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
	"github.com/nflowjs/nflowjs/train"
)

// Defaults of `nflowjs train flow`. The paper pre-trains with Adamax at
// lr 1e-3 from scratch (1e-6 when fine-tuning jointly), on random 64×64
// road crops or 32×32 aerial crops (Section 4.3).
const (
	defaultFlowLR         = 1e-3
	defaultFlowCrop       = 32
	defaultFlowBatch      = 32
	defaultFlowEpochSteps = 100
	defaultFlowEpochs     = 10
	defaultFlowValCrops   = 256
	// defaultFlowWarmup is the number of steps over which the learning
	// rate ramps up linearly from lr/warmup to lr. Without it, Adamax's
	// first updates move every weight of the zero-initialised coupling
	// layers coherently and the shift nets can blow up on a rare crop
	// (seen as a single 10³–10⁵ bits/dim batch in the first 100 steps).
	// Glow and DenseFlow train with a warmup as well.
	defaultFlowWarmup = 200
	// defaultFlowClip bounds the global gradient norm: flows occasionally
	// produce a spike early in training that Adamax would otherwise carry.
	defaultFlowClip = 50.0
	// cacheBudget bounds the decoded training images kept in memory.
	cacheBudget = 512 << 20
	// maxCropTries bounds the retries for a crop free of anomaly pixels.
	maxCropTries = 50
	// maxBadSteps aborts training after this many consecutive non-finite
	// losses or gradients.
	maxBadSteps = 20
	// flowStateName is a flow run's checkpoint: the flow's tensors under
	// stateFlowPrefix and the optimizer's under stateOptimPrefix, one
	// atomic file so that the two are always from the same step.
	flowStateName    = "state.safetensors"
	stateFlowPrefix  = "flow."
	stateOptimPrefix = "optim."
	flowLogName      = "log.jsonl"
)

// cropSource draws random crops of inlier pixels from a split, caching
// decoded images up to cacheBudget bytes.
type cropSource struct {
	split   *dataset.Split
	crop    int
	anomaly int
	cache   map[int]*dataset.Sample
	cached  int
}

func newCropSource(s *dataset.Split, crop int) (*cropSource, error) {
	if s.Len() == 0 {
		return nil, fmt.Errorf("split %s is empty", s.Name)
	}
	return &cropSource{split: s, crop: crop, anomaly: s.Meta.AnomalyLabel, cache: map[int]*dataset.Sample{}}, nil
}

func (c *cropSource) load(i int) (*dataset.Sample, error) {
	if s, ok := c.cache[i]; ok {
		return s, nil
	}
	s, err := c.split.Load(i)
	if err != nil {
		return nil, err
	}
	if s.W() < c.crop || s.H() < c.crop {
		return nil, fmt.Errorf("image %s is %dx%d, smaller than the %d-pixel crop", s.ID, s.W(), s.H(), c.crop)
	}
	if c.cached+len(s.Image.Pix) <= cacheBudget {
		c.cache[i] = s
		c.cached += len(s.Image.Pix)
	}
	return s, nil
}

// pick draws a random crop position free of anomaly pixels.
func (c *cropSource) pick(rng *rand.Rand) (s *dataset.Sample, top, left int, err error) {
	for try := 0; ; try++ {
		if s, err = c.load(rng.IntN(c.split.Len())); err != nil {
			return nil, 0, 0, err
		}
		top, left = rng.IntN(s.H()-c.crop+1), rng.IntN(s.W()-c.crop+1)
		if !c.hasAnomaly(s, top, left) {
			return s, top, left, nil
		}
		if try == maxCropTries {
			return nil, 0, 0, fmt.Errorf("split %s: no anomaly-free %dx%d crop found in %d tries", c.split.Name, c.crop, c.crop, maxCropTries)
		}
	}
}

// batch returns n crops as 8-bit values in a float32 [n,3,crop,crop]
// tensor. Crops containing anomaly pixels are redrawn; with flip, each crop
// is mirrored horizontally with probability ½.
func (c *cropSource) batch(n int, flip bool, rng *rand.Rand) (*tensor.Tensor, error) {
	k := c.crop
	out := tensor.New(n, 3, k, k)
	for b := 0; b < n; b++ {
		s, top, left, err := c.pick(rng)
		if err != nil {
			return nil, err
		}
		mirror := flip && rng.IntN(2) == 1
		for y := 0; y < k; y++ {
			for x := 0; x < k; x++ {
				sx := left + x
				if mirror {
					sx = left + k - 1 - x
				}
				p := s.Image.Pix[3*((top+y)*s.W()+sx):]
				for ch := 0; ch < 3; ch++ {
					out.Data[((b*3+ch)*k+y)*k+x] = float32(p[ch])
				}
			}
		}
	}
	return out, nil
}

func (c *cropSource) hasAnomaly(s *dataset.Sample, top, left int) bool {
	if s.Labels == nil {
		return false
	}
	for y := top; y < top+c.crop; y++ {
		for _, v := range s.Labels[y*s.W()+left : y*s.W()+left+c.crop] {
			if int(v) == c.anomaly {
				return true
			}
		}
	}
	return false
}

// flowTrainOpts are the flags of `nflowjs train flow`.
type flowTrainOpts struct {
	data, out, kind, preset string
	crop, batch             int
	epochs, epochSteps      int
	steps                   int
	valCrops                int
	lr, clip                float64
	warmup                  int
	seed                    uint64
	resume, noFlip          bool
	sampleTemp              float64
}

// flowLogRow is one line of RUN_DIR/log.jsonl (one per epoch).
type flowLogRow struct {
	Epoch, Step, SkippedSteps int
	TrainBPD, ValBPD, LR      float64
	ImagesPerSec, ElapsedSec  float64
}

// validationBPD is the mean bits/dim over fixed crops, with fixed
// dequantisation (and, for DenseFlow, fixed noise) so that epochs compare.
func validationBPD(f *flow.Flow, crops *tensor.Tensor, batch int, seed uint64) (float64, error) {
	defer autograd.NoGrad()()
	n, c, h, w := crops.NCHW()
	rng := rand.New(rand.NewPCG(seed, 0x7a1))
	var sum float64
	per := c * h * w
	for s := 0; s < n; s += batch {
		m := min(batch, n-s)
		x := tensor.FromData(crops.Data[s*per:(s+m)*per], m, c, h, w)
		lp, err := f.LogProb(autograd.Const(flow.Dequantize(x, rng)), rng)
		if err != nil {
			return 0, err
		}
		for _, v := range lp.Value.Data {
			sum += flow.BitsPerDimOf(float64(v), per)
		}
	}
	return sum / float64(n), nil
}

// saveFlowRun writes the run's checkpoint: one file holding the flow's
// weights and the optimizer state of the same step (state.safetensors,
// written atomically), then flow.safetensors, the model that sample and
// train joint read, derived from it. A kill between the two renames leaves
// a complete checkpoint and an older model file, which resumeFlowRun
// rewrites.
func saveFlowRun(dir string, f *flow.Flow, opt optim.Optimizer, step, epoch int, seed uint64, crop int) error {
	meta := map[string]string{
		"step": strconv.Itoa(step), "epoch": strconv.Itoa(epoch), "seed": strconv.FormatUint(seed, 10),
		// The crop side tells `train joint` which patch sizes the flow
		// models: its likelihood and samples degrade on larger ones.
		flow.MetaCrop: strconv.Itoa(crop),
	}
	st := opt.State()
	all, err := f.Meta(meta)
	if err != nil {
		return err
	}
	maps.Copy(all, st.StepsMeta())
	tensors := make(map[string]*tensor.Tensor)
	for k, v := range f.StateDict() {
		tensors[stateFlowPrefix+k] = v
	}
	for k, v := range st.Tensors {
		tensors[stateOptimPrefix+k] = v
	}
	if err := checkpoint.Save(filepath.Join(dir, flowStateName), tensors, all); err != nil {
		return err
	}
	return f.Save(filepath.Join(dir, flowCheckpointName), meta)
}

// resumeFlowRun loads the flow and the optimizer from dir's checkpoint and
// rewrites flow.safetensors from it (it may be older after a kill).
func resumeFlowRun(dir string, lr float64) (*flow.Flow, optim.Optimizer, int, int, error) {
	path := filepath.Join(dir, flowStateName)
	sd, meta, err := checkpoint.Load(path)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	flowSD, optSD := map[string]*tensor.Tensor{}, map[string]*tensor.Tensor{}
	for k, v := range sd {
		if name, ok := strings.CutPrefix(k, stateFlowPrefix); ok {
			flowSD[name] = v
		} else if name, ok := strings.CutPrefix(k, stateOptimPrefix); ok {
			optSD[name] = v
		} else {
			return nil, nil, 0, 0, fmt.Errorf("%s: unexpected tensor %q", path, k)
		}
	}
	f, err := flow.FromState(flowSD, meta)
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	step, err1 := strconv.Atoi(meta["step"])
	epoch, err2 := strconv.Atoi(meta["epoch"])
	if err := errors.Join(err1, err2); err != nil {
		return nil, nil, 0, 0, fmt.Errorf("%s: bad step/epoch metadata: %w", path, err)
	}
	opt, err := newFlowOptimizer(f, lr)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	steps, err := optim.ParseStepsMeta(meta)
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	if err := opt.LoadState(optim.State{Tensors: optSD, Steps: steps}); err != nil {
		return nil, nil, 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	model := map[string]string{}
	for _, k := range []string{"step", "epoch", "seed", flow.MetaCrop} {
		model[k] = meta[k]
	}
	if err := f.Save(filepath.Join(dir, flowCheckpointName), model); err != nil {
		return nil, nil, 0, 0, err
	}
	return f, opt, step, epoch, nil
}

func newFlowOptimizer(f *flow.Flow, lr float64) (optim.Optimizer, error) {
	return optim.NewAdamax([]optim.ParamGroup{optim.Group(lr, f.Parameters()...)}, optim.DefaultAdamConfig())
}

func runTrainFlow(ctx context.Context, o flowTrainOpts, stdout, stderr io.Writer) error {
	if o.crop <= 0 || o.batch <= 0 || o.epochSteps <= 0 || o.epochs <= 0 || o.valCrops < 0 || o.warmup < 0 || !(o.lr > 0) {
		return fmt.Errorf("train flow: --crop, --batch, --epoch-steps, --epochs and --lr must be positive, --val-crops and --warmup not negative")
	}
	if o.steps > 0 {
		o.epochs = (o.steps + o.epochSteps - 1) / o.epochSteps
	}
	ds, err := dataset.Open(o.data)
	if err != nil {
		return err
	}
	trainSplit, err := ds.Split(dataset.SplitTrain)
	if err != nil {
		return err
	}
	valSplit := trainSplit
	if vs, err := ds.Split(dataset.SplitVal); err == nil && vs.Len() > 0 {
		valSplit = vs
	}
	// One run per directory: a second run into --out would mix its
	// checkpoints and logs with this one's.
	unlock, err := runlock.Lock(o.out)
	if err != nil {
		return fmt.Errorf("train flow: %w", err)
	}
	defer unlock()

	var (
		f           *flow.Flow
		opt         optim.Optimizer
		step, epoch int
	)
	// Files a kill left half-written are garbage once the lock is ours.
	if err := atomicfile.RemoveTemps(o.out); err != nil {
		return fmt.Errorf("train flow: %w", err)
	}
	_, modelErr := os.Stat(filepath.Join(o.out, flowCheckpointName))
	_, statErr := os.Stat(filepath.Join(o.out, flowStateName))
	if modelErr == nil && statErr != nil {
		// flow.safetensors is written after the checkpoint, so only a run of
		// an older nflowjs (optimizer state in optim.safetensors) has one
		// without the other.
		return fmt.Errorf("train flow: %s holds a flow but no %s (a run of an older nflowjs?); it cannot be resumed: choose another --out", o.out, flowStateName)
	}
	if statErr == nil {
		if !o.resume {
			return fmt.Errorf("train flow: %s already holds a checkpoint; pass --resume to continue it or choose another --out", o.out)
		}
		if f, opt, step, epoch, err = resumeFlowRun(o.out, o.lr); err != nil {
			return fmt.Errorf("train flow: resume: %w", err)
		}
		fmt.Fprintf(stdout, "resuming %s from step %d (epoch %d)\n", o.out, step, epoch)
	} else {
		cfg, err := flow.Preset(o.preset)
		if err != nil {
			return err
		}
		if o.kind != "" && flow.Kind(o.kind) != cfg.Kind {
			return fmt.Errorf("train flow: --config %s does not match preset %s (kind %s)", o.kind, o.preset, cfg.Kind)
		}
		if o.crop%cfg.SqueezeFactor() != 0 {
			return fmt.Errorf("train flow: --crop %d is not divisible by the flow's squeeze factor %d", o.crop, cfg.SqueezeFactor())
		}
		if f, err = flow.New(cfg, rand.New(rand.NewPCG(o.seed, 0xf10))); err != nil {
			return err
		}
		if opt, err = newFlowOptimizer(f, o.lr); err != nil {
			return err
		}
		cj, _ := json.MarshalIndent(cfg, "", "  ")
		if err := os.WriteFile(filepath.Join(o.out, "config.json"), append(cj, '\n'), 0o644); err != nil {
			return err
		}
	}
	cfg := f.Config()
	fmt.Fprintf(stdout, "flow %s: %d parameters, squeeze factor %d; train %s (%d images), validation %s (%d crops of %d)\n",
		cfg.Kind, f.NumParams(), cfg.SqueezeFactor(), trainSplit.Name, trainSplit.Len(), valSplit.Name, o.valCrops, o.crop)

	trainSrc, err := newCropSource(trainSplit, o.crop)
	if err != nil {
		return err
	}
	valSrc, err := newCropSource(valSplit, o.crop)
	if err != nil {
		return err
	}
	var valCrops *tensor.Tensor
	if o.valCrops > 0 {
		if valCrops, err = valSrc.batch(o.valCrops, false, rand.New(rand.NewPCG(o.seed, 0x7a1))); err != nil {
			return err
		}
	}
	// The log row of an epoch is written before its checkpoint, so a kill
	// never loses a row; rows of steps after the checkpoint, whose epoch
	// is about to be redone, are dropped here.
	logFile, err := train.OpenLog(filepath.Join(o.out, flowLogName), func(row map[string]any) bool {
		s, ok := row["step"].(float64)
		return ok && int(s) <= step
	})
	if err != nil {
		return err
	}
	defer logFile.Close()

	dims := 3 * o.crop * o.crop
	params := f.Parameters()
	start := time.Now()
	for ; epoch < o.epochs; epoch++ {
		stepsThis := o.epochSteps
		if o.steps > 0 {
			stepsThis = min(o.epochSteps, o.steps-step)
		}
		if stepsThis <= 0 {
			break
		}
		bar := progressbar.NewOptions(stepsThis,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription(fmt.Sprintf("epoch %d", epoch+1)),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("step"),
			progressbar.OptionShowIts(),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish())
		epochStart := time.Now()
		var sum float64
		var good, skipped, bad int
		for i := 0; i < stepsThis; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			// One generator per step: a resumed run draws the same data.
			rng := rand.New(rand.NewPCG(o.seed, uint64(step)+1))
			lr := warmupLR(o.lr, step, o.warmup)
			for _, g := range opt.Groups() {
				g.LR = lr
			}
			x8, err := trainSrc.batch(o.batch, !o.noFlip, rng)
			if err != nil {
				return err
			}
			lp, err := f.LogProb(autograd.Const(flow.Dequantize(x8, rng)), rng)
			if err != nil {
				return err
			}
			loss := flow.BitsPerDim(lp, dims)
			opt.ZeroGrad()
			bpd := float64(loss.Value.Data[0])
			finite := !math.IsNaN(bpd) && !math.IsInf(bpd, 0)
			if finite {
				loss.Backward()
				norm := optim.GradNorm(params)
				finite = !math.IsNaN(norm) && !math.IsInf(norm, 0)
				if finite && o.clip > 0 {
					optim.ClipGradNorm(params, o.clip)
				}
			}
			if finite {
				opt.Step()
				sum += bpd
				good++
				bad = 0
			} else {
				opt.ZeroGrad()
				skipped++
				if bad++; bad >= maxBadSteps {
					return fmt.Errorf("train flow: %d consecutive non-finite steps at step %d; lower --lr", bad, step)
				}
			}
			step++
			bar.Describe(fmt.Sprintf("epoch %d  bpd %.3f", epoch+1, bpd))
			_ = bar.Add(1)
		}
		_ = bar.Finish()
		row := flowLogRow{Epoch: epoch + 1, Step: step, TrainBPD: math.NaN(), ValBPD: math.NaN(), LR: warmupLR(o.lr, step-1, o.warmup), SkippedSteps: skipped,
			ImagesPerSec: float64(stepsThis*o.batch) / time.Since(epochStart).Seconds()}
		if good > 0 {
			row.TrainBPD = sum / float64(good)
		}
		if valCrops != nil {
			if row.ValBPD, err = validationBPD(f, valCrops, o.batch, o.seed); err != nil {
				return err
			}
		}
		row.ElapsedSec = time.Since(start).Seconds()
		if err := logFile.Write(row.fields()); err != nil {
			return err
		}
		if err := saveFlowRun(o.out, f, opt, step, epoch+1, o.seed, o.crop); err != nil {
			return fmt.Errorf("train flow: checkpoint: %w", err)
		}
		grid, err := sampleGrid(f, 16, o.crop, o.crop, float32(o.sampleTemp), 2, rand.New(rand.NewPCG(o.seed, 0x5a3)))
		if err == nil {
			err = writePNG(filepath.Join(o.out, "samples.png"), grid)
		}
		if err != nil {
			return fmt.Errorf("train flow: sample grid: %w", err)
		}
		fmt.Fprintf(stdout, "epoch %d  step %d  train %.4f bpd  val %.4f bpd  %.1f img/s  (%d skipped)\n",
			row.Epoch, row.Step, row.TrainBPD, row.ValBPD, row.ImagesPerSec, skipped)
	}
	return nil
}

// warmupLR is the learning rate of a 0-based step: linear warmup over
// warmup steps, then constant.
func warmupLR(lr float64, step, warmup int) float64 {
	if warmup <= 0 || step >= warmup {
		return lr
	}
	return lr * float64(step+1) / float64(warmup)
}

// fields is the log row as JSON fields; a missing value (NaN) becomes
// null.
func (row flowLogRow) fields() map[string]any {
	return map[string]any{
		"epoch": row.Epoch, "step": row.Step, "lr": row.LR, "skipped_steps": row.SkippedSteps,
		"train_images_per_s": row.ImagesPerSec, "elapsed_s": row.ElapsedSec,
		"train_bpd": row.TrainBPD, "val_bpd": row.ValBPD,
	}
}

func init() {
	var o flowTrainOpts
	cmd := &cobra.Command{
		Use:   "flow",
		Short: "Pre-train the normalizing flow on random inlier crops (maximum likelihood, Adamax)",
		Long: `Pre-trains a RealNVP or DenseFlow normalizing flow on random crops of the
train split's images (crops with anomaly pixels are redrawn). After every epoch it
measures the bits/dim of fixed validation crops, appends a line to RUN_DIR/log.jsonl,
writes the checkpoint RUN_DIR/state.safetensors (flow and optimizer, one atomic
file) and the model RUN_DIR/flow.safetensors, and draws RUN_DIR/samples.png.
--resume continues a run from its last checkpoint; one run at a time per RUN_DIR.`,
		Example: `  nflowjs train flow --data data/road --crop 32 --out runs/flow-dense --config denseflow --preset denseflow-tiny --epochs 10`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.preset == "" {
				switch o.kind {
				case "", string(flow.DenseFlow):
					o.preset = "denseflow-tiny"
				case string(flow.RealNVP):
					o.preset = "realnvp-tiny"
				default:
					return fmt.Errorf("train flow: unknown --config %q (want denseflow or realnvp)", o.kind)
				}
			}
			return runTrainFlow(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.data, "data", "", "dataset: DIR (generic format) or KIND:DIR")
	fl.StringVar(&o.out, "out", "", "run directory for checkpoints, log.jsonl and samples.png")
	fl.StringVar(&o.kind, "config", "", "flow kind: denseflow or realnvp (checked against --preset)")
	fl.StringVar(&o.preset, "preset", "", fmt.Sprintf("model preset %v (default: <config>-tiny)", flow.PresetNames()))
	fl.IntVar(&o.crop, "crop", defaultFlowCrop, "square crop size (paper: 64 road, 32 aerial)")
	fl.IntVar(&o.batch, "batch", defaultFlowBatch, "crops per step")
	fl.IntVar(&o.epochs, "epochs", defaultFlowEpochs, "epochs")
	fl.IntVar(&o.epochSteps, "epoch-steps", defaultFlowEpochSteps, "optimizer steps per epoch")
	fl.IntVar(&o.steps, "steps", 0, "total steps (overrides --epochs)")
	fl.IntVar(&o.valCrops, "val-crops", defaultFlowValCrops, "fixed validation crops (0: no validation)")
	fl.Float64Var(&o.lr, "lr", defaultFlowLR, "Adamax learning rate (paper: 1e-3 from scratch)")
	fl.IntVar(&o.warmup, "warmup", defaultFlowWarmup, "linear learning-rate warmup steps (0: off)")
	fl.Float64Var(&o.clip, "clip", defaultFlowClip, "global gradient-norm clip (0: off)")
	fl.Float64Var(&o.sampleTemp, "sample-temperature", 0.8, "temperature of the per-epoch samples.png")
	fl.Uint64Var(&o.seed, "seed", 1, "random seed (model init, crops, dequantisation)")
	fl.BoolVar(&o.resume, "resume", false, "continue the checkpoint in --out")
	fl.BoolVar(&o.noFlip, "no-flip", false, "disable random horizontal flips of the crops")
	_ = cmd.MarkFlagRequired("data")
	_ = cmd.MarkFlagRequired("out")
	trainCmd.AddCommand(cmd)
}
