package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/infer"
)

func init() {
	rootCmd.AddCommand(newPredictCmd())
}

// modelFlags are the model options shared by predict and serve.
type modelFlags struct {
	saveLogits  bool
	saveScore   bool
	model       string
	score       string
	temperature float32
	threshold   float32
	scoreRes    string
	maxPixels   int
}

func (f *modelFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "trained model directory (model.safetensors + model.json) (required)")
	fl.StringVar(&f.score, "score", "", "anomaly score: js, msp, maxlogit, entropy, energy, kl, rkl, optionally NAME@T (default: the bundle's)")
	fl.Float32Var(&f.temperature, "temperature", 0, "softmax temperature of the score (default: the bundle's, or the score's default)")
	fl.Float32Var(&f.threshold, "threshold", 0, "fusion threshold: score > X is anomalous (default: the bundle's calibrated one)")
	fl.StringVar(&f.scoreRes, "score-res", infer.ScoreResFull, "score resolution: full (score every pixel's logits) or native\n"+
		"(score the model's 1/4-resolution logits, upsample the score map: ~16x less scoring work)")
}

// pipeline loads the bundle with the flags' overrides.
func (f *modelFlags) pipeline(cmd *cobra.Command) (*infer.Pipeline, error) {
	if f.model == "" {
		return nil, errors.New("--model is required")
	}
	res, err := infer.ParseScoreResolution(f.scoreRes)
	if err != nil {
		return nil, fmt.Errorf("--score-res: %w", err)
	}
	if f.maxPixels < 0 {
		return nil, fmt.Errorf("--max-pixels %d must not be negative", f.maxPixels)
	}
	o := infer.Overrides{Score: f.score, Temperature: f.temperature, ScoreResolution: res, MaxPixels: f.maxPixels, KeepLogits: f.saveLogits}
	if cmd.Flags().Changed("temperature") && !(f.temperature > 0) {
		return nil, fmt.Errorf("--temperature %g must be positive", f.temperature)
	}
	if cmd.Flags().Changed("threshold") {
		t := f.threshold
		if err := infer.CheckThreshold(&t); err != nil {
			return nil, err
		}
		o.Threshold, o.ThresholdSource = &t, "--threshold"
	}
	p, _, err := infer.Load(f.model, o)
	return p, err
}

// noThresholdNote explains, once, why there is no outlier-aware output.
func noThresholdNote(w io.Writer, model string) {
	fmt.Fprintf(w, "nflowjs: note: %s/model.json has no calibrated threshold for this score and no --threshold was given:\n"+
		"  writing the closed-set segmentation, the score heatmap and the overlay, but no outlier-aware segmentation\n"+
		"  (BASE_fused.png) and no anomalous fraction or components. Calibrate with\n"+
		"  `nflowjs calibrate --model %s --data DIR --split val` or pass --threshold.\n", model, model)
}

