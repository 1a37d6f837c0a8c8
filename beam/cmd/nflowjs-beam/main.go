// Command nflowjs-beam scores and evaluates a fleet's images with an
// nflowjs model on Apache Beam: per-image outputs, dataset metrics
// combined exactly across workers, a top-N mining list and dead letters.
//
//	nflowjs-beam --model RUN --data DIR --split test --out OUT [--protocol exact|smiyc|smiyc-uniform]
//	nflowjs-beam --model RUN --inputs 'frames/*.png' --out OUT --top 50
//	nflowjs-beam --model RUN --list frames.txt --out OUT   (lines: IMAGE or IMAGE<TAB>BINARY_LABEL_PNG)
//
// It runs on Beam's embedded Prism runner by default (nothing to install).
// On a cluster pass Beam's own flags, e.g. --runner flink --endpoint
// HOST:8099 --environment_type DOCKER (or LOOPBACK for a local Flink),
// --runner spark --endpoint HOST:8099, or --runner dataflow --project P
// --region R --staging_location gs://B/staging; every worker needs the
// model bundle and the images at the same paths (a shared file system).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/nflowjs/nflowjs/beam/fleet"
)

func main() {
	var cfg fleet.Config
	var glob, list string
	flag.StringVar(&cfg.Model, "model", "", "nflowjs model bundle directory (required)")
	flag.StringVar(&cfg.Score, "score", "", "anomaly score (default: the bundle's)")
	flag.StringVar(&cfg.Data, "data", "", "dataset (DIR or KIND:DIR) whose split gives images and labels")
	flag.StringVar(&cfg.Split, "split", "test", "split of --data")
	flag.StringVar(&glob, "inputs", "", "glob of images to score (no labels)")
	flag.StringVar(&list, "list", "", "file listing images, one per line, optionally IMAGE<TAB>LABEL (binary label PNG: 0, 1, 255)")
	flag.StringVar(&cfg.Protocol, "protocol", "exact", "metrics protocol with labels: exact, smiyc or smiyc-uniform")
	flag.StringVar(&cfg.Out, "out", "", "output directory (required)")
	flag.BoolVar(&cfg.WriteFrames, "frames", true, "write per-image outputs (layers, summary JSON, score .npy) to OUT/frames")
	flag.IntVar(&cfg.TopN, "top", 20, "length of the most-anomalous-frames list")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run (the workers run in this process on Prism)")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "nflowjs-beam:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(cfg, glob, list); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "nflowjs-beam:", err)
		os.Exit(1)
	}
}

func run(cfg fleet.Config, glob, list string) error {
	if cfg.Model == "" || cfg.Out == "" {
		return fmt.Errorf("--model and --out are required")
	}
	if flag.Lookup("runner").Value.String() == "" {
		_ = flag.Set("runner", "prism")
	}
	beam.Init()
	frames, err := fleet.Frames(cfg, glob, list)
	if err != nil {
		return err
	}
	p, s := beam.NewPipelineWithRoot()
	fleet.Build(s, cfg, frames)
	if err := beamx.Run(context.Background(), p); err != nil {
		return err
	}
	fmt.Printf("scored %d frames; results in %s (metrics.json, top.json, dead_letters.jsonl, report.json)\n", len(frames), cfg.Out)
	return nil
}
