package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/onnx"
)

func init() {
	var model, out, size, score string
	var temperature float32
	cmd := &cobra.Command{
		Use:   "onnx --model RUN --out FILE.onnx",
		Short: "Export a model bundle (own or imported) to ONNX: logits and anomaly score",
		Long: `export onnx writes an ONNX model (opset 17) of a bundle — an nflowjs preset or an
imported torchvision/NVIDIA network — taking the normalised 1 x 3 x H x W image
(RGB/255, the bundle's mean and std; input "image") and giving "logits"
(1 x K x H x W) and "score" (1 x 1 x H x W, higher = more anomalous: the bundle's
score with its temperature, e.g. -JS(U, softmax(l/T))). The calibrated threshold,
the score, the classes and the normalisation are in the model's metadata_props.
The size is fixed at export (--size): an LDN's pyramid pooling bins depend on it.`,
		Example: `  nflowjs export onnx --model runs/joint-road --out road.onnx --size 512x1024`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if model == "" || out == "" {
				return errors.New("export onnx: --model and --out are required")
			}
			h, w, err := parseSize("--size", size, false)
			if err != nil {
				return fmt.Errorf("export onnx: %w", err)
			}
			b, err := seg.LoadBundle(model)
			if err != nil {
				return fmt.Errorf("export onnx: %w", err)
			}
			raw, err := onnx.Export(b, onnx.Options{H: h, W: w, Score: score, Temperature: temperature})
			if err != nil {
				return fmt.Errorf("export onnx: %w", err)
			}
			if err := atomicfile.WriteFile(out, raw); err != nil {
				return fmt.Errorf("export onnx: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%.1f MB): input image 1x3x%dx%d, outputs logits and score\n", out, float64(len(raw))/1e6, h, w)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&model, "model", "", "model bundle directory (required)")
	fl.StringVar(&out, "out", "", "ONNX file to write (required)")
	fl.StringVar(&size, "size", "512x1024", "input size HxW fixed in the graph")
	fl.StringVar(&score, "score", "", "anomaly score: js, msp, maxlogit (optionally NAME@T) or uno (a model trained with --head uno) (default: the bundle's)")
	fl.Float32Var(&temperature, "temperature", 0, "temperature of the score (default: the bundle's or the score's)")
	export := &cobra.Command{Use: "export", Short: "Export models to other formats (ONNX)"}
	export.AddCommand(cmd)
	rootCmd.AddCommand(export)
}
