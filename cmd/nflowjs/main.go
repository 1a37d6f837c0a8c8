// Command nflowjs trains and runs NFlowJS dense out-of-distribution
// detection for semantic segmentation. Run `nflowjs --help` for the
// subcommands; each lives in its own file of this package and registers
// itself with rootCmd in an init function.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:   "nflowjs",
	Short: "Dense OOD detection in semantic segmentation with NFlowJS",
	Long: `nflowjs trains a dense segmentation model together with a normalizing flow
whose samples serve as synthetic negatives (NFlowJS, Grcić, Bevandić, Kalafatić &
Šegvić, Sensors 2024), and detects anomalous pixels by the Jensen–Shannon divergence
between the uniform distribution and the model's softmax.`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "nflowjs:", err)
		os.Exit(1)
	}
}
