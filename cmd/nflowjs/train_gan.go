package main

import (
	"github.com/spf13/cobra"

	traingan "github.com/nflowjs/nflowjs/train/gan"
)

func init() {
	o := traingan.DefaultConfig("", "")
	cmd := &cobra.Command{
		Use:   "gan",
		Short: "Pre-train a small DCGAN on random inlier crops (the GAN negatives of paper Table 8)",
		Long: `Trains a DCGAN (fully convolutional generator from a latent grid, patch
discriminator, batch norm; non-saturating loss, Adam lr 2e-4, beta1 0.5)
adversarially on random crops of the train split (crops with anomaly pixels are
redrawn). Writes RUN_DIR/gan.safetensors, log.jsonl and samples.png. Its
generator is the source of "train joint --negatives gan --gan RUN_DIR", the
adversarial alternative to the flow that the NFlowJS paper compares in Table 8.`,
		Example: `  nflowjs train gan --data data/road --crop 32 --steps 2000 --out runs/gan-road`,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := traingan.Run(cmd.Context(), o, cmd.OutOrStdout())
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Data, "data", "", "dataset: DIR (generic format) or KIND:DIR")
	fl.StringVar(&o.Out, "out", "", "run directory")
	fl.IntVar(&o.Crop, "crop", o.Crop, "square crop side (a multiple of 8)")
	fl.IntVar(&o.Batch, "batch", o.Batch, "real (and generated) crops per step")
	fl.IntVar(&o.Steps, "steps", o.Steps, "adversarial steps")
	fl.Float64Var(&o.LR, "lr", o.LR, "Adam learning rate of both networks (beta1 0.5)")
	fl.IntVar(&o.GAN.Latent, "latent", o.GAN.Latent, "latent channels (one latent vector per 8x8 output block)")
	fl.IntVar(&o.GAN.Width, "width", o.GAN.Width, "base width of the networks (x1, x2, x4)")
	fl.Uint64Var(&o.Seed, "seed", o.Seed, "random seed (init, crops, latents)")
	fl.BoolVar(&o.NoFlip, "no-flip", false, "disable random horizontal flips of the crops")
	fl.IntVar(&o.LogEvery, "log-every", o.LogEvery, "steps per log line")
	_ = cmd.MarkFlagRequired("data")
	_ = cmd.MarkFlagRequired("out")
	trainCmd.AddCommand(cmd)
}
