package flow

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

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/internal/runlock"
	nf "github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
	"github.com/nflowjs/nflowjs/train"
)

// Defaults of Config (`nflowjs train flow`). The paper pre-trains with Adamax at
// lr 1e-3 from scratch (1e-6 when fine-tuning jointly), on random 64×64
// road crops or 32×32 aerial crops (Section 4.3).
const (
	DefaultLR         = 1e-3
	DefaultCrop       = 32
	DefaultBatch      = 32
	DefaultEpochSteps = 100
	DefaultEpochs     = 10
	DefaultValCrops   = 256
	// DefaultWarmup is the number of steps over which the learning
	// rate ramps up linearly from lr/warmup to lr. Without it, Adamax's
	// first updates move every weight of the zero-initialised coupling
	// layers coherently and the shift nets can blow up on a rare crop
	// (seen as a single 10³–10⁵ bits/dim batch in the first 100 steps).
	// Glow and DenseFlow train with a warmup as well.
	DefaultWarmup = 200
	// DefaultClip bounds the global gradient norm: flows occasionally
	// produce a spike early in training that Adamax would otherwise carry.
	DefaultClip = 50.0
	// cacheBudget bounds the decoded training images kept in memory.
	cacheBudget = 512 << 20
	// maxCropTries bounds the retries for a crop free of anomaly pixels.
	maxCropTries = 50
	// maxBadSteps aborts training after this many consecutive non-finite
	// losses or gradients.
	maxBadSteps = 20
	// ModelFile is the trained flow in a run directory (what sample and
	// train joint read).
	ModelFile = "flow.safetensors"
	// StateFile is a flow run's checkpoint: the flow's tensors under
	// stateFlowPrefix and the optimizer's under stateOptimPrefix, one
	// atomic file so that the two are always from the same step.
	StateFile        = "state.safetensors"
	stateFlowPrefix  = "nf."
	stateOptimPrefix = "optim."
	LogFile          = "log.jsonl"
)

// Config configures flow pre-training (the flags of `nflowjs train flow`).
type Config struct {
	Data, Out    string // dataset (DIR or KIND:DIR) and run directory
	Kind, Preset string // flow kind (denseflow, realnvp) and preset; Preset "" = <kind>-tiny
	Crop, Batch  int    // square crop side and crops per step
	Epochs       int
	EpochSteps   int // optimizer steps per epoch
	Steps        int // total steps; > 0 overrides Epochs
	ValCrops     int // fixed validation crops (0: no validation)
	LR, Clip     float64
	Warmup       int // linear learning-rate warm-up steps
	Seed         uint64
	Resume       bool
	NoFlip       bool
	// SampleTemperature is the temperature of the per-epoch samples.png.
	SampleTemperature float64
}

// DefaultConfig returns the defaults of `nflowjs train flow`.
func DefaultConfig(data, out string) Config {
	return Config{Data: data, Out: out, Crop: DefaultCrop, Batch: DefaultBatch, Epochs: DefaultEpochs,
		EpochSteps: DefaultEpochSteps, ValCrops: DefaultValCrops, LR: DefaultLR, Clip: DefaultClip, Warmup: DefaultWarmup,
		Seed: 1, SampleTemperature: 0.8}
}

// logRow is one line of RUN_DIR/log.jsonl (one per epoch).
type logRow struct {
	Epoch, Step, SkippedSteps int
	TrainBPD, ValBPD, LR      float64
	ImagesPerSec, ElapsedSec  float64
}

// validationBPD is the mean bits/dim over fixed crops, with fixed
// dequantisation (and, for DenseFlow, fixed noise) so that epochs compare.
func validationBPD(f *nf.Flow, crops *tensor.Tensor, batch int, seed uint64) (float64, error) {
	defer autograd.NoGrad()()
	n, c, h, w := crops.NCHW()
	rng := rand.New(rand.NewPCG(seed, 0x7a1))
	var sum float64
	per := c * h * w
	for s := 0; s < n; s += batch {
		m := min(batch, n-s)
		x := tensor.FromData(crops.Data[s*per:(s+m)*per], m, c, h, w)
		lp, err := f.LogProb(autograd.Const(nf.Dequantize(x, rng)), rng)
		if err != nil {
			return 0, err
		}
		for _, v := range lp.Value.Data {
			sum += nf.BitsPerDimOf(float64(v), per)
		}
	}
	return sum / float64(n), nil
}

