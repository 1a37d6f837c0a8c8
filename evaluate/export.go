package evaluate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/internal/h5"
)

// exportFrame is a frame's identity and size, for --export-smiyc.
type exportFrame struct {
	id   string
	h, w int
}

// exportSMIYC writes one score's maps (already in [0, 1], frames one
// after another) as DIR/anomaly_p/METHOD/DATASET/FRAME.hdf5, the files
// road-anomaly-benchmark's Evaluation reads (its ChannelLoaderHDF5:
// dataset "value", float16).
func exportSMIYC(dir, method, dataset string, frames []exportFrame, unit []float32) error {
	for _, name := range []string{method, dataset} {
		if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
			return fmt.Errorf("evaluate: --export-smiyc: %q cannot name a directory", name)
		}
	}
	base := filepath.Join(dir, "anomaly_p", method, dataset)
	off := 0
	for _, f := range frames {
		rel := filepath.FromSlash(f.id) + ".hdf5"
		if !filepath.IsLocal(rel) {
			return fmt.Errorf("evaluate: --export-smiyc: frame id %q is not a relative path", f.id)
		}
		var b bytes.Buffer
		if err := h5.WriteFloat16(&b, "value", f.h, f.w, unit[off:off+f.h*f.w]); err != nil {
			return fmt.Errorf("evaluate: --export-smiyc: frame %s: %w", f.id, err)
		}
		off += f.h * f.w
		path := filepath.Join(base, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("evaluate: --export-smiyc: %w", err)
		}
		if err := atomicfile.WriteFile(path, b.Bytes()); err != nil {
			return fmt.Errorf("evaluate: --export-smiyc: %w", err)
		}
	}
	return nil
}
