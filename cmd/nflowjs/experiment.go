package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/experiment"
	"github.com/nflowjs/nflowjs/ood"
)

func init() {
	rootCmd.AddCommand(newExperimentCmd())
}

func newExperimentCmd() *cobra.Command {
	var (
		suite, profile, out string
		skipMissing, quiet  bool
		reportOnly          bool
		rerun               []string
	)
	cmd := &cobra.Command{
		Use:   "experiment --suite paper --profile quick|full --out REPORT_DIR",
		Short: "Reproduce the paper's experiments: train, evaluate and write REPORT.md with tables and figures",
		Long: `experiment runs the paper's experiments on the procedural benchmarks and writes
REPORT_DIR/REPORT.md, REPORT_DIR/results.json and PNG figures in REPORT_DIR/figures.

The plan: generate road and aerial, train the stage-1 model and pre-train the
flow, train NFlowJS and its ablations (noise negatives, real auxiliary
negatives, KL and reverse-KL losses, frozen flow, no negatives, flow from
scratch, neither model pre-trained), calibrate and evaluate every model with
every score, write qualitative predictions, and run the 2-D toy of Figure 2.

Every step runs as a subprocess of this binary in REPORT_DIR/steps/NAME-HASH/,
the hash covering its command line and its inputs. Re-running skips finished
steps; a run killed half-way resumes (training steps continue from their
checkpoints); --rerun re-runs chosen steps after their command changed.

Profiles (` + strings.Join(experiment.ProfileNames(), ", ") + `): quick (71 steps) took 29 minutes of
step time on 2 cores shared with another job; full (road, aerial and fashion-ood at
default sizes and recipes, stage 1 and flow once per benchmark, NFlowJS over 3 seeds;
166 steps) takes several hours on 2 cores (docs/results.md).
The demo profile is "nflowjs demo". --report-only writes the report from the
steps finished so far, e.g. while a long run is still going.`,
		Example: `  nflowjs experiment --suite paper --profile quick --out runs/report-quick`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if suite != "paper" {
				return fmt.Errorf("experiment: unknown suite %q (have: paper; the demo is `nflowjs demo`)", suite)
			}
			if out == "" {
				return fmt.Errorf("experiment: --out REPORT_DIR is required")
			}
			p, err := experiment.GetProfile(profile)
			if err != nil {
				return err
			}
			plan, err := experiment.PaperSuite(p)
			if err != nil {
				return err
			}
			log := cmd.ErrOrStderr()
			var pass io.Writer
			if !quiet {
				pass = log
			}
			for _, pat := range rerun {
				if _, err := filepath.Match(pat, ""); err != nil {
					return fmt.Errorf("experiment: --rerun %q: %w", pat, err)
				}
			}
			var force func(string) bool
			if len(rerun) > 0 {
				force = func(name string) bool {
					for _, pat := range rerun {
						if ok, _ := filepath.Match(pat, name); ok {
							return true
						}
					}
					return false
				}
			}
			_, err = runSuite(cmd.Context(), plan, p, "paper", out, runOptions{skipMissing: skipMissing, reportOnly: reportOnly}, log, pass, nil, force)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&suite, "suite", "paper", "experiment suite (paper)")
	fl.StringVar(&profile, "profile", "quick", "size profile: "+strings.Join(experiment.ProfileNames(), ", "))
	fl.StringVar(&out, "out", "", "report directory (created; re-use it to resume)")
	fl.BoolVar(&skipMissing, "skip-missing", false, "run what this build can run when a step's command is missing, and report the rest as not run")
	fl.BoolVar(&quiet, "quiet", false, "do not show the steps' own progress output (it is kept in each step's log.txt)")
	fl.BoolVar(&reportOnly, "report-only", false, "run nothing: write the report from the steps finished so far (safe while another run works in --out)")
	fl.StringSliceVar(&rerun, "rerun", nil, `run these finished steps again, and what depends on them (glob on step names, e.g. "joint-*"); the cache key covers command lines, not the binary, so use it after changing a command's code or defaults`)
	cmd.AddCommand(newExperimentToyCmd(), newExperimentCurvesCmd())
	return cmd
}

// newExperimentToyCmd is the toy step of the suites, run as a subprocess
// like every other step.
func newExperimentToyCmd() *cobra.Command {
	var (
		out   string
		steps int
		seeds []uint
	)
	cmd := &cobra.Command{
		Use:   "toy --out DIR",
		Short: "Train the 2-D toy of the paper's Figure 2 and draw Figures 2 and 3 (left)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("experiment toy: --out is required")
			}
			ss := make([]uint64, len(seeds))
			for i, s := range seeds {
				ss[i] = uint64(s)
			}
			r, err := experiment.RunToy(out, steps, ss)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "toy: AUROC max-softmax %.3f, NFlowJS %.3f (frozen flow %.3f); wrote %s\n",
				r.MSP.AUROC, r.NFlowJS.AUROC, r.Frozen.AUROC, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output directory")
	cmd.Flags().IntVar(&steps, "steps", 1500, "pre-training steps and joint steps")
	cmd.Flags().UintSliceVar(&seeds, "seeds", []uint{1}, "random seeds (metrics are averaged over them)")
	return cmd
}

