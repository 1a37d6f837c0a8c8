package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unsafe"

	"codeberg.org/sbinet/npyio"
	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/metrics"
)

func init() {
	var scoresPath, labelsPath, protocol, engine string
	var ignore uint8
	var keyBits int
	cmd := &cobra.Command{
		Use:   "metrics --scores S.npy --labels L.npy",
		Short: "Pixel-level OOD metrics (AP, AUROC, FPR95) of a score map against anomaly labels",
		Long: `metrics reads per-pixel anomaly scores (float32 .npy of any shape, e.g. N x H x W,
higher = more anomalous) and labels (uint8 .npy of the same shape: 1 = anomaly,
0 = inlier, the --ignore value = void) and prints one JSON object with AP
(scikit-learn's average_precision_score), AUROC, FPR at 95% TPR, and the numbers
of non-void and anomaly pixels.

--protocol pooled evaluates all pixels together (SMIYC, Fishyscapes); per-image
averages over the images (the first axis of a 3-D or higher array) that contain
both anomaly and inlier pixels (StreetHazards). --engine streaming uses
fixed-bin histograms (constant memory) and also prints "error_bound", a bound on
the distance of each metric to the exact value.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if scoresPath == "" || labelsPath == "" {
				return errors.New("metrics: --scores and --labels are required")
			}
			opt := metrics.Options{Ignore: ignore, KeyBits: keyBits}
			switch protocol {
			case "pooled":
				opt.Protocol = metrics.Pooled
			case "per-image":
				opt.Protocol = metrics.PerImage
			default:
				return fmt.Errorf("metrics: --protocol must be pooled or per-image, have %q", protocol)
			}
			switch engine {
			case "exact":
				opt.Engine = metrics.EngineExact
			case "streaming":
				opt.Engine = metrics.EngineStreaming
			default:
				return fmt.Errorf("metrics: --engine must be exact or streaming, have %q", engine)
			}
			sShape, scores, err := readNPYFloat32(scoresPath)
			if err != nil {
				return err
			}
			lShape, labels, err := readNPYUint8(labelsPath)
			if err != nil {
				return err
			}
			if !sameShape(sShape, lShape) {
				return fmt.Errorf("metrics: scores have shape %v but labels have shape %v", sShape, lShape)
			}
			imageSize := len(scores)
			if len(sShape) >= 3 && sShape[0] > 0 {
				imageSize = len(scores) / sShape[0]
			}
			if imageSize == 0 {
				return fmt.Errorf("metrics: empty arrays (shape %v)", sShape)
			}
			sum, err := metrics.Evaluate(scores, labels, imageSize, opt)
			if err != nil {
				return err
			}
			out := map[string]any{
				"ap": sum.AP, "auroc": sum.AUROC, "fpr95": sum.FPR95,
				"pixels": sum.Pixels, "positives": sum.Positives,
			}
			if opt.Protocol == metrics.PerImage {
				out["images"] = sum.Images
				out["skipped_images"] = sum.Skipped
			}
			if sum.Bounds != nil {
				out["error_bound"] = sum.Bounds
			}
			b, err := json.Marshal(out)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&scoresPath, "scores", "", "float32 .npy of per-pixel anomaly scores")
	f.StringVar(&labelsPath, "labels", "", "uint8 .npy of labels (1 anomaly, 0 inlier, --ignore void)")
	f.Uint8Var(&ignore, "ignore", metrics.DefaultIgnore, "label value of void pixels")
	f.StringVar(&protocol, "protocol", "pooled", "pooled | per-image")
	f.StringVar(&engine, "engine", "exact", "exact | streaming")
	f.IntVar(&keyBits, "bits", metrics.DefaultKeyBits, "streaming engine resolution: 2^bits histogram bins")
	rootCmd.AddCommand(cmd)
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// openNPY parses the header of a .npy file with npyio and returns the file
// positioned at the start of the data, with its shape and dtype. Data are
// then read in one piece (npyio decodes element by element, which is slow
// for 1e8-pixel score maps).
func openNPY(path, want string) (f *os.File, shape []int, n int, err error) {
	f, err = os.Open(path)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("metrics: %w", err)
	}
	defer func() {
		// npyio may panic on malformed headers; report it as an error.
		if r := recover(); r != nil {
			err = fmt.Errorf("metrics: %s: malformed .npy header: %v", path, r)
		}
		if err != nil {
			f.Close()
			f = nil
		}
	}()
	r, err := npyio.NewReader(f)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("metrics: %s: %w", path, err)
	}
	d := r.Header.Descr
	if dt := strings.Trim(d.Type, "'\""); dt != want {
		return nil, nil, 0, fmt.Errorf("metrics: %s: dtype %s, want %s", path, dt, want)
	}
	n = 1
	for _, s := range d.Shape {
		if s < 0 || (s > 0 && n > (1<<62)/s) {
			return nil, nil, 0, fmt.Errorf("metrics: %s: invalid shape %v", path, d.Shape)
		}
		n *= s
	}
	if d.Fortran && len(d.Shape) > 1 {
		return nil, nil, 0, fmt.Errorf("metrics: %s: Fortran-ordered arrays are not supported", path)
	}
	pos, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("metrics: %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, nil, 0, fmt.Errorf("metrics: %s: %w", path, err)
	}
	size := map[string]int64{"<f4": 4, "|u1": 1}[want]
	if st.Size()-pos != int64(n)*size {
		return nil, nil, 0, fmt.Errorf("metrics: %s: %d data bytes for shape %v, want %d", path, st.Size()-pos, d.Shape, int64(n)*size)
	}
	return f, d.Shape, n, nil
}

func readNPYFloat32(path string) ([]int, []float32, error) {
	f, shape, n, err := openNPY(path, "<f4")
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data := make([]float32, n)
	if n > 0 {
		// amd64 is little-endian, as is "<f4".
		raw := unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), 4*n)
		if _, err := io.ReadFull(f, raw); err != nil {
			return nil, nil, fmt.Errorf("metrics: %s: %w", path, err)
		}
	}
	return shape, data, nil
}

func readNPYUint8(path string) ([]int, []uint8, error) {
	f, shape, n, err := openNPY(path, "|u1")
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data := make([]uint8, n)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, fmt.Errorf("metrics: %s: %w", path, err)
	}
	return shape, data, nil
}
