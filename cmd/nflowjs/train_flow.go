package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/models/flow"
	trainflow "github.com/nflowjs/nflowjs/train/flow"
)

func init() {
	o := trainflow.DefaultConfig("", "")
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
			return trainflow.Run(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Data, "data", "", "dataset: DIR (generic format) or KIND:DIR")
	fl.StringVar(&o.Out, "out", "", "run directory for checkpoints, log.jsonl and samples.png")
	fl.StringVar(&o.Kind, "config", o.Kind, "flow kind: denseflow or realnvp (checked against --preset)")
	fl.StringVar(&o.Preset, "preset", "", fmt.Sprintf("model preset %v (default: <config>-tiny)", flow.PresetNames()))
	fl.IntVar(&o.Crop, "crop", trainflow.DefaultCrop, "square crop size (paper: 64 road, 32 aerial)")
	fl.IntVar(&o.Batch, "batch", trainflow.DefaultBatch, "crops per step")
	fl.IntVar(&o.Epochs, "epochs", trainflow.DefaultEpochs, "epochs")
	fl.IntVar(&o.EpochSteps, "epoch-steps", trainflow.DefaultEpochSteps, "optimizer steps per epoch")
	fl.IntVar(&o.Steps, "steps", 0, "total steps (overrides --epochs)")
	fl.IntVar(&o.ValCrops, "val-crops", trainflow.DefaultValCrops, "fixed validation crops (0: no validation)")
	fl.Float64Var(&o.LR, "lr", trainflow.DefaultLR, "Adamax learning rate (paper: 1e-3 from scratch)")
	fl.IntVar(&o.Warmup, "warmup", trainflow.DefaultWarmup, "linear learning-rate warmup steps (0: off)")
	fl.Float64Var(&o.Clip, "clip", trainflow.DefaultClip, "global gradient-norm clip (0: off)")
	fl.Float64Var(&o.SampleTemperature, "sample-temperature", o.SampleTemperature, "temperature of the per-epoch samples.png")
	fl.Uint64Var(&o.Seed, "seed", o.Seed, "random seed (model init, crops, dequantisation)")
	fl.BoolVar(&o.Resume, "resume", false, "continue the checkpoint in --out")
	fl.BoolVar(&o.NoFlip, "no-flip", false, "disable random horizontal flips of the crops")
	_ = cmd.MarkFlagRequired("data")
	_ = cmd.MarkFlagRequired("out")
	trainCmd.AddCommand(cmd)
}
