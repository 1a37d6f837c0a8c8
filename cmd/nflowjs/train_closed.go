package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/train"
)

func init() {
	d := train.DefaultClosedConfig("", "")
	var (
		crop       string
		noFlip     bool
		dropout    float64
		outStride  int
		cpuProfile string
	)
	cfg := d
	cmd := &cobra.Command{
		Use:   "closed",
		Short: "Train the segmentation model closed-set (stage 1: cross-entropy on inlier classes)",
		Long: `Trains a ladder-style DenseNet (models/seg) with pixel-wise cross-entropy on the
dataset's classes; ignore, anomaly and unknown pixels are ignored. Adam with
separate encoder and decoder learning rates, cosine-annealed per step to
--min-lr; random scale, flip, crop and colour jitter.

After every epoch it validates on the val split (mIoU over inlier pixels) and
atomically writes RUN_DIR/state.safetensors (for --resume), the model bundle
RUN_DIR/model.safetensors + model.json (default score msp, temperature 2),
a line of RUN_DIR/log.jsonl and RUN_DIR/loss.png. --resume continues a
killed run from its last epoch with the configuration in RUN_DIR/train.json
(flags given explicitly override it) and reaches the same weights as an
uninterrupted run.

Default recipe (tiny preset, 2 CPU cores, road 128x256, 400 images): 80 epochs
of 100 steps, batch 4, full-size crops, scale [0.75, 1.5], flips, jitter 0.1,
Adam lr 1e-3 (encoder) / 4e-3 (decoder) annealed to 1e-7.`,
		Example: `  nflowjs train closed --data data/road --out runs/seg-road
  nflowjs train closed --data data/aerial --out runs/seg-aerial --epochs 30
  nflowjs train closed --data data/road --out runs/seg-road --resume`,
		RunE: func(cmd *cobra.Command, args []string) error {
			run := cfg
			if run.Resume {
				saved, err := train.LoadClosedConfig(run.Out)
				switch {
				case err == nil:
					applyChangedFlags(cmd.Flags(), &saved, run)
					saved.Resume, saved.Workers = true, run.Workers
					run = saved
				case errors.Is(err, fs.ErrNotExist):
				default:
					return err
				}
			}
			if run.Data == "" {
				return errors.New(`required flag "data" not set (only --resume can take it from the run's train.json)`)
			}
			if cmd.Flags().Changed("crop") || !run.Resume {
				run.CropH, run.CropW = 0, 0 // "": the image size
				if crop != "" {
					h, w, err := parseSize("--crop", crop, true)
					if err != nil {
						return err
					}
					run.CropH, run.CropW = h, w
				}
			}
			if cmd.Flags().Changed("no-flip") || !run.Resume {
				run.Flip = !noFlip
			}
			// --dropout and --output-stride edit the preset's config.
			editModel := func(edit func(*seg.Config)) error {
				if run.Model == nil {
					mc, err := seg.PresetConfig(run.Preset, 1)
					if err != nil {
						return err
					}
					mc.NumClasses = 0
					run.Model = &mc
				}
				edit(run.Model)
				return nil
			}
			if dropout >= 0 && cmd.Flags().Changed("dropout") {
				if err := editModel(func(c *seg.Config) { c.Dropout = float32(dropout) }); err != nil {
					return err
				}
			}
			if cmd.Flags().Changed("output-stride") {
				if outStride != 2 && outStride != 4 {
					return fmt.Errorf("--output-stride %d: want 2 or 4", outStride)
				}
				if err := editModel(func(c *seg.Config) { c.OutputStride = outStride }); err != nil {
					return err
				}
			}
			run.Stdout, run.Progress = cmd.OutOrStdout(), cmd.ErrOrStderr()
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			_, err := train.RunClosed(cmd.Context(), run)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Data, "data", "", "dataset: DIR (generic format) or KIND:DIR")
	fl.StringVar(&cfg.Out, "out", "", "run directory (bundle, state, log.jsonl, loss.png)")
	fl.StringVar(&cfg.Preset, "preset", d.Preset, fmt.Sprintf("model preset %v", seg.Presets()))
	fl.Float64Var(&dropout, "dropout", -1, "head dropout probability (default: the preset's, 0.1)")
	fl.IntVar(&outStride, "output-stride", 0, "resolution of the logits: 4 (1/4) or 2 (adds a 1/2-resolution ladder level; default: the preset's)")
	fl.IntVar(&cfg.Epochs, "epochs", d.Epochs, "epochs")
	fl.IntVar(&cfg.Batch, "batch", d.Batch, "images per step")
	fl.IntVar(&cfg.StepsPerEpoch, "steps-per-epoch", 0, "limit the steps per epoch (0: one pass over the train split)")
	fl.StringVar(&crop, "crop", "", "training crop H or HxW (default: the image size)")
	fl.Float64Var(&cfg.MinScale, "min-scale", d.MinScale, "smallest random scale (paper: 0.5)")
	fl.Float64Var(&cfg.MaxScale, "max-scale", d.MaxScale, "largest random scale (paper: 2)")
	fl.BoolVar(&noFlip, "no-flip", false, "disable random horizontal flips")
	fl.Float64Var(&cfg.Jitter, "jitter", d.Jitter, "colour jitter strength (0: off)")
	fl.Float64Var(&cfg.EncoderLR, "lr-encoder", d.EncoderLR, "Adam learning rate of the encoder (paper: 1e-4, pretrained)")
	fl.Float64Var(&cfg.DecoderLR, "lr-decoder", d.DecoderLR, "Adam learning rate of the decoder (paper: 4e-4)")
	fl.Float64Var(&cfg.MinLR, "min-lr", d.MinLR, "final learning rate of the cosine schedule (paper: 1e-7)")
	fl.Float64Var(&cfg.WeightDecay, "weight-decay", d.WeightDecay, "L2 weight decay")
	fl.IntVar(&cfg.ValLimit, "val-limit", 0, "validate on at most this many val images (0: all)")
	fl.Uint64Var(&cfg.Seed, "seed", d.Seed, "random seed (init, data order, augmentation, dropout)")
	fl.BoolVar(&cfg.Resume, "resume", false, "continue the run in --out from its last checkpoint")
	fl.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) of the whole run to this file")
	fl.IntVar(&cfg.Workers, "workers", 0, "data-loading goroutines (0: GOMAXPROCS; results do not depend on it)")
	// --data is not marked required: --resume takes it from train.json.
	_ = cmd.MarkFlagRequired("out")
	trainCmd.AddCommand(cmd)
}

