package main

import "github.com/spf13/cobra"

// trainCmd groups the training subcommands; each lives in its own file
// (train_flow.go, ...) and registers itself under trainCmd.
var trainCmd = &cobra.Command{Use: "train", Short: "Train models (closed-set segmentation, flow, joint NFlowJS)"}

func init() {
	rootCmd.AddCommand(trainCmd)
}
