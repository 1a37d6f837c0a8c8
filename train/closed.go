package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"time"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/internal/runlock"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
)

// Defaults of closed-set (stage 1) training, chosen so that the tiny
// preset reaches a useful mIoU on the procedural road benchmark (128×256,
// 400 training images) in about 20 minutes on 2 CPU cores. The paper
// fine-tunes an ImageNet-pretrained LDN-121 with Adam at 1e-4 (encoder) and
// 4e-4 (decoder), cosine-annealed to 1e-7, batch 16, random scale [0.5, 2]
// and flips (section 5). Here the network starts from scratch, so both
// rates are higher; the decoder keeps the paper's 4× ratio.
const (
	DefaultPreset    = "tiny"
	DefaultEpochs    = 80
	DefaultBatch     = 4
	DefaultEncoderLR = 1e-3 // paper: 1e-4 with a pretrained encoder
	DefaultDecoderLR = 4e-3 // paper: 4e-4
	DefaultMinLR     = 1e-7 // paper: cosine annealing to 1e-7
	DefaultMinScale  = 0.75 // paper: 0.5 (on 1024×2048 Cityscapes images)
	DefaultMaxScale  = 1.5  // paper: 2
	DefaultJitter    = 0.1
)

// Random streams derived from the seed (PCG stream selectors).
const (
	streamInit    = 0x5e6_1
	streamDropout = 0x5e6_2
)

// ClosedConfigFile is the training configuration saved in a run directory.
const ClosedConfigFile = "train.json"

// ErrNonFinite reports a NaN or infinite loss or gradient. Training stops;
// the run directory keeps the last good checkpoint.
var ErrNonFinite = errors.New("train: non-finite loss or gradient")

// ClosedConfig configures closed-set segmentation training (stage 1 of
// NFlowJS: a plain segmentation model, the starting point of joint
// training). Start from DefaultClosedConfig.
type ClosedConfig struct {
	Data string `json:"data"` // dataset spec for dataset.Open
	Out  string `json:"out"`  // run directory
	// Preset is the model preset; Model, if set, overrides it (its
	// NumClasses must match the dataset or be 0).
	Preset string      `json:"preset"`
	Model  *seg.Config `json:"model,omitempty"`
	Epochs int         `json:"epochs"`
	Batch  int         `json:"batch"`
	// StepsPerEpoch limits the steps of an epoch (0 = every full batch).
	StepsPerEpoch int `json:"steps_per_epoch,omitempty"`
	// CropH×CropW is the training crop (0×0 = the first training image's
	// size); MinScale/MaxScale the random scale range; Flip random
	// horizontal flips; Jitter colour jitter (dataset.Augment).
	CropH    int     `json:"crop_h"`
	CropW    int     `json:"crop_w"`
	MinScale float64 `json:"min_scale"`
	MaxScale float64 `json:"max_scale"`
	Flip     bool    `json:"flip"`
	Jitter   float64 `json:"jitter"`
	// Adam learning rates of the encoder and of the decoder (SPP, ladder,
	// head), annealed per step with a cosine to MinLR; L2 weight decay.
	EncoderLR   float64 `json:"encoder_lr"`
	DecoderLR   float64 `json:"decoder_lr"`
	MinLR       float64 `json:"min_lr"`
	WeightDecay float64 `json:"weight_decay"`
	// ValLimit caps the validation images per epoch (0 = all).
	ValLimit int    `json:"val_limit,omitempty"`
	Seed     uint64 `json:"seed"`
	// Resume continues the run in Out from its state.safetensors.
	Resume bool `json:"-"`
	// Workers decode and augment (0 = GOMAXPROCS); results do not
	// depend on it.
	Workers int `json:"-"`
	// Stdout receives one summary line per epoch, Progress the progress
	// bar; nil discards.
	Stdout   io.Writer `json:"-"`
	Progress io.Writer `json:"-"`
}

