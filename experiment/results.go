package experiment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nflowjs/nflowjs/internal/atomicfile"
)

// EvalRow is one score's metrics from `nflowjs eval --json`. AP, FPR95,
// AUROC, MIoU and OpenMIoU are fractions in [0, 1].
type EvalRow struct {
	Score      string   `json:"score"`
	Detail     string   `json:"detail,omitempty"`
	AP         float64  `json:"ap"`
	FPR95      float64  `json:"fpr95"`
	AUROC      float64  `json:"auroc"`
	MIoU       float64  `json:"miou"`
	OpenMIoU   *float64 `json:"open_miou,omitempty"`
	MsPerImage float64  `json:"ms_per_image,omitempty"`
	// ForwardMs is the model's plain forward pass per image (0: unknown).
	ForwardMs float64 `json:"forward_ms_per_image,omitempty"`
}

// ParseEval reads the output of `nflowjs eval --json`: a JSON list with one
// object per score (or an object whose "scores" or "rows" field is that
// list). It is tolerant about spelling — keys match case-insensitively and
// ignoring '_' and '-' ("fpr95", "FPR_95"; "open_miou", "openMIoU") — and
// about percentages (values above 1 in a metric that must be a fraction are
// divided by 100), and strict about what it needs: every row must have a
// score name and finite AP, FPR95 and AUROC, or the error names the row and
// the field.
func ParseEval(data []byte) ([]EvalRow, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("experiment: eval output is empty (was --json passed?)")
	}
	var raw []map[string]any
	if data[0] == '{' {
		var obj map[string]any
		if err := json.Unmarshal(data, &obj); err != nil {
			return nil, fmt.Errorf("experiment: eval output is not JSON: %w", err)
		}
		var list any
		for k, v := range obj {
			if nk := normKey(k); nk == "scores" || nk == "rows" {
				list = v
			}
		}
		if list == nil {
			return nil, errors.New(`experiment: eval JSON object has no "scores" list`)
		}
		b, _ := json.Marshal(list)
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("experiment: eval JSON scores: %w", err)
		}
	} else if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("experiment: eval output is not a JSON list: %w", err)
	}
	if len(raw) == 0 {
		return nil, errors.New("experiment: eval JSON has no rows")
	}
	rows := make([]EvalRow, 0, len(raw))
	for i, m := range raw {
		norm := make(map[string]any, len(m))
		for k, v := range m {
			norm[normKey(k)] = v
		}
		var r EvalRow
		name, _ := norm["score"].(string)
		if name == "" {
			name, _ = norm["name"].(string)
		}
		if name == "" {
			return nil, fmt.Errorf("experiment: eval JSON row %d has no score name", i)
		}
		r.Score = name
		r.Detail, _ = norm["detail"].(string)
		num := func(required bool, keys ...string) (float64, bool, error) {
			for _, k := range keys {
				v, ok := norm[k]
				if !ok || v == nil {
					continue
				}
				f, ok := v.(float64)
				if !ok {
					if s, isStr := v.(string); isStr {
						var err error
						if f, err = strconv.ParseFloat(s, 64); err == nil {
							ok = true
						}
					}
				}
				if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
					return 0, false, fmt.Errorf("experiment: eval JSON row %d (%s): field %s is %v, not a number", i, name, k, v)
				}
				return f, true, nil
			}
			if required {
				return 0, false, fmt.Errorf("experiment: eval JSON row %d (%s) lacks %s", i, name, keys[0])
			}
			return 0, false, nil
		}
		frac := func(f float64) float64 {
			if f > 1 && f <= 100 {
				return f / 100
			}
			return f
		}
		var err error
		var ok bool
		if r.AP, _, err = num(true, "ap", "averageprecision"); err != nil {
			return nil, err
		}
		if r.FPR95, _, err = num(true, "fpr95", "fpr"); err != nil {
			return nil, err
		}
		if r.AUROC, _, err = num(true, "auroc", "auc"); err != nil {
			return nil, err
		}
		if r.MIoU, _, err = num(false, "miou", "closedmiou"); err != nil {
			return nil, err
		}
		var open float64
		if open, ok, err = num(false, "openmiou"); err != nil {
			return nil, err
		} else if ok {
			open = frac(open)
			r.OpenMIoU = &open
		}
		if r.MsPerImage, _, err = num(false, "msperimage"); err != nil {
			return nil, err
		}
		if r.ForwardMs, _, err = num(false, "forwardmsperimage"); err != nil {
			return nil, err
		}
		r.AP, r.FPR95, r.AUROC, r.MIoU = frac(r.AP), frac(r.FPR95), frac(r.AUROC), frac(r.MIoU)
		rows = append(rows, r)
	}
	return rows, nil
}

