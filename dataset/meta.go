package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nflowjs/nflowjs/internal/convention"
)

// MetaFile is the name of the dataset description at the root of a dataset
// folder in nflowjs's generic format.
const MetaFile = "dataset.json"

// Default label values for void pixels and anomalous (OOD) pixels.
const (
	DefaultIgnoreLabel  = convention.IgnoreLabel
	DefaultAnomalyLabel = convention.AnomalyLabel
)

// Meta is the content of DATASET/dataset.json.
type Meta struct {
	Name    string   `json:"name"`
	Classes []string `json:"classes"`
	// Colors optionally gives an RGB palette entry per class for drawing.
	Colors       [][3]uint8 `json:"colors,omitempty"`
	IgnoreLabel  int        `json:"ignore_label"`
	AnomalyLabel int        `json:"anomaly_label"`
	// UnknownLabel, when non-zero, marks pixels known to be inliers whose
	// class is not annotated (Fishyscapes and SegmentMeIfYouCan label only
	// inlier / anomaly / void). Segmentation metrics skip them like
	// ignore_label; OOD metrics count them as negatives. 0 means unused (a
	// real value is always >= len(Classes) >= 1).
	UnknownLabel int `json:"unknown_label,omitempty"`
	// Extra carries generator settings (seed, size, anomaly categories per
	// split, ...) so a dataset documents how it was made.
	Extra map[string]any `json:"extra,omitempty"`
}

// Validate checks the description itself.
func (m *Meta) Validate() error {
	if len(m.Classes) == 0 {
		return errors.New("no classes")
	}
	if len(m.Classes) > 250 {
		return fmt.Errorf("%d classes; at most 250 fit 8-bit labels", len(m.Classes))
	}
	for _, v := range []struct {
		name string
		val  int
	}{{"ignore_label", m.IgnoreLabel}, {"anomaly_label", m.AnomalyLabel}} {
		if v.val < len(m.Classes) || v.val > 255 {
			return fmt.Errorf("%s %d must be in [%d, 255] (after the class ids)", v.name, v.val, len(m.Classes))
		}
	}
	if m.IgnoreLabel == m.AnomalyLabel {
		return fmt.Errorf("ignore_label and anomaly_label are both %d", m.IgnoreLabel)
	}
	if m.UnknownLabel != 0 {
		if m.UnknownLabel < len(m.Classes) || m.UnknownLabel > 255 {
			return fmt.Errorf("unknown_label %d must be in [%d, 255] (after the class ids)", m.UnknownLabel, len(m.Classes))
		}
		if m.UnknownLabel == m.IgnoreLabel || m.UnknownLabel == m.AnomalyLabel {
			return fmt.Errorf("unknown_label %d equals ignore_label or anomaly_label", m.UnknownLabel)
		}
	}
	if m.Colors != nil && len(m.Colors) != len(m.Classes) {
		return fmt.Errorf("%d colors for %d classes", len(m.Colors), len(m.Classes))
	}
	return nil
}

// ReadMeta reads and validates DIR/dataset.json.
func ReadMeta(dir string) (*Meta, error) {
	path := filepath.Join(dir, MetaFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	m := &Meta{IgnoreLabel: DefaultIgnoreLabel, AnomalyLabel: DefaultAnomalyLabel}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	return m, nil
}

// WriteMeta validates m and writes DIR/dataset.json (creating DIR).
func WriteMeta(dir string, m *Meta) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("dataset: %s: %w", filepath.Join(dir, MetaFile), err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, MetaFile), append(b, '\n'), 0o644)
}