// DefaultClosedConfig returns the documented recipe for data → out.
func DefaultClosedConfig(data, out string) ClosedConfig {
	return ClosedConfig{Data: data, Out: out, Preset: DefaultPreset, Epochs: DefaultEpochs, Batch: DefaultBatch,
		MinScale: DefaultMinScale, MaxScale: DefaultMaxScale, Flip: true, Jitter: DefaultJitter,
		EncoderLR: DefaultEncoderLR, DecoderLR: DefaultDecoderLR, MinLR: DefaultMinLR, Seed: 1}
}

// LoadClosedConfig reads the configuration a run directory was started
// with (RUN/train.json), so that a resumed run can reuse it.
func LoadClosedConfig(dir string) (ClosedConfig, error) {
	path := filepath.Join(dir, ClosedConfigFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return ClosedConfig{}, fmt.Errorf("train: %w", err)
	}
	var c ClosedConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return ClosedConfig{}, fmt.Errorf("train: %s: %w", path, err)
	}
	return c, nil
}

func (c *ClosedConfig) validate() error {
	switch {
	case c.Data == "" || c.Out == "":
		return errors.New("train: data and out directories are required")
	case c.Epochs < 1 || c.Batch < 1 || c.StepsPerEpoch < 0 || c.ValLimit < 0:
		return fmt.Errorf("train: epochs %d and batch %d must be positive, steps per epoch %d and val limit %d not negative",
			c.Epochs, c.Batch, c.StepsPerEpoch, c.ValLimit)
	case !(c.EncoderLR > 0) || !(c.DecoderLR > 0) || c.MinLR < 0 || c.WeightDecay < 0 ||
		math.IsInf(c.EncoderLR, 0) || math.IsInf(c.DecoderLR, 0):
		return fmt.Errorf("train: learning rates %g/%g must be positive and finite, min lr %g and weight decay %g not negative",
			c.EncoderLR, c.DecoderLR, c.MinLR, c.WeightDecay)
	}
	a := dataset.Augment{Flip: c.Flip, MinScale: c.MinScale, MaxScale: c.MaxScale, CropH: c.CropH, CropW: c.CropW, Jitter: c.Jitter}
	return a.Validate()
}

// EpochRow is one line of RUN/log.jsonl.
type EpochRow struct {
	Epoch        int       `json:"epoch"`
	Step         int       `json:"step"`
	TrainLoss    float64   `json:"train_loss"`
	ValLoss      float64   `json:"val_loss"`
	ValMIoU      float64   `json:"val_miou"`
	ValPixelAcc  float64   `json:"val_pixel_acc"`
	ValIoU       []float64 `json:"val_iou"`
	EncoderLR    float64   `json:"encoder_lr"`
	DecoderLR    float64   `json:"decoder_lr"`
	ImagesPerSec float64   `json:"train_images_per_s"`
	EpochSec     float64   `json:"epoch_s"`
	ElapsedSec   float64   `json:"elapsed_s"` // of this process, since start or resume
	Time         string    `json:"time"`
}

// fields is the row as a map for Logger.Write, which turns the NaN of a
// missing value (no validation split) into null; encoding/json would
// reject the struct.
func (r EpochRow) fields() map[string]any {
	return map[string]any{
		"epoch": r.Epoch, "step": r.Step, "train_loss": r.TrainLoss, "val_loss": r.ValLoss, "val_miou": r.ValMIoU,
		"val_pixel_acc": r.ValPixelAcc, "val_iou": r.ValIoU, "encoder_lr": r.EncoderLR, "decoder_lr": r.DecoderLR,
		"train_images_per_s": r.ImagesPerSec, "epoch_s": r.EpochSec, "elapsed_s": r.ElapsedSec, "time": r.Time,
	}
}

// ClosedResult summarises a finished run.
type ClosedResult struct {
	Model   *seg.Model
	Epochs  int // completed epochs (including resumed ones)
	Steps   int
	History []EpochRow // epochs run by this call
}