// newExperimentCurvesCmd is the curves step of the suites: Figure 11 and
// the PR/ROC curves of the stage-1 and NFlowJS models.
func newExperimentCurvesCmd() *cobra.Command {
	var before, after, flowDir, data, out string
	cmd := &cobra.Command{
		Use:   "curves --before STAGE1_MODEL --after NFLOWJS_MODEL --data DIR --out DIR",
		Short: "Draw max-logit histograms (paper Figure 11) and PR/ROC curves of two models on a test split",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if before == "" || after == "" || data == "" || out == "" {
				return fmt.Errorf("experiment curves: --before, --after, --data and --out are required")
			}
			err := experiment.Curves([]experiment.CurveModel{
				{Label: "stage 1, max-softmax", Dir: before, Score: ood.MSP, T: 1},
				{Label: "NFlowJS, JS (T=2)", Dir: after, Score: ood.NFlowJS, T: ood.DefaultT},
			}, data, out)
			if err != nil || flowDir == "" {
				return err
			}
			return experiment.NegLossHistogram(experiment.NegLossConfig{Model: before, Flow: flowDir, Data: data,
				Out: filepath.Join(out, experiment.NegLossFigure), Lambda: 0.03, Patch: 32, Images: 16, Temperature: 1, Seed: 1})
		},
	}
	cmd.Flags().StringVar(&before, "before", "", "stage-1 model directory (scored with max-softmax)")
	cmd.Flags().StringVar(&after, "after", "", "NFlowJS model directory (scored with JS at T = 2)")
	cmd.Flags().StringVar(&flowDir, "flow", "", "pre-trained flow (run directory): also draw Figure 3 (right), λ·L_neg at the start of joint training")
	cmd.Flags().StringVar(&data, "data", "", "dataset directory (its test split is used)")
	cmd.Flags().StringVar(&out, "out", "", "output directory")
	return cmd
}

// runOptions are the Runner switches of the experiment and demo commands.
type runOptions struct {
	skipMissing, reportOnly bool
}

// runSuite runs a plan in REPORT_DIR, then writes the report (also after a
// failure, with what finished) and returns the run's error.
func runSuite(ctx context.Context, plan *experiment.Plan, p experiment.Profile, suite, out string, opt runOptions,
	log, pass io.Writer, onStep func(experiment.Event), rerun func(string) bool) (*experiment.Results, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("experiment: locating the nflowjs binary: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	r := &experiment.Runner{Exe: exe, Dir: abs, Check: checkCommand, SkipMissing: opt.skipMissing, ReportOnly: opt.reportOnly, Log: log, Passthrough: pass, OnStep: onStep, Rerun: rerun}
	sum, runErr := r.Run(ctx, plan)
	if sum == nil || (runErr != nil && ctx.Err() != nil) {
		return nil, runErr
	}
	missingOnly := true
	for _, s := range sum.Steps {
		if !s.OK() && !(s.Status == experiment.StatusMissing && s.Step.Optional) {
			missingOnly = false
		}
	}
	if runErr != nil && !missingOnly && sum.NothingRan() {
		return nil, runErr // the preflight failed: nothing ran, nothing to report
	}
	res, err := experiment.Report(abs, p, suite, sum)
	if err != nil {
		return nil, err
	}
	if log != nil {
		fmt.Fprintf(log, "wrote %s and %s\n", filepath.Join(out, experiment.ReportFile), filepath.Join(out, experiment.ResultsFile))
	}
	return res, runErr
}

// checkCommand is the harness's CommandChecker: it finds the subcommand a
// step's arguments name in this binary's command tree and checks that every
// --flag it passes exists, so a plan that needs a command this build lacks
// fails before anything runs.
func checkCommand(args []string) error {
	c, _, err := rootCmd.Find(args)
	if err != nil || c == nil || c == rootCmd || !c.Runnable() {
		// Name the command the arguments ask for: the tokens the tree
		// matched plus the first one it did not.
		var lead []string
		for _, a := range args {
			if strings.HasPrefix(a, "-") {
				break
			}
			lead = append(lead, a)
		}
		depth := 1
		if c != nil {
			depth = len(strings.Fields(c.CommandPath()))
		}
		depth = min(depth, len(lead))
		return &experiment.MissingCommandError{Command: strings.TrimSpace("nflowjs " + strings.Join(lead[:depth], " "))}
	}
	for _, a := range args {
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if c.Flag(name) == nil {
			return &experiment.MissingCommandError{Command: "nflowjs" + strings.TrimPrefix(c.CommandPath(), rootCmd.Name()), Flag: name}
		}
	}
	return nil
}
