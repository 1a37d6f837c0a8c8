package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"time"

	"github.com/spf13/cobra"
)

// A benchWorkload mirrors one workload of ../shared/bench/torch_reference.py:
// same shapes, same JSON keys, so the two can be compared line by line.
type benchWorkload struct {
	name string
	run  func() (map[string]any, error)
}

var benchWorkloads = map[string]benchWorkload{}

// registerWorkload is called from init functions of the bench_*.go files.
func registerWorkload(name string, run func() (map[string]any, error)) {
	if _, dup := benchWorkloads[name]; dup {
		panic("bench: workload registered twice: " + name)
	}
	benchWorkloads[name] = benchWorkload{name: name, run: run}
}

// medianMS runs fn warmup times, then iters timed times, and returns the
// median wall time in milliseconds (the statistic the torch script uses).
func medianMS(fn func(), warmup, iters int) float64 {
	for i := 0; i < warmup; i++ {
		fn()
	}
	times := make([]float64, iters)
	for i := range times {
		t0 := time.Now()
		fn()
		times[i] = float64(time.Since(t0).Nanoseconds()) / 1e6
	}
	sort.Float64s(times)
	return times[len(times)/2]
}

func init() {
	var only string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Time the shared benchmark workloads (compare with ../shared/bench/torch_reference.py)",
		RunE: func(cmd *cobra.Command, args []string) error {
			names := make([]string, 0, len(benchWorkloads))
			for n := range benchWorkloads {
				names = append(names, n)
			}
			sort.Strings(names)
			if only != "" {
				if _, ok := benchWorkloads[only]; !ok {
					return fmt.Errorf("bench: unknown workload %q (have %v)", only, names)
				}
				names = []string{only}
			}
			out := cmd.OutOrStdout()
			for _, n := range names {
				res, err := benchWorkloads[n].run()
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
	cmd.Flags().StringVar(&only, "only", "", "run only this workload")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per line, as torch_reference.py does")
	rootCmd.AddCommand(cmd)
}