// RunClosed trains a segmentation model with pixel-wise cross-entropy
// (ignore, anomaly and unknown pixels ignored) and writes the run
// directory:
//
//	OUT/train.json           the configuration
//	OUT/state.safetensors    model, Adam state, epoch, step, seed, dropout RNG (for Resume)
//	OUT/model.safetensors    the Bundle (model.json: score "msp", temperature 2), after every epoch
//	OUT/log.jsonl            one EpochRow per epoch
//	OUT/loss.png             train/val loss per epoch
//
// Every file is replaced atomically after each epoch, so a run killed at
// any moment resumes (Resume) from its last completed epoch and, with the
// same configuration, reaches bit-identical final weights. A non-finite
// loss or gradient returns an error wrapping ErrNonFinite without touching
// the last checkpoint.
func RunClosed(ctx context.Context, cfg ClosedConfig) (*ClosedResult, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	stdout := cfg.Stdout
	if stdout == nil {
		stdout = io.Discard
	}
	ds, err := dataset.Open(cfg.Data)
	if err != nil {
		return nil, err
	}
	meta := ds.Meta
	k := len(meta.Classes)
	trainSplit, err := ds.Split(dataset.SplitTrain)
	if err != nil {
		return nil, err
	}
	if trainSplit.Len() == 0 {
		return nil, fmt.Errorf("train: %s has no training images", cfg.Data)
	}
	var valSplit *dataset.Split
	if vs, err := ds.Split(dataset.SplitVal); err == nil && vs.Len() > 0 {
		valSplit = vs
	}
	if cfg.CropH == 0 {
		s, err := trainSplit.Load(0)
		if err != nil {
			return nil, err
		}
		cfg.CropH, cfg.CropW = s.H(), s.W()
	}

	mcfg, err := modelConfig(cfg, k)
	if err != nil {
		return nil, err
	}
	m, err := seg.New(mcfg, rand.New(rand.NewPCG(cfg.Seed, streamInit)))
	if err != nil {
		return nil, err
	}
	if gh, gw := (cfg.CropH+mcfg.Stride()-1)/mcfg.Stride(), (cfg.CropW+mcfg.Stride()-1)/mcfg.Stride(); cfg.Batch*gh*gw < 2 {
		return nil, fmt.Errorf("train: batch %d of %dx%d crops leaves one value per channel on the 1/%d grid; batch norm needs at least two",
			cfg.Batch, cfg.CropH, cfg.CropW, mcfg.Stride())
	}
	opt, err := optim.NewAdam([]optim.ParamGroup{
		{Name: "encoder", Params: m.EncoderParams(), LR: cfg.EncoderLR, WeightDecay: cfg.WeightDecay},
		{Name: "decoder", Params: m.DecoderParams(), LR: cfg.DecoderLR, WeightDecay: cfg.WeightDecay},
	}, optim.DefaultAdamConfig())
	if err != nil {
		return nil, err
	}
	dropPCG := rand.NewPCG(cfg.Seed, streamDropout)

	// One run per directory: a second run into cfg.Out would mix its
	// weights and logs with this one's.
	unlock, err := runlock.Lock(cfg.Out)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer unlock()
	// Files a kill left half-written are garbage once the lock is ours.
	if err := atomicfile.RemoveTemps(cfg.Out); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	statePath := filepath.Join(cfg.Out, StateFile)
	epoch0, step := 0, 0
	if _, err := os.Stat(statePath); err == nil {
		if !cfg.Resume {
			return nil, fmt.Errorf("train: %s already holds a training state; resume it (--resume) or choose another output directory", cfg.Out)
		}
		if epoch0, step, dropPCG, err = restoreClosed(statePath, cfg, m, opt); err != nil {
			return nil, err
		}
		fmt.Fprintf(stdout, "resuming %s after epoch %d (step %d)\n", cfg.Out, epoch0, step)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("train: %w", err)
	} else if cfg.Resume {
		fmt.Fprintf(stdout, "%s has no %s yet: starting from scratch\n", cfg.Out, StateFile)
	}
	m.SetDropoutRNG(rand.New(dropPCG))
	saved := cfg
	saved.Model = &mcfg
	if raw, err := json.MarshalIndent(saved, "", "  "); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	} else if err := atomicfile.WriteFile(filepath.Join(cfg.Out, ClosedConfigFile), append(raw, '\n')); err != nil {
		return nil, err
	}
	logger, err := OpenLog(filepath.Join(cfg.Out, LogFile), func(r map[string]any) bool {
		e, ok := r["epoch"].(float64)
		return ok && int(e) <= epoch0
	})
	if err != nil {
		return nil, err
	}
	defer logger.Close()
	if epoch0 > 0 {
		// The bundle is written after the state, so a kill between the two
		// leaves the previous epoch's bundle (or half of this one's): the
		// state is the checkpoint, and the bundle is rewritten from it.
		if err := saveClosedBundle(cfg, m, meta, loggedRow(filepath.Join(cfg.Out, LogFile), epoch0, step)); err != nil {
			return nil, err
		}
	}

	aug := &dataset.Augment{Flip: cfg.Flip, MinScale: cfg.MinScale, MaxScale: cfg.MaxScale, CropH: cfg.CropH, CropW: cfg.CropW, Jitter: cfg.Jitter}
	ld, err := dataset.NewLoader(trainSplit, dataset.LoaderConfig{BatchSize: cfg.Batch, Workers: cfg.Workers, Shuffle: true,
		DropLast: true, Seed: cfg.Seed, Augment: aug, Cache: true})
	if err != nil {
		return nil, err
	}
	steps := ld.NumBatches()
	if cfg.StepsPerEpoch > 0 {
		steps = min(steps, cfg.StepsPerEpoch)
	}
	if steps == 0 {
		return nil, fmt.Errorf("train: %d training images make no full batch of %d", trainSplit.Len(), cfg.Batch)
	}
	var valLd *dataset.Loader
	if valSplit != nil {
		if valLd, err = NewValLoader(valSplit, cfg.Batch); err != nil {
			return nil, err
		}
	}
	sched := optim.Cosine{TMax: cfg.Epochs * steps, MinLR: cfg.MinLR}
	fmt.Fprintf(stdout, "seg %s: %d parameters, %.2f GFLOP per %dx%d crop; train %d images (%d steps of %d per epoch), val %d images\n",
		mcfg.Preset, m.NumParams(), float64(m.FLOPs(cfg.CropH, cfg.CropW))/1e9, cfg.CropH, cfg.CropW,
		trainSplit.Len(), steps, cfg.Batch, splitLen(valSplit))

	res := &ClosedResult{Model: m, Epochs: epoch0, Steps: step}
	params := nn.Parameters(m)
	ignore := int32(meta.IgnoreLabel)
	start := time.Now()
	for epoch := epoch0; epoch < cfg.Epochs; epoch++ {
		epochStart := time.Now()
		nn.Train(m)
		bar := NewProgress(cfg.Progress, epoch+1, cfg.Epochs, steps, (cfg.Epochs-epoch-1)*steps)
		it := ld.Epoch(ctx, epoch)
		var lossSum float64
		for s := 0; s < steps; s++ {
			b, err := it.Next()
			if err != nil {
				it.Close()
				return nil, fmt.Errorf("train: epoch %d: %w", epoch+1, err)
			}
			for _, g := range opt.Groups() {
				g.LR = sched.LR(g.InitialLR, step)
			}
			x := tensor.FromData(b.Images, b.N, 3, b.H, b.W)
			labels := ClassLabels(b.Labels, k, ignore)
			opt.ZeroGrad()
			loss := autograd.CrossEntropy(m.Forward(autograd.Const(x)), labels, ignore)
			l := float64(loss.Value.Data[0])
			finite := isFinite(l)
			if finite {
				loss.Backward()
				finite = isFinite(optim.GradNorm(params))
			}
			if !finite {
				it.Close()
				return nil, fmt.Errorf("%w: loss %g at epoch %d, step %d; the last good checkpoint (epoch %d) is kept in %s",
					ErrNonFinite, l, epoch+1, step+1, res.Epochs, cfg.Out)
			}
			opt.Step()
			step++
			lossSum += l
			bar.Step(b.N, l)
		}
		it.Close()
		bar.Finish()
		ips := bar.ImagesPerSecond()
		row := EpochRow{Epoch: epoch + 1, Step: step, TrainLoss: lossSum / float64(steps), ValLoss: math.NaN(),
			ValMIoU: math.NaN(), ValPixelAcc: math.NaN(), ImagesPerSec: ips}
		groups := opt.Groups()
		row.EncoderLR, row.DecoderLR = groups[0].LR, groups[1].LR
		if valLd != nil {
			vr, err := Validate(ctx, m, valLd, cfg.ValLimit)
			if err != nil {
				return nil, err
			}
			row.ValLoss, row.ValMIoU, row.ValPixelAcc, row.ValIoU = vr.Loss, vr.MIoU, vr.PixelAcc, vr.Confusion.IoU()
		}
		row.EpochSec = time.Since(epochStart).Seconds()
		row.ElapsedSec = time.Since(start).Seconds()
		row.Time = time.Now().UTC().Format(time.RFC3339)
		// The log row goes first: if the process dies before the state
		// is saved, a resumed run drops this row and redoes the epoch.
		if err := logger.Write(row.fields()); err != nil {
			return nil, err
		}
		if err := saveClosed(statePath, cfg, m, opt, epoch+1, step, dropPCG); err != nil {
			return nil, err
		}
		if err := saveClosedBundle(cfg, m, meta, row); err != nil {
			return nil, err
		}
		if err := plotClosed(cfg.Out); err != nil {
			return nil, err
		}
		res.Epochs, res.Steps = epoch+1, step
		res.History = append(res.History, row)
		fmt.Fprintf(stdout, "epoch %d/%d  step %d  train loss %.4f  val loss %.4f  val mIoU %.2f%%  pixel acc %.2f%%  %.1f img/s  %.1f s\n",
			row.Epoch, cfg.Epochs, row.Step, row.TrainLoss, row.ValLoss, 100*row.ValMIoU, 100*row.ValPixelAcc, ips, row.EpochSec)
	}
	return res, nil
}

