package infer

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/nflowjs/nflowjs/internal/atomicfile"
)

// Files written by WriteFiles for an image called BASE.
const (
	suffixSeg     = "_seg.png"
	suffixOOD     = "_ood.png"
	suffixFused   = "_fused.png"
	suffixOverlay = "_overlay.png"
	suffixSummary = ".json"
)

// FileLayers are the layers WriteFiles saves, with their file suffixes.
var FileLayers = []struct {
	Layer  Layer
	Suffix string
}{{LayerSeg, suffixSeg}, {LayerOOD, suffixOOD}, {LayerFused, suffixFused}, {LayerOverlay, suffixOverlay}}

// WriteFiles saves the layers of r and its JSON summary in dir as
// BASE_seg.png, BASE_ood.png, BASE_fused.png (only with a threshold),
// BASE_overlay.png and BASE.json, and returns the paths written. Each file
// is written to a temporary name and renamed, so a crash never leaves a
// truncated PNG behind.
func (r *Result) WriteFiles(dir, base string) ([]string, error) {
	var paths []string
	for _, fl := range FileLayers {
		if fl.Layer == LayerFused && r.Fused == nil {
			continue
		}
		b, err := r.PNG(fl.Layer)
		if err != nil {
			return paths, err
		}
		p := filepath.Join(dir, base+fl.Suffix)
		if err := atomicfile.WriteFile(p, b); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	js, err := json.MarshalIndent(r.Summary, "", "  ")
	if err != nil {
		return paths, fmt.Errorf("infer: summary: %w", err)
	}
	p := filepath.Join(dir, base+suffixSummary)
	if err := atomicfile.WriteFile(p, append(js, '\n')); err != nil {
		return paths, err
	}
	return append(paths, p), nil
}
