package main

import (
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/dataset/synth"
)

func init() {
	var (
		out, size, source, farSource string
		testFar                      int
		seed                         uint64
		train, val, test, workers    int
		quiet                        bool
	)
	genCmd := &cobra.Command{
		Use:   "gen KIND --out DIR",
		Short: "Generate a benchmark (road, aerial, fashion-ood or toy2d)",
		Long: `Generate a procedural dense-OOD benchmark in the generic dataset format.

  road    StreetHazards-like perspective road scenes with depth; val and test
          images contain 1-3 anomalous objects at 5-50 m (val: crate, tyre,
          barrel; test: animal, rock, debris). Default 128x256, 400/60/100.
  aerial  BSB-like top-down tiles with 12 classes; test tiles contain boats
          and harbours on lakes, val tiles containers and tanks.
          Default 128x128, 400/60/100.
  fashion-ood  real scanned objects on procedural textures, from Debian's
          Fashion-MNIST (apt-get install dataset-fashion-mnist, or --source
          DIR with its four IDX files): inlier objects t-shirt, trouser,
          sneaker, bag; val anomalies pullover and sandal; test anomalies
          dress and ankle boot (near-OOD), never seen in training or
          calibration; the extra split test-far holds far-OOD anomalies:
          pieces of real photographs (python3-skimage's sample data, or
          --far-source DIR) in blob shapes. Default 96x96, 400/60/100/100.
  toy2d   the two-class 2-D points of the paper's Figure 2 (<split>.csv);
          counts are points. Default 1000/200/1000.

The same seed always produces byte-identical files, whatever --workers is.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := synth.Defaults(args[0])
			if err != nil {
				return err
			}
			if out == "" {
				return fmt.Errorf("data gen: --out is required")
			}
			cfg.Out, cfg.Workers = out, workers
			f := cmd.Flags()
			if f.Changed("seed") {
				cfg.Seed = seed
			}
			if f.Changed("train") {
				cfg.Train = train
			}
			if f.Changed("val") {
				cfg.Val = val
			}
			if f.Changed("test") {
				cfg.Test = test
			}
			for _, name := range []string{"source", "far-source", "test-far"} {
				if f.Changed(name) && cfg.Kind != "fashion-ood" {
					return fmt.Errorf("data gen: --%s applies to fashion-ood only", name)
				}
			}
			if f.Changed("source") {
				cfg.Source = source
			}
			if f.Changed("far-source") {
				cfg.FarSource = farSource
			}
			if f.Changed("test-far") {
				cfg.TestFar = testFar
			}
			if f.Changed("size") {
				if cfg.Height, cfg.Width, err = parseSize("data gen: --size", size, false); err != nil {
					return err
				}
			}
			total := cfg.Train + cfg.Val + cfg.Test + cfg.TestFar
			if !quiet && cfg.Kind != "toy2d" {
				bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(cmd.ErrOrStderr()),
					progressbar.OptionSetDescription("data gen "+cfg.Kind), progressbar.OptionShowCount(),
					progressbar.OptionShowIts(), progressbar.OptionClearOnFinish())
				cfg.Progress = func(done, _ int) { _ = bar.Set(done) }
			}
			t0 := time.Now()
			if err := synth.Generate(cmd.Context(), cfg); err != nil {
				return err
			}
			sec := time.Since(t0).Seconds()
			unit := "images"
			if cfg.Kind == "toy2d" {
				unit = "points"
			}
			far := ""
			if cfg.TestFar > 0 {
				far = fmt.Sprintf(", %d %s", cfg.TestFar, synth.FarSplit)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d train, %d val, %d test%s %s (seed %d) in %.1fs (%.0f %s/s)\n",
				cfg.Out, cfg.Train, cfg.Val, cfg.Test, far, unit, cfg.Seed, sec, float64(total)/sec, unit)
			return nil
		},
	}
	f := genCmd.Flags()
	f.StringVar(&out, "out", "", "output directory (required)")
	f.Uint64Var(&seed, "seed", 1, "random seed")
	f.IntVar(&train, "train", 0, "train split size (default per kind)")
	f.IntVar(&val, "val", 0, "val split size (default per kind)")
	f.IntVar(&test, "test", 0, "test split size (default per kind)")
	f.StringVar(&source, "source", "", "fashion-ood: folder of Fashion-MNIST's IDX files (default "+synth.FashionDefaultSource+")")
	f.StringVar(&farSource, "far-source", "", "fashion-ood: folder of the photographs the far-OOD split's anomalies are cut from (default "+synth.FashionFarDefaultSource+", python3-skimage)")
	f.IntVar(&testFar, "test-far", 0, "fashion-ood: size of the far-OOD split "+synth.FarSplit+" (default 100; 0: none)")
	f.StringVar(&size, "size", "", "image size HxW (default 128x256 road, 128x128 aerial, 96x96 fashion-ood)")
	f.IntVar(&workers, "workers", 0, "parallel renderers (0 = GOMAXPROCS); output does not depend on it")
	f.BoolVar(&quiet, "quiet", false, "no progress bar")
	dataCmd.AddCommand(genCmd)
}