func splitLen(s *dataset.Split) int {
	if s == nil {
		return 0
	}
	return s.Len()
}

// modelConfig resolves the model configuration for k classes.
func modelConfig(cfg ClosedConfig, k int) (seg.Config, error) {
	if cfg.Model != nil {
		mc := *cfg.Model
		if mc.NumClasses != 0 && mc.NumClasses != k {
			return seg.Config{}, fmt.Errorf("train: model config has %d classes, the dataset %d", mc.NumClasses, k)
		}
		mc.NumClasses = k
		return mc, mc.Validate()
	}
	return seg.PresetConfig(cfg.Preset, k)
}

// saveClosed writes the resumable state atomically.
func saveClosed(path string, cfg ClosedConfig, m *seg.Model, opt optim.Optimizer, epoch, step int, drop *rand.PCG) error {
	rng, err := EncodeRNG(drop)
	if err != nil {
		return err
	}
	mc, _ := json.Marshal(m.Config())
	st := State{Groups: map[string]map[string]*tensor.Tensor{modelGroupName: nn.StateDict(m)}, Meta: map[string]string{
		MetaEpoch: strconv.Itoa(epoch), MetaStep: strconv.Itoa(step), MetaSeed: strconv.FormatUint(cfg.Seed, 10),
		MetaDropoutRNG: rng, seg.MetaConfig: string(mc),
	}}
	st.PutOptimizer(opt)
	return SaveState(path, st)
}