// saveRun writes the run's checkpoint: one file holding the flow's
// weights and the optimizer state of the same step (state.safetensors,
// written atomically), then nf.safetensors, the model that sample and
// train joint read, derived from it. A kill between the two renames leaves
// a complete checkpoint and an older model file, which resumeRun
// rewrites.
func saveRun(dir string, f *nf.Flow, opt optim.Optimizer, step, epoch int, seed uint64, crop int) error {
	meta := map[string]string{
		"step": strconv.Itoa(step), "epoch": strconv.Itoa(epoch), "seed": strconv.FormatUint(seed, 10),
		// The crop side tells `train joint` which patch sizes the flow
		// models: its likelihood and samples degrade on larger ones.
		nf.MetaCrop: strconv.Itoa(crop),
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
	if err := checkpoint.Save(filepath.Join(dir, StateFile), tensors, all); err != nil {
		return err
	}
	return f.Save(filepath.Join(dir, ModelFile), meta)
}

// resumeRun loads the flow and the optimizer from dir's checkpoint and
// rewrites nf.safetensors from it (it may be older after a kill).
func resumeRun(dir string, lr float64) (*nf.Flow, optim.Optimizer, int, int, error) {
	path := filepath.Join(dir, StateFile)
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
	f, err := nf.FromState(flowSD, meta)
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	step, err1 := strconv.Atoi(meta["step"])
	epoch, err2 := strconv.Atoi(meta["epoch"])
	if err := errors.Join(err1, err2); err != nil {
		return nil, nil, 0, 0, fmt.Errorf("%s: bad step/epoch metadata: %w", path, err)
	}
	opt, err := newOptimizer(f, lr)
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
	for _, k := range []string{"step", "epoch", "seed", nf.MetaCrop} {
		model[k] = meta[k]
	}
	if err := f.Save(filepath.Join(dir, ModelFile), model); err != nil {
		return nil, nil, 0, 0, err
	}
	return f, opt, step, epoch, nil
}

func newOptimizer(f *nf.Flow, lr float64) (optim.Optimizer, error) {
	return optim.NewAdamax([]optim.ParamGroup{optim.Group(lr, f.Parameters()...)}, optim.DefaultAdamConfig())
}

// Run pre-trains a flow by maximum likelihood on random crops of cfg.Data's
// train split (crops with anomaly pixels are redrawn) and writes cfg.Out:
// after every epoch the bits/dim of fixed validation crops, a row of
// log.jsonl, the checkpoint state.safetensors (flow and optimizer, one
// atomic file), the model flow.safetensors and samples.png. Resume
// continues from the checkpoint, bit for bit as an uninterrupted run.
// stdout gets one line per epoch, progress the progress bar.
func Run(ctx context.Context, cfg Config, stdout, progress io.Writer) error {
	if stdout == nil {
		stdout = io.Discard
	}
	if progress == nil {
		progress = io.Discard
	}
	if cfg.Preset == "" {
		switch cfg.Kind {
		case "", string(nf.DenseFlow):
			cfg.Preset = "denseflow-tiny"
		case string(nf.RealNVP):
			cfg.Preset = "realnvp-tiny"
		default:
			return fmt.Errorf("train flow: unknown kind %q (want denseflow or realnvp)", cfg.Kind)
		}
	}
	if cfg.Crop <= 0 || cfg.Batch <= 0 || cfg.EpochSteps <= 0 || cfg.Epochs <= 0 || cfg.ValCrops < 0 || cfg.Warmup < 0 || !(cfg.LR > 0) {
		return fmt.Errorf("train flow: --crop, --batch, --epoch-steps, --epochs and --lr must be positive, --val-crops and --warmup not negative")
	}
	if cfg.Steps > 0 {
		cfg.Epochs = (cfg.Steps + cfg.EpochSteps - 1) / cfg.EpochSteps
	}
	ds, err := dataset.Open(cfg.Data)
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
	unlock, err := runlock.Lock(cfg.Out)
	if err != nil {
		return fmt.Errorf("train flow: %w", err)
	}
	defer unlock()

	var (
		f           *nf.Flow
		opt         optim.Optimizer
		step, epoch int
	)
	// Files a kill left half-written are garbage once the lock is ours.
	if err := atomicfile.RemoveTemps(cfg.Out); err != nil {
		return fmt.Errorf("train flow: %w", err)
	}
	_, modelErr := os.Stat(filepath.Join(cfg.Out, ModelFile))
	_, statErr := os.Stat(filepath.Join(cfg.Out, StateFile))
	if modelErr == nil && statErr != nil {
		// nf.safetensors is written after the checkpoint, so only a run of
		// an older nflowjs (optimizer state in optim.safetensors) has one
		// without the other.
		return fmt.Errorf("train flow: %s holds a flow but no %s (a run of an older nflowjs?); it cannot be resumed: choose another --out", cfg.Out, StateFile)
	}
	if statErr == nil {
		if !cfg.Resume {
			return fmt.Errorf("train flow: %s already holds a checkpoint; pass --resume to continue it or choose another --out", cfg.Out)
		}
		if f, opt, step, epoch, err = resumeRun(cfg.Out, cfg.LR); err != nil {
			return fmt.Errorf("train flow: resume: %w", err)
		}
		fmt.Fprintf(stdout, "resuming %s from step %d (epoch %d)\n", cfg.Out, step, epoch)
	} else {
		fc, err := nf.Preset(cfg.Preset)
		if err != nil {
			return err
		}
		if cfg.Kind != "" && nf.Kind(cfg.Kind) != fc.Kind {
			return fmt.Errorf("train flow: kind %s does not match preset %s (kind %s)", cfg.Kind, cfg.Preset, fc.Kind)
		}
		if cfg.Crop%fc.SqueezeFactor() != 0 {
			return fmt.Errorf("train flow: crop %d is not divisible by the flow's squeeze factor %d", cfg.Crop, fc.SqueezeFactor())
		}
		if f, err = nf.New(fc, rand.New(rand.NewPCG(cfg.Seed, 0xf10))); err != nil {
			return err
		}
		if opt, err = newOptimizer(f, cfg.LR); err != nil {
			return err
		}
		cj, _ := json.MarshalIndent(fc, "", "  ")
		if err := atomicfile.WriteFile(filepath.Join(cfg.Out, "config.json"), append(cj, '\n')); err != nil {
			return err
		}
	}
	fc := f.Config()
	fmt.Fprintf(stdout, "flow %s: %d parameters, squeeze factor %d; train %s (%d images), validation %s (%d crops of %d)\n",
		fc.Kind, f.NumParams(), fc.SqueezeFactor(), trainSplit.Name, trainSplit.Len(), valSplit.Name, cfg.ValCrops, cfg.Crop)

	trainSrc, err := NewCropSource(trainSplit, cfg.Crop)
	if err != nil {
		return err
	}
	valSrc, err := NewCropSource(valSplit, cfg.Crop)
	if err != nil {
		return err
	}
	var valCrops *tensor.Tensor
	if cfg.ValCrops > 0 {
		if valCrops, err = valSrc.Batch(cfg.ValCrops, false, rand.New(rand.NewPCG(cfg.Seed, 0x7a1))); err != nil {
			return err
		}
	}
	// The log row of an epoch is written before its checkpoint, so a kill
	// never loses a row; rows of steps after the checkpoint, whose epoch
	// is about to be redone, are dropped here.
	logFile, err := train.OpenLog(filepath.Join(cfg.Out, LogFile), func(row map[string]any) bool {
		s, ok := row["step"].(float64)
		return ok && int(s) <= step
	})
	if err != nil {
		return err
	}
	defer logFile.Close()

	dims := 3 * cfg.Crop * cfg.Crop
	params := f.Parameters()
	start := time.Now()
	for ; epoch < cfg.Epochs; epoch++ {
		stepsThis := cfg.EpochSteps
		if cfg.Steps > 0 {
			stepsThis = min(cfg.EpochSteps, cfg.Steps-step)
		}
		if stepsThis <= 0 {
			break
		}
		bar := progressbar.NewOptions(stepsThis,
			progressbar.OptionSetWriter(progress),
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
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(step)+1))
			lr := warmupLR(cfg.LR, step, cfg.Warmup)
			for _, g := range opt.Groups() {
				g.LR = lr
			}
			x8, err := trainSrc.Batch(cfg.Batch, !cfg.NoFlip, rng)
			if err != nil {
				return err
			}
			lp, err := f.LogProb(autograd.Const(nf.Dequantize(x8, rng)), rng)
			if err != nil {
				return err
			}
			loss := nf.BitsPerDim(lp, dims)
			opt.ZeroGrad()
			bpd := float64(loss.Value.Data[0])
			finite := !math.IsNaN(bpd) && !math.IsInf(bpd, 0)
			if finite {
				loss.Backward()
				norm := optim.GradNorm(params)
				finite = !math.IsNaN(norm) && !math.IsInf(norm, 0)
				if finite && cfg.Clip > 0 {
					optim.ClipGradNorm(params, cfg.Clip)
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
		row := logRow{Epoch: epoch + 1, Step: step, TrainBPD: math.NaN(), ValBPD: math.NaN(), LR: warmupLR(cfg.LR, step-1, cfg.Warmup), SkippedSteps: skipped,
			ImagesPerSec: float64(stepsThis*cfg.Batch) / time.Since(epochStart).Seconds()}
		if good > 0 {
			row.TrainBPD = sum / float64(good)
		}
		if valCrops != nil {
			if row.ValBPD, err = validationBPD(f, valCrops, cfg.Batch, cfg.Seed); err != nil {
				return err
			}
		}
		row.ElapsedSec = time.Since(start).Seconds()
		if err := logFile.Write(row.fields()); err != nil {
			return err
		}
		if err := saveRun(cfg.Out, f, opt, step, epoch+1, cfg.Seed, cfg.Crop); err != nil {
			return fmt.Errorf("train flow: checkpoint: %w", err)
		}
		grid, err := SampleGrid(f, 16, cfg.Crop, cfg.Crop, float32(cfg.SampleTemperature), 2, rand.New(rand.NewPCG(cfg.Seed, 0x5a3)))
		if err == nil {
			err = atomicfile.Write(filepath.Join(cfg.Out, "samples.png"), func(w io.Writer) error { return dataset.EncodePNG(w, grid) })
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
func (row logRow) fields() map[string]any {
	return map[string]any{
		"epoch": row.Epoch, "step": row.Step, "lr": row.LR, "skipped_steps": row.SkippedSteps,
		"train_images_per_s": row.ImagesPerSec, "elapsed_s": row.ElapsedSec,
		"train_bpd": row.TrainBPD, "val_bpd": row.ValBPD,
	}
}