func newPredictCmd() *cobra.Command {
	var mf modelFlags
	var out string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "predict --model RUN IMG_OR_DIR... --out DIR",
		Short: "Segment images and detect anomalies: seg, score heatmap, outlier-aware seg, overlay, JSON",
		Long: `predict runs a trained model bundle on images (PNG or JPEG, any size; also WebP
and TIFF) and writes, for each image BASE, into --out:

  BASE_seg.png      closed-set segmentation in the class palette
  BASE_ood.png      anomaly score heatmap (inferno colour map, bright = anomalous)
                    with a legend strip: the colour range and the threshold tick
  BASE_fused.png    outlier-aware segmentation, anomalies cyan (paper Figure 7);
                    only with a threshold
  BASE_overlay.png  the (outlier-aware) segmentation blended over the input
  BASE.json         summary: score statistics, anomalous pixel fraction, and the
                    connected anomaly components with bounding boxes and mean scores

The score is NFlowJS's −JS(U, softmax(l/T)) unless the bundle or --score says
otherwise. --score-res native computes it on the model's 1/4-resolution logits
and upsamples the score map bilinearly (the segmentation stays full-resolution);
the threshold is the one 'nflowjs calibrate' stored in the bundle,
or --threshold. Directories are read for image files (not recursively).
An unreadable image is reported and skipped; the others are still processed,
and the exit status is then non-zero.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("--out is required")
			}
			stderr := cmd.ErrOrStderr()
			p, err := mf.pipeline(cmd)
			if err != nil {
				return err
			}
			files, problems, anyDir := infer.ExpandInputs(args)
			for _, e := range problems {
				fmt.Fprintf(stderr, "nflowjs predict: %v\n", e)
			}
			if len(files) == 0 {
				return fmt.Errorf("no images to predict (%d input problem(s))", len(problems))
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			if p.Config().Threshold == nil {
				noThresholdNote(stderr, mf.model)
			}
			var bar *progressbar.ProgressBar
			if !quiet && (anyDir || len(files) > 1) {
				bar = progressbar.NewOptions(len(files), progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription("predict"), progressbar.OptionShowCount(),
					progressbar.OptionShowElapsedTimeOnFinish(), progressbar.OptionClearOnFinish())
			}
			report := func(format string, a ...any) {
				if bar != nil {
					_ = bar.Clear()
				}
				fmt.Fprintf(stderr, format, a...)
			}
			used := map[string]bool{}
			failed, done := len(problems), 0
			var fwd, score float64
			for _, f := range files {
				warning, err := predictOne(p, f, out, infer.OutputBase(f, used), mf.saveLogits || mf.saveScore, &fwd, &score)
				if err != nil {
					failed++
					report("nflowjs predict: %v (skipped)\n", err)
				} else {
					done++
					if warning != "" && p.Config().Threshold != nil {
						report("nflowjs predict: warning: %s: %s\n", f, warning)
					}
				}
				if bar != nil {
					_ = bar.Add(1)
				}
			}
			if bar != nil {
				_ = bar.Finish()
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "predicted %d image(s) into %s with %s", done, out, p.ScoreName())
			if r := p.Config().ScoreResolution; r != infer.ScoreResFull {
				fmt.Fprintf(w, " at %s resolution", r)
			}
			if t := p.Config().Threshold; t != nil {
				fmt.Fprintf(w, ", threshold %g (%s)", *t, p.Config().ThresholdSource)
			}
			if done > 0 {
				fmt.Fprintf(w, "; mean forward %.1f ms, score+fuse %.2f ms (%.2f%%)", fwd/float64(done), score/float64(done), 100*score/fwd)
			}
			fmt.Fprintln(w)
			if failed > 0 {
				return fmt.Errorf("%d of %d input(s) failed; see the messages above", failed, len(files)+len(problems))
			}
			return nil
		},
	}
	mf.register(cmd)
	cmd.Flags().IntVar(&mf.maxPixels, "max-pixels", 0, fmt.Sprintf("largest image (width × height) to predict; 0: derived from memory, half of what is\n"+
		"available now at %d bytes/pixel (measured for the tiny preset), at most 64 Mpixel (here: %d);\n"+
		"larger images are refused before decoding, with the memory they would need", infer.BytesPerPixel, infer.MemoryPixelCap(1)))
	cmd.Flags().StringVar(&out, "out", "", "output directory (created if needed) (required)")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "no progress bar")
	cmd.Flags().BoolVar(&mf.saveLogits, "save-logits", false, "also write <image stem>_logits.npy (float32, K x H x W at input size) and _score.npy")
	cmd.Flags().BoolVar(&mf.saveScore, "save-score", false, "also write <image stem>_score.npy (float32, H x W: the anomaly score map)")
	return cmd
}

// predictOne writes the outputs of one image and adds its forward and
// score+fuse times (ms) to the running sums; it returns the summary's
// warning (e.g. a threshold that flags most of the image).
func predictOne(p *infer.Pipeline, path, out, base string, arrays bool, fwd, score *float64) (string, error) {
	if err := infer.CheckImageFile(path, p.Config().MaxPixels); err != nil {
		return "", err // refused before decoding
	}
	img, err := dataset.ReadImage(path)
	if err != nil {
		return "", err // a *dataset.FileError naming the file
	}
	r, err := p.Predict(img)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	r.Summary.Image = path
	if _, err := r.WriteFiles(out, base); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if arrays {
		if _, err := r.WriteArrays(out, base); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
	}
	*fwd += float64(r.Timing.Forward.Microseconds()) / 1000
	*score += float64((r.Timing.Score + r.Timing.Fuse).Microseconds()) / 1000
	return r.Summary.Warning, nil
}
