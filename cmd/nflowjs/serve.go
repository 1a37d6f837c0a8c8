package main

import (
	"fmt"
	"log/slog"
	"net"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/infer"
	"github.com/nflowjs/nflowjs/serve"
)

func init() {
	rootCmd.AddCommand(newServeCmd())
}

func newServeCmd() *cobra.Command {
	var mf modelFlags
	var addr string
	var cfg serve.Config
	var maxBodyMB float64
	cmd := &cobra.Command{
		Use:   "serve --model RUN [--addr 127.0.0.1:8080]",
		Short: "Serve outlier-aware segmentation over HTTP, with a web page",
		Long: `serve loads a trained model bundle and answers:

  POST /v1/predict   an image (raw body, or multipart field "image") -> JSON with
                     the summary and base64 PNG layers (seg, ood, fused, overlay,
                     score); ?format=png&layer=ood|seg|fused|overlay|score returns
                     one PNG; ?threshold=X overrides the calibrated threshold
  GET  /healthz      model, threshold and limits as JSON
  GET  /metrics      Prometheus text format (requests by code, latency, in flight)
  GET  /             a page to upload an image and compare the layers, with a
                     threshold slider

--score-res native computes the anomaly score on the model's 1/4-resolution
logits and upsamples the score map (see predict --help).

Limits: --max-body-mb, --max-pixels (413 beyond; lowered at start so that
--max-concurrent predictions fit in half the available memory, at the measured
peak of about 350 bytes per pixel), --max-concurrent predictions (503 beyond),
read/write and upload timeouts. SIGINT or SIGTERM stops accepting
connections and lets requests in progress finish (up to --shutdown-timeout).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !(maxBodyMB > 0) {
				return fmt.Errorf("--max-body-mb %g must be positive", maxBodyMB)
			}
			if cfg.MaxPixels <= 0 || cfg.MaxConcurrent <= 0 {
				return fmt.Errorf("--max-pixels and --max-concurrent must be positive")
			}
			// --max-concurrent predictions of --max-pixels each must fit in
			// memory: lower the cap to what half the available memory holds.
			if c := infer.MemoryPixelCap(cfg.MaxConcurrent); cfg.MaxPixels > c {
				fmt.Fprintf(cmd.ErrOrStderr(), "serve: --max-pixels %d lowered to %d: %d concurrent predictions at %d bytes/pixel must fit in half the available memory\n",
					cfg.MaxPixels, c, cfg.MaxConcurrent, infer.BytesPerPixel)
				cfg.MaxPixels = c
			}
			mf.maxPixels = cfg.MaxPixels
			p, err := mf.pipeline(cmd)
			if err != nil {
				return err
			}
			cfg.MaxBodyBytes = int64(maxBodyMB * (1 << 20))
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			cfg.Logger = logger
			s, err := serve.New(p, cfg)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			c := p.Config()
			if c.Threshold == nil {
				noThresholdNote(cmd.ErrOrStderr(), mf.model)
			}
			logger.Info("serving", "url", "http://"+ln.Addr().String()+"/", "model", mf.model, "score", p.ScoreName(), "score_res", p.Config().ScoreResolution,
				"threshold", fmtThreshold(c.Threshold), "max_pixels", cfg.MaxPixels, "max_concurrent", cfg.MaxConcurrent)
			return s.Run(ctx, ln)
		},
	}
	mf.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8080", "listen address")
	fl.Float64Var(&maxBodyMB, "max-body-mb", float64(serve.DefaultMaxBodyBytes)/(1<<20), "largest request body, MiB")
	fl.IntVar(&cfg.MaxPixels, "max-pixels", serve.DefaultMaxPixels, "largest image, width × height")
	fl.IntVar(&cfg.MaxConcurrent, "max-concurrent", serve.DefaultMaxConcurrent, "predictions in progress before 503")
	fl.DurationVar(&cfg.ReadTimeout, "read-timeout", serve.DefaultReadTimeout, "time to read a whole request")
	fl.DurationVar(&cfg.UploadTimeout, "upload-timeout", serve.DefaultUploadTimeout, "time a client has to send a prediction's image (408 beyond); read before a prediction slot is taken")
	fl.DurationVar(&cfg.WriteTimeout, "write-timeout", serve.DefaultWriteTimeout, "time to answer a request, inference included")
	fl.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", serve.DefaultShutdownTimeout, "grace period for requests in progress on SIGTERM")
	return cmd
}

func fmtThreshold(t *float32) string {
	if t == nil {
		return "none"
	}
	return fmt.Sprint(*t)
}