func normKey(k string) string {
	k = strings.ToLower(k)
	return strings.NewReplacer("_", "", "-", "", " ", "").Replace(k)
}

// RunResult is one evaluated model.
type RunResult struct {
	Step    string    `json:"step"`
	Dataset string    `json:"dataset"`
	Model   string    `json:"model"` // "closed" or a joint variant
	Seed    uint64    `json:"seed"`
	Rows    []EvalRow `json:"rows"`
}

// StepInfo summarises one step for results.json and the report.
type StepInfo struct {
	Name    string  `json:"name"`
	Kind    string  `json:"kind,omitempty"`
	Status  Status  `json:"status"`
	Seconds float64 `json:"seconds"` // wall time of the step over all its attempts
	Dir     string  `json:"dir"`     // relative to the report directory
	Error   string  `json:"error,omitempty"`
}

// Results is the content of results.json: everything the report shows.
type Results struct {
	Suite              string      `json:"suite"`
	Profile            string      `json:"profile"`
	ProfileDescription string      `json:"profile_description"`
	Created            time.Time   `json:"created"`
	Commit             string      `json:"commit,omitempty"`
	GoVersion          string      `json:"go_version"`
	CPUs               int         `json:"cpus"`
	Runs               []RunResult `json:"runs"`
	Steps              []StepInfo  `json:"steps"`
	Toy                *ToyResult  `json:"toy,omitempty"`
	// Depth holds Table 5 (FPR95 by distance) per dataset with depth maps.
	Depth map[string][]DepthColumn `json:"depth,omitempty"`
}

// Collect gathers the eval JSON of every finished eval step and the toy's
// results into a Results; steps that did not finish are listed with their
// status. An eval file that does not parse is an error naming the step.
func Collect(reportDir string, p Profile, suite string, sum *Summary) (*Results, error) {
	res := &Results{Suite: suite, Profile: p.Name, ProfileDescription: p.Description, Created: time.Now().UTC(),
		GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Commit: vcsCommit()}
	for _, sr := range sum.Steps {
		info := StepInfo{Name: sr.Name, Kind: sr.Step.Meta["kind"], Status: sr.Status, Dir: relDir(reportDir, sr.Dir)}
		if sr.Finished != nil {
			info.Seconds = sr.Finished.Total()
		}
		if sr.Err != nil {
			info.Error = firstLine(sr.Err.Error())
		}
		res.Steps = append(res.Steps, info)
		if !sr.OK() {
			continue
		}
		switch sr.Step.Meta["kind"] {
		case KindEval:
			b, err := os.ReadFile(filepath.Join(sr.Dir, EvalFile))
			if err != nil {
				return nil, fmt.Errorf("experiment: step %s: %w", sr.Name, err)
			}
			rows, err := ParseEval(b)
			if err != nil {
				return nil, fmt.Errorf("experiment: step %s (%s): %w", sr.Name, filepath.Join(sr.Dir, EvalFile), err)
			}
			seed, _ := strconv.ParseUint(sr.Step.Meta["seed"], 10, 64)
			res.Runs = append(res.Runs, RunResult{Step: sr.Name, Dataset: sr.Step.Meta["dataset"], Model: sr.Step.Meta["model"], Seed: seed, Rows: rows})
		case KindCurves:
			cols, err := ReadDepth(sr.Out())
			if err != nil {
				return nil, fmt.Errorf("experiment: step %s: %w", sr.Name, err)
			}
			if cols != nil {
				if res.Depth == nil {
					res.Depth = map[string][]DepthColumn{}
				}
				res.Depth[sr.Step.Meta["dataset"]] = cols
			}
		case KindToy:
			t, err := ReadToy(sr.Out())
			if err != nil {
				return nil, fmt.Errorf("experiment: step %s: %w", sr.Name, err)
			}
			res.Toy = t
		}
	}
	sort.SliceStable(res.Runs, func(i, j int) bool { return res.Runs[i].Step < res.Runs[j].Step })
	return res, nil
}

