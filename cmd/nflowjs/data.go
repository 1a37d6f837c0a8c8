package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/dataset"
)

// dataCmd groups the dataset subcommands: check, show (this file) and gen
// (data_gen.go).
var dataCmd = &cobra.Command{
	Use:   "data",
	Short: "Generate, validate and inspect datasets",
	Long: `Datasets are folders in nflowjs's generic format (dataset.json plus
<split>/images, <split>/labels and optional <split>/depth), or real benchmarks
read in place with KIND:DIR, where KIND is one of
  ` + dataset.KindsHelp() + `
(see docs/datasets.md for each layout).`,
}

func init() {
	rootCmd.AddCommand(dataCmd)
	dataCmd.AddCommand(newDataCheckCmd(), newDataShowCmd())
}

func newDataCheckCmd() *cobra.Command {
	var splits []string
	var workers, maxErrors int
	cmd := &cobra.Command{
		Use:   "check DIR|KIND:DIR",
		Short: "Validate a dataset and print per-split statistics",
		Long: `check reads every image, label map and depth map of every split and reports
each problem with the file it was found in (size mismatches, label values
outside the declared classes, corrupt files, images without labels, anomaly
pixels in train). It prints, per split, the image sizes, the pixel frequency
of each class and the anomaly fraction. It exits with an error if any
problem was found.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := dataset.Open(args[0])
			if err != nil {
				return err
			}
			names := splits
			if len(names) == 0 {
				names = d.SplitNames()
			}
			nerr := 0
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "dataset %q (%s) at %s: %d classes, ignore=%d, anomaly=%d",
				d.Meta.Name, d.Kind, d.Root, len(d.Meta.Classes), d.Meta.IgnoreLabel, d.Meta.AnomalyLabel)
			if d.Meta.UnknownLabel != 0 {
				fmt.Fprintf(out, ", unknown-inlier=%d", d.Meta.UnknownLabel)
			}
			fmt.Fprintln(out)
			for _, name := range names {
				s, err := d.Split(name)
				if err != nil {
					return err
				}
				st := dataset.Check(s, workers)
				st.WriteText(out, s, d.Meta)
				for i, e := range st.Errors {
					if i == maxErrors {
						fmt.Fprintf(out, "  ... %d more errors\n", len(st.Errors)-maxErrors)
						break
					}
					fmt.Fprintf(out, "  ERROR %v\n", e)
				}
				nerr += len(st.Errors)
			}
			if nerr > 0 {
				return fmt.Errorf("data check: %d problems", nerr)
			}
			fmt.Fprintln(out, "OK")
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&splits, "split", nil, "splits to check (default: all present)")
	cmd.Flags().IntVar(&workers, "workers", 0, "decoding goroutines (0 = all CPUs)")
	cmd.Flags().IntVar(&maxErrors, "max-errors", 50, "errors printed per split")
	return cmd
}

func newDataShowCmd() *cobra.Command {
	var split, out string
	var n, width, offset int
	cmd := &cobra.Command{
		Use:   "show DIR|KIND:DIR",
		Short: "Draw samples as a PNG grid: image | coloured labels | anomaly mask",
		Long: `show draws the first --n samples of a split (from --offset) as rows of
image | labels coloured with the dataset palette (dataset.json "colors", or a
Cityscapes-like palette; anomalies cyan, void black, unannotated inliers gray)
| anomaly mask (anomalies white, void dark gray).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if n < 1 || width < 8 {
				return fmt.Errorf("data show: --n must be >= 1 and --width >= 8")
			}
			d, err := dataset.Open(args[0])
			if err != nil {
				return err
			}
			s, err := d.Split(split)
			if err != nil {
				return err
			}
			var samples []*dataset.Sample
			for i := offset; i < s.Len() && len(samples) < n; i++ {
				smp, err := s.Load(i)
				if err != nil {
					return err
				}
				samples = append(samples, smp)
			}
			if len(samples) == 0 {
				return fmt.Errorf("data show: split %s has no samples from offset %d", split, offset)
			}
			grid := dataset.Grid(samples, d.Meta, width)
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			if err := writePNG(out, grid); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%dx%d, %d samples of %s)\n", out, grid.W, grid.H, len(samples), split)
			return nil
		},
	}
	cmd.Flags().StringVar(&split, "split", dataset.SplitTest, "split to draw")
	cmd.Flags().IntVar(&n, "n", 8, "number of samples")
	cmd.Flags().IntVar(&offset, "offset", 0, "index of the first sample")
	cmd.Flags().IntVar(&width, "width", 256, "panel width in pixels")
	cmd.Flags().StringVar(&out, "out", "grid.png", "output PNG")
	return cmd
}
