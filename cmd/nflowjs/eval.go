package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/evaluate"
	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/ood"
)

func init() {
	rootCmd.AddCommand(newEvalCmd())
}

// evalFlags are the options shared by eval and calibrate.
type evalFlags struct {
	model, data           string
	batch, workers, max   int
	fitSplit              string
	fitImages             int
	odinTemp, odinEps     float32
	mcPasses              int
	mcMeasure             string
	reactPercentile       float64
	seed                  uint64
	quiet                 bool
	explain               bool
	jsonOut               bool
	protocol, engine      string
	exportSMIYC           string
	exportMethod          string
	calibSplit, evalSplit string
	tpr, fpr              float64
	scoreRes              string
}

func (f *evalFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "trained model directory (model.safetensors + model.json) (required)")
	fl.StringVar(&f.data, "data", "", "dataset: DIR in nflowjs's format or KIND:DIR (required)")
	fl.IntVar(&f.batch, "batch", evaluate.DefaultBatchSize, "images per forward pass")
	fl.IntVar(&f.workers, "workers", 0, "image decoding goroutines (0 = all cores)")
	fl.IntVar(&f.max, "max-images", 0, "evaluate only this many evenly spaced images per split (0 = all)")
	fl.StringVar(&f.fitSplit, "fit-split", dataset.SplitTrain, "split that the fitted scores (react, sml, mahalanobis, vim, knn) are fitted on")
	fl.IntVar(&f.fitImages, "fit-images", evaluate.DefaultFitImages, "images of the fit split used by the fitted scores")
	fl.Float32Var(&f.odinTemp, "odin-temp", ood.DefaultODINTemperature, "ODIN temperature")
	fl.Float32Var(&f.odinEps, "odin-eps", ood.DefaultODINEps, "ODIN input perturbation (normalised input units; 0 = none)")
	fl.IntVar(&f.mcPasses, "mc-passes", ood.DefaultMCPasses, "MC dropout: stochastic forward passes")
	fl.StringVar(&f.mcMeasure, "mc-measure", "entropy", "MC dropout: entropy or msp of the mean softmax")
	fl.Float64Var(&f.reactPercentile, "react-percentile", ood.DefaultReActPercentile, "ReAct clipping percentile c (paper: 0.9, 0.95, 0.99)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of MC dropout masks and ReAct's activation sample")
	fl.BoolVar(&f.explain, "explain", false, "say where each score's FPR95 comes from: false positives at 95% TPR on label boundaries vs inside regions and by class, and what the model calls the missed anomaly pixels")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress bars")
	fl.BoolVar(&f.jsonOut, "json", false, "print JSON instead of a table")
	fl.Float64Var(&f.tpr, "tpr", evaluate.DefaultTPR, "true-positive rate the threshold is calibrated at")
	fl.Float64Var(&f.fpr, "fpr", 0, "calibrate instead at this false-positive rate: the threshold flags at most this share of the calibration split's inlier pixels (needs no anomalies)")
	fl.StringVar(&f.scoreRes, "score-res", "full", "score resolution of the logit scores: full or native (1/4-resolution logits, score maps upsampled)")
}