func relDir(base, dir string) string {
	if r, err := filepath.Rel(base, dir); err == nil {
		return filepath.ToSlash(r)
	}
	return dir
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// vcsCommit returns the VCS revision the binary was built from, if known.
func vcsCommit() string {
	if rev := os.Getenv("NFLOWJS_COMMIT"); rev != "" {
		return rev
	}
	return buildRevision()
}

// WriteResults writes results.json atomically.
func WriteResults(path string, r *Results) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("experiment: %w", err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n')); err != nil {
		return fmt.Errorf("experiment: writing %s: %w", path, err)
	}
	return nil
}

// ReadResults reads a results.json.
func ReadResults(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("experiment: %s: %w", path, err)
	}
	return &r, nil
}

// Stat is a mean and sample standard deviation over seeds.
type Stat struct {
	Mean, Std float64
	N         int
}

// Metric selects one field of an EvalRow.
type Metric string

// Metrics shown in the tables.
const (
	MetricAP       Metric = "ap"
	MetricFPR95    Metric = "fpr95"
	MetricAUROC    Metric = "auroc"
	MetricMIoU     Metric = "miou"
	MetricOpenMIoU Metric = "open_miou"
	MetricMs       Metric = "ms"
	// MetricForwardMs is the plain forward pass per image.
	MetricForwardMs Metric = "forward_ms"
	// MetricTotalMs is the forward pass plus the scorer: the per-image
	// cost of the method at inference.
	MetricTotalMs Metric = "total_ms"
)

func (m Metric) of(r EvalRow) (float64, bool) {
	switch m {
	case MetricAP:
		return r.AP, true
	case MetricFPR95:
		return r.FPR95, true
	case MetricAUROC:
		return r.AUROC, true
	case MetricMIoU:
		return r.MIoU, true
	case MetricOpenMIoU:
		if r.OpenMIoU == nil {
			return 0, false
		}
		return *r.OpenMIoU, true
	case MetricMs:
		return r.MsPerImage, r.MsPerImage > 0
	case MetricForwardMs:
		return r.ForwardMs, r.ForwardMs > 0
	case MetricTotalMs:
		return r.ForwardMs + r.MsPerImage, r.ForwardMs > 0
	}
	return 0, false
}

// Lookup returns the statistic of metric m for (dataset, model, score)
// over the seeds that ran; N == 0 when none did.
func (r *Results) Lookup(dataset, model, score string, m Metric) Stat {
	var vals []float64
	for _, run := range r.Runs {
		if run.Dataset != dataset || run.Model != model {
			continue
		}
		for _, row := range run.Rows {
			if row.Score == score {
				if v, ok := m.of(row); ok {
					vals = append(vals, v)
				}
			}
		}
	}
	return stat(vals)
}

func stat(vals []float64) Stat {
	s := Stat{N: len(vals)}
	if s.N == 0 {
		return s
	}
	for _, v := range vals {
		s.Mean += v
	}
	s.Mean /= float64(s.N)
	if s.N > 1 {
		var ss float64
		for _, v := range vals {
			ss += (v - s.Mean) * (v - s.Mean)
		}
		s.Std = math.Sqrt(ss / float64(s.N-1))
	}
	return s
}

// Datasets returns the datasets that have results, in a stable order.
func (r *Results) Datasets() []string {
	seen := map[string]bool{}
	var out []string
	for _, run := range r.Runs {
		if !seen[run.Dataset] {
			seen[run.Dataset] = true
			out = append(out, run.Dataset)
		}
	}
	sort.Slice(out, func(i, j int) bool { // road first, as in the paper
		return out[i] == "road" || (out[j] != "road" && out[i] < out[j])
	})
	return out
}