// applyChangedFlags copies the explicitly given flags of run into saved
// (the configuration a resumed run started with).
func applyChangedFlags(fl *pflag.FlagSet, saved *train.ClosedConfig, run train.ClosedConfig) {
	set := func(name string, f func()) {
		if fl.Changed(name) {
			f()
		}
	}
	set("data", func() { saved.Data = run.Data })
	set("preset", func() { saved.Preset = run.Preset; saved.Model = nil })
	set("epochs", func() { saved.Epochs = run.Epochs })
	set("batch", func() { saved.Batch = run.Batch })
	set("steps-per-epoch", func() { saved.StepsPerEpoch = run.StepsPerEpoch })
	set("min-scale", func() { saved.MinScale = run.MinScale })
	set("max-scale", func() { saved.MaxScale = run.MaxScale })
	set("jitter", func() { saved.Jitter = run.Jitter })
	set("lr-encoder", func() { saved.EncoderLR = run.EncoderLR })
	set("lr-decoder", func() { saved.DecoderLR = run.DecoderLR })
	set("min-lr", func() { saved.MinLR = run.MinLR })
	set("weight-decay", func() { saved.WeightDecay = run.WeightDecay })
	set("val-limit", func() { saved.ValLimit = run.ValLimit })
	set("seed", func() { saved.Seed = run.Seed })
}