// restoreClosed loads a state written by saveClosed into m and opt.
func restoreClosed(path string, cfg ClosedConfig, m *seg.Model, opt optim.Optimizer) (epoch, step int, drop *rand.PCG, err error) {
	st, err := LoadState(path)
	if err != nil {
		return 0, 0, nil, err
	}
	fail := func(format string, a ...any) (int, int, *rand.PCG, error) {
		return 0, 0, nil, fmt.Errorf("train: resume %s: "+format, append([]any{path}, a...)...)
	}
	if s := st.Meta[MetaSeed]; s != strconv.FormatUint(cfg.Seed, 10) {
		return fail("the run used seed %s, not %d", s, cfg.Seed)
	}
	var saved seg.Config
	if err := json.Unmarshal([]byte(st.Meta[seg.MetaConfig]), &saved); err != nil {
		return fail("model config: %v", err)
	}
	if !reflect.DeepEqual(saved, m.Config()) {
		return fail("the checkpoint's model config %+v differs from %+v", saved, m.Config())
	}
	if epoch, err = strconv.Atoi(st.Meta[MetaEpoch]); err != nil {
		return fail("epoch: %v", err)
	}
	if step, err = strconv.Atoi(st.Meta[MetaStep]); err != nil {
		return fail("step: %v", err)
	}
	if drop, err = DecodeRNG(st.Meta[MetaDropoutRNG]); err != nil {
		return fail("%v", err)
	}
	if err := nn.LoadStateDict(m, st.Groups[modelGroupName]); err != nil {
		return fail("%v", err)
	}
	if err := st.RestoreOptimizer(opt); err != nil {
		return fail("%v", err)
	}
	return epoch, step, drop, nil
}

