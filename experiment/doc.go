// Package experiment reproduces the paper's experiments with one command:
// it builds a plan of steps (generate the benchmarks, train the closed-set
// model, pre-train the flow, train NFlowJS and its ablations, calibrate,
// evaluate), runs every step as a subprocess of the nflowjs binary, caches
// finished steps, and renders REPORT.md, results.json and figures that
// mirror the paper's tables and figures (Grcić et al., Sensors 2024, tables
// 3/4, 7, 8 and 10; figures 2, 3, 7, 9-11).
//
// # Steps and the cache
//
// A Step is an nflowjs command line whose arguments may name its own output
// directory ({out}) and the output directories of other steps ({dep:NAME}).
// Its cache key is a SHA-256 over the harness version, the step's
// placeholder-form command line, its options, and the keys of its input
// steps, so changing one training flag re-runs that step and everything
// downstream and nothing else. Each step has a directory
// REPORT_DIR/steps/NAME-KEY12/ holding its log.txt, captured stdout (eval
// JSON) and, after a successful exit, a DONE marker; the command itself
// writes into the out/ subdirectory ({out}), which it owns. A later run
// skips steps with a DONE marker. A lock file keeps two runs out of one
// report directory.
//
// The key does not cover the nflowjs binary itself: a rebuilt binary does
// not invalidate a day of training. After changing a command's code or
// defaults, re-run the affected steps with Runner.Rerun (`--rerun
// "joint-*"`) or use a fresh report directory.
//
// Running each step in its own process (the binary re-executes itself)
// keeps the harness decoupled from the training and evaluation APIs: the
// harness only knows command lines, and a killed step cannot corrupt the
// harness's state. A step killed half-way is resumed on the next run when it
// declares a resume flag and its checkpoint file exists; otherwise its
// directory is wiped and the step restarts.
//
// # Suites and profiles
//
// PaperSuite builds the plan for a Profile: test (the harness's own
// end-to-end test, seconds), demo (`nflowjs demo`, about five minutes),
// quick (road and aerial at half resolution, every ablation of the paper,
// one seed) and full (road, aerial and fashion-ood at their default sizes
// with the commands' default recipes; stage 1 and the flow trained once,
// NFlowJS repeated over three seeds — Profile.SharedPretraining,
// Profile.SeedVariants — and the paper's and the recipe ablations once).
// fashion-ood's far-OOD split is evaluated as the extra benchmark
// fashion-ood-far. Ablations train with the λ the NFlowJS run validated
// (train joint --lambda from:RUN), except the other losses, which validate
// their own. Besides the training and evaluation commands the plan runs two of the experiment command's own
// subcommands: `experiment toy` (the 2-D toy of Figure 2, package toy) and
// `experiment curves` (Figure 11 histograms, PR/ROC curves, Table 5 FPR95
// by depth, Figure 3 right).
//
// # Report
//
// Collect reads the finished steps into Results (results.json);
// RenderReport writes REPORT.md with the tables (main table per benchmark,
// Tables 5-10), the figures, and a discussion whose verdicts are computed
// from the numbers by Claims.
//
// # Missing commands
//
// Before running anything the Runner checks every unfinished step's command
// line with a CommandChecker (the nflowjs command supplies one that walks
// its cobra tree), so a build that lacks e.g. `nflowjs train joint` fails at
// once with an error naming the missing subcommand, instead of after an hour
// of training. With SkipMissing the runnable steps run, and the others (and
// their dependents) are reported as not run.
//
// # Errors
//
// Every error is prefixed "experiment:" and names the step; a failed step's
// error carries the tail of its stderr log (kept in the step directory).
package experiment
