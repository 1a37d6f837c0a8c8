package infer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/nflowjs/nflowjs/npy"

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

// WriteArrays saves the score map as BASE_score.npy (float32, H×W) and,
// if the pipeline kept them, the logits as BASE_logits.npy (float32,
// K×H×W), for comparison with another framework; it returns the paths
// written.
func (r *Result) WriteArrays(dir, base string) ([]string, error) {
	h, w := r.Input.H, r.Input.W
	var paths []string
	write := func(name string, shape []int, data []float32) error {
		var b bytes.Buffer
		if err := npy.WriteFloat32(&b, shape, data); err != nil {
			return err
		}
		p := filepath.Join(dir, base+name)
		if err := atomicfile.WriteFile(p, b.Bytes()); err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	}
	if err := write("_score.npy", []int{h, w}, r.Scores); err != nil {
		return paths, err
	}
	if r.Logits != nil {
		k := len(r.Logits.Data) / (h * w)
		if err := write("_logits.npy", []int{k, h, w}, r.Logits.Data); err != nil {
			return paths, err
		}
	}
	return paths, nil
}