// options converts the flags; scores are set by the caller.
func (f *evalFlags) options(stderr io.Writer) (evaluate.Options, error) {
	opt := evaluate.Options{
		BatchSize: f.batch, Workers: f.workers, MaxImages: f.max, FitImages: f.fitImages,
		ODINTemperature: f.odinTemp, ODINEps: f.odinEps, MCPasses: f.mcPasses,
		ReActPercentile: f.reactPercentile, Seed: f.seed, TPR: f.tpr, FPR: f.fpr,
	}
	if f.fpr < 0 || f.fpr >= 1 {
		return opt, fmt.Errorf("--fpr %g must be in [0, 1)", f.fpr)
	}
	if f.odinEps == 0 {
		opt.ODINEps = -1 // evaluate.Options: negative = no perturbation
	}
	if f.odinEps < 0 {
		return opt, fmt.Errorf("--odin-eps %g must be >= 0", f.odinEps)
	}
	if !(f.tpr > 0 && f.tpr <= 1) {
		return opt, fmt.Errorf("--tpr %g must be in (0, 1]", f.tpr)
	}
	if !(f.reactPercentile > 0 && f.reactPercentile <= 1) {
		return opt, fmt.Errorf("--react-percentile %g must be in (0, 1]", f.reactPercentile)
	}
	switch f.mcMeasure {
	case "entropy":
		opt.MCMeasure = ood.MCEntropy
	case "msp":
		opt.MCMeasure = ood.MCMSP
	default:
		return opt, fmt.Errorf("--mc-measure must be entropy or msp, have %q", f.mcMeasure)
	}
	if f.protocol != "" { // calibrate has no --protocol: exact
		p, err := metrics.ParseProtocol(f.protocol)
		if err != nil {
			return opt, fmt.Errorf("--protocol: %w", err)
		}
		opt.Protocol = p
	}
	opt.ExportSMIYC, opt.ExportMethod = f.exportSMIYC, f.exportMethod
	opt.Explain = f.explain
	switch f.engine {
	case "exact", "":
		opt.Engine = metrics.EngineExact
	case "streaming":
		opt.Engine = metrics.EngineStreaming
	default:
		return opt, fmt.Errorf("--engine must be exact or streaming, have %q", f.engine)
	}
	switch opt.ScoreResolution = strings.ToLower(strings.TrimSpace(f.scoreRes)); opt.ScoreResolution {
	case "full", "native":
	default:
		return opt, fmt.Errorf("--score-res must be full or native, have %q", f.scoreRes)
	}
	if !f.quiet {
		opt.Progress = stderr
	}
	return opt, nil
}

// open loads the bundle and the dataset.
func (f *evalFlags) open() (*seg.Bundle, *dataset.Dataset, error) {
	if f.model == "" || f.data == "" {
		return nil, nil, errors.New("--model and --data are required")
	}
	b, err := seg.LoadBundle(f.model)
	if err != nil {
		return nil, nil, err
	}
	ds, err := dataset.Open(f.data)
	if err != nil {
		return nil, nil, err
	}
	if k, dk := b.Info.Config.NumClasses, len(ds.Meta.Classes); k != dk {
		return nil, nil, fmt.Errorf("class-count mismatch: model %s has %d classes, dataset %s has %d", f.model, k, f.data, dk)
	}
	return b, ds, nil
}

// split returns a named split with an error naming the splits present.
func evalOpenSplit(ds *dataset.Dataset, name, what string) (*dataset.Split, error) {
	if !slices.Contains(ds.SplitNames(), name) {
		return nil, fmt.Errorf("dataset %s has no %s split %q (it has %s)", ds.Root, what, name, strings.Join(ds.SplitNames(), ", "))
	}
	return ds.Split(name)
}

// openFitSplit opens --fit-split if one of scores is fitted on training
// images (react, sml, mahalanobis, vim, knn), else returns nil.
func (f *evalFlags) openFitSplit(ds *dataset.Dataset, scores []string) (*dataset.Split, error) {
	for _, s := range scores {
		if sp, err := ood.ParseScore(s); err == nil && sp.Def().Fitted {
			fit, err := evalOpenSplit(ds, f.fitSplit, "fit")
			if err != nil {
				return nil, fmt.Errorf("%s is fitted on training images: %w", sp.Name, err)
			}
			return fit, nil
		}
	}
	return nil, nil
}