// loggedRow returns the log's row of epoch (the bundle's summary of it),
// or a row with only the epoch and step if the log lacks it.
func loggedRow(path string, epoch, step int) EpochRow {
	row := EpochRow{Epoch: epoch, Step: step, TrainLoss: math.NaN(), ValMIoU: math.NaN()}
	rows, _ := ReadLog(path)
	for _, r := range rows {
		if e, ok := r["epoch"].(float64); !ok || int(e) != epoch {
			continue
		}
		if v, ok := r["train_loss"].(float64); ok {
			row.TrainLoss = v
		}
		if v, ok := r["val_miou"].(float64); ok {
			row.ValMIoU = v
		}
	}
	return row
}

// saveClosedBundle writes OUT/model.safetensors + model.json.
func saveClosedBundle(cfg ClosedConfig, m *seg.Model, meta *dataset.Meta, row EpochRow) error {
	info := seg.NewInfo(m, meta.Classes, "msp", "closed")
	info.Colors = dataset.Palette(meta)
	info.IgnoreLabel, info.AnomalyLabel, info.UnknownLabel = meta.IgnoreLabel, meta.AnomalyLabel, meta.UnknownLabel
	info.Dataset = meta.Name
	info.Extra = map[string]any{"epoch": row.Epoch, "step": row.Step, "train_loss": nullIfNaN(row.TrainLoss),
		"val_miou": nullIfNaN(row.ValMIoU), "data": cfg.Data}
	return seg.SaveBundle(cfg.Out, m, info)
}

func nullIfNaN(v float64) any {
	if !isFinite(v) {
		return nil
	}
	return v
}

// plotClosed draws OUT/loss.png from OUT/log.jsonl.
func plotClosed(dir string) error {
	rows, err := ReadLog(filepath.Join(dir, LogFile))
	if err != nil {
		return err
	}
	col := func(key string) []float64 {
		out := make([]float64, len(rows))
		for i, r := range rows {
			out[i] = math.NaN()
			if v, ok := r[key].(float64); ok {
				out[i] = v
			}
		}
		return out
	}
	ep := col("epoch")
	return PlotCurves(filepath.Join(dir, "loss.png"), "closed-set training", "epoch", "cross-entropy",
		Series{Name: "train", X: ep, Y: col("train_loss")}, Series{Name: "val", X: ep, Y: col("val_loss")})
}
