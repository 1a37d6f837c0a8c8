package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sort"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/bench"
)

func init() {
	var only string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Time the shared benchmark workloads (compare with ../shared/bench/torch_reference.py)",
		RunE: func(cmd *cobra.Command, args []string) error {
			names := bench.Names()
			if only != "" {
				names = []string{only}
			}
			out := cmd.OutOrStdout()
			for _, n := range names {
				res, err := bench.Run(n)
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