func newEvalCmd() *cobra.Command {
	var f evalFlags
	var scores string
	cmd := &cobra.Command{
		Use:   "eval --model RUN_DIR --data DIR [--split test] [--scores msp,maxlogit,js,...]",
		Short: "Evaluate a trained model: AP, FPR95, AUROC per OOD score, mIoU and open-mIoU",
		Long: `eval runs a trained model bundle over a dataset split and prints, for every
requested OOD score, pixel-level AP, FPR95 and AUROC (anomaly pixels positive,
void excluded), the open-mIoU of outlier-aware segmentation with the score's
threshold calibrated on --calib-split at --tpr (default val, TPR 95%; or with
--fpr X, the threshold flagging X of its inlier pixels), and the
closed-set mIoU. --json prints a JSON list with one object per score.

Scores (higher = more anomalous for all; NAME@V sets the bracketed parameter):
` + ood.ScoreHelp() + `
react, sml, mahalanobis, vim and knn are fitted on --fit-images images of
--fit-split (train); mahalanobis, vim and knn on a sample of 65536 labelled
feature pixels (knn keeps 8192 of them), scored on the feature grid and
upsampled as the logits are.
If --calib-split is "none" (or left at its default and the dataset has no val
split), open-mIoU uses the threshold stored in model.json by "nflowjs
calibrate" for the bundle's own score, if any.
--score-res native evaluates the scores computed from logits (logit scores and
sml) as 'nflowjs predict --score-res native' computes them: on the model's
1/4-resolution logits, each score map upsampled bilinearly to the image; the
segmentation and the fusion keep the full-resolution logits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt, err := f.options(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			opt.Scores = nil
			for _, s := range strings.Split(scores, ",") {
				if s = strings.TrimSpace(s); s != "" {
					opt.Scores = append(opt.Scores, s)
				}
			}
			if _, err := ood.ParseScores(opt.Scores); err != nil {
				return err
			}
			b, ds, err := f.open()
			if err != nil {
				return err
			}
			test, err := evalOpenSplit(ds, f.evalSplit, "evaluation")
			if err != nil {
				return err
			}
			if c := f.calibSplit; c != "" && c != "none" && len(opt.Scores) > 0 {
				if slices.Contains(ds.SplitNames(), c) || cmd.Flags().Changed("calib-split") {
					if opt.CalibSplit, err = evalOpenSplit(ds, c, "calibration"); err != nil {
						return err
					}
				} else {
					fmt.Fprintf(cmd.ErrOrStderr(), "eval: dataset has no %s split; open-mIoU only from model.json\n", c)
				}
			}
			if opt.FitSplit, err = f.openFitSplit(ds, opt.Scores); err != nil {
				return err
			}
			if !b.Model.HasDropout() && slices.ContainsFunc(opt.Scores, func(s string) bool {
				sp, _ := ood.ParseScore(s)
				return sp.Name == "mcdropout"
			}) {
				return fmt.Errorf("score mcdropout needs head dropout, but model %s has none", f.model)
			}
			rep, err := evaluate.Run(b, test, opt)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f.jsonOut {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(rep.Rows())
			}
			if opt.ScoreResolution == "native" {
				fmt.Fprintln(out, "score resolution: native (logit scores on the 1/4-resolution logits, maps upsampled)")
			}
			return rep.WriteTable(out)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.evalSplit, "split", dataset.SplitTest, "split to evaluate")
	fl.StringVar(&scores, "scores", "msp,maxlogit,entropy,energy,js", "comma-separated OOD scores ("+strings.Join(ood.ScoreNames(), ", ")+")")
	fl.StringVar(&f.calibSplit, "calib-split", dataset.SplitVal, `split the open-mIoU thresholds are calibrated on ("none" to skip)`)
	fl.StringVar(&f.protocol, "protocol", "exact", protocolHelp)
	fl.StringVar(&f.exportSMIYC, "export-smiyc", "", "also write the score maps for the SegmentMeIfYouCan evaluation code: DIR/anomaly_p/METHOD/DATASET/FRAME.hdf5\n"+
		"(float16 in [0, 1], dataset \"value\"; point its DIR_OUTPUTS at DIR)")
	fl.StringVar(&f.exportMethod, "export-method", "", "METHOD of --export-smiyc (default nflowjs-SCORE)")
	fl.StringVar(&f.engine, "engine", "exact", "metrics engine: exact or streaming")
	return cmd
}
