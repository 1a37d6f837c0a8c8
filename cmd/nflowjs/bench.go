package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/bench"
)

func init() {
	var only, model, size, cpuProfile string
	var asJSON bool
	var batch, iters int
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Time the shared benchmark workloads (compare with ../shared/bench/torch_reference.py)",
		Long: `bench times the shared workloads of ../shared/bench/torch_reference.py (gemm,
js-score, segnet-ref) and nflowjs's own (flow, predict), one line each.

--only forward --model RUN times the forward pass of any model bundle, own or
imported, on a random --batch x 3 x --size input (forward_ms: median of --iters
passes after one warm-up; ms_per_mpixel). --model preset:NAME times a freshly
initialised preset (tiny, small, base, ldn121; 19 classes) without a bundle.
--cpuprofile writes where the time went (go tool pprof).`,
		Example: `  nflowjs bench --json
  nflowjs bench --json --only forward --model runs/joint-road --size 1024x2048
  nflowjs bench --json --only forward --model preset:small --size 1024x2048 --cpuprofile small.prof`,
		RunE: func(cmd *cobra.Command, args []string) error {
			names := bench.Names()
			if only != "" {
				names = []string{only}
			}
			if (only == "forward") != (model != "") {
				return fmt.Errorf("bench: --only forward and --model go together")
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return fmt.Errorf("bench: %w", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("bench: %w", err)
				}
				defer pprof.StopCPUProfile()
			}
			out := cmd.OutOrStdout()
			for _, n := range names {
				var res map[string]any
				var err error
				if n == "forward" {
					h, w, perr := parseSize("bench: --size", size, true)
					if perr != nil {
						return perr
					}
					res, err = bench.Forward(model, batch, h, w, 1, iters)
				} else {
					res, err = bench.Run(n)
				}
				if err != nil {
					return fmt.Errorf("bench %s: %w", n, err)
				}
				row := map[string]any{"workload": n, "impl": "nflowjs " + runtime.Version(), "threads": runtime.GOMAXPROCS(0)}
				for k, v := range res {
					row[k] = v
				}
				if asJSON {
					b, _ := json.Marshal(row)
					fmt.Fprintln(out, string(b))
					continue
				}
				keys := make([]string, 0, len(res))
				for k := range res {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				fmt.Fprintf(out, "%-12s", n)
				for _, k := range keys {
					fmt.Fprintf(out, "  %s=%v", k, res[k])
				}
				fmt.Fprintln(out)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&only, "only", "", "run only this workload (forward: a model bundle's forward pass, with --model)")
	cmd.Flags().StringVar(&model, "model", "", "model bundle directory for --only forward")
	cmd.Flags().StringVar(&size, "size", "512x1024", "input size HxW for --only forward")
	cmd.Flags().IntVar(&batch, "batch", 1, "batch size for --only forward")
	cmd.Flags().IntVar(&iters, "iters", 5, "timed passes for --only forward (median)")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) of the timed workloads to this file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per line, as torch_reference.py does")
	rootCmd.AddCommand(cmd)
}
