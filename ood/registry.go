package ood

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ScoreDef describes one score name: the single table of scores that
// evaluate, calibrate, predict and serve read (names, aliases, the
// NAME@V parameter, default temperature, value range, help).
type ScoreDef struct {
	Name    string   // canonical name, e.g. "js"
	Aliases []string // other accepted spellings
	// Kind of a logit score (Logit true), computed from one pass's logits;
	// the others (sml, odin, mcdropout, react, mahalanobis, vim, knn) need
	// fitted statistics, features, gradients or several passes.
	Kind  Kind
	Logit bool
	// DefaultT is the default temperature of scores whose Param is "T"
	// (0 for the others).
	DefaultT float32
	// Param is what NAME@V sets: "T" (temperature), "K" (passes), "c"
	// (percentile), "k" (neighbours) or "" (no parameter).
	Param string
	// Fitted scores need statistics fitted on training images (a fit
	// split) before they can score.
	Fitted bool
	// NegativeClass scores read the K+1 outputs of a model with a
	// negative class (NegativeClassModel), not the K inlier logits.
	NegativeClass bool
	Help          string
}

// scoreDefs lists every score, in the order ScoreNames prints them.
var scoreDefs = []ScoreDef{
	{Name: "js", Aliases: []string{"nflowjs"}, Kind: NFlowJS, Logit: true, DefaultT: DefaultT, Param: "T",
		Help: "NFlowJS: −JS(U, softmax(l/T)), paper eq. 7 (T = 2)"},
	{Name: "msp", Kind: MSP, Logit: true, DefaultT: 1, Param: "T",
		Help: "−max softmax(l/T) (Hendrycks & Gimpel; T = 1, msp@10 is the paper's Table 7 setting)"},
	{Name: "maxlogit", Aliases: []string{"max-logit", "ml"}, Kind: MaxLogit, Logit: true,
		Help: "−max_k l_k"},
	{Name: "entropy", Kind: Entropy, Logit: true, DefaultT: 1, Param: "T",
		Help: "entropy of softmax(l/T) (T = 1)"},
	{Name: "energy", Kind: Energy, Logit: true, DefaultT: 1, Param: "T",
		Help: "−T·logsumexp(l/T) (T = 1)"},
	{Name: "kl", Aliases: []string{"kl-uniform"}, Kind: KLUniform, Logit: true, DefaultT: DefaultT, Param: "T",
		Help: "−KL(U‖softmax(l/T)) (T = 2)"},
	{Name: "rkl", Aliases: []string{"reverse-kl"}, Kind: ReverseKL, Logit: true, DefaultT: DefaultT, Param: "T",
		Help: "−KL(softmax(l/T)‖U) (T = 2)"},
	{Name: "rba", Kind: RbA, Logit: true,
		Help: "RbA: −Σ_k tanh(l_k), every class rejects the pixel (Nayal et al., ICCV 2023)"},
	{Name: "uno", Kind: UNO, NegativeClass: true,
		Help: "UNO: p_neg − max_k p_k over the K+1 softmax of a model trained with --head uno (Delić et al., BMVC 2024)"},
	{Name: "sml", Fitted: true,
		Help: "standardized max-logit, class statistics fitted on the fit split (train)"},
	{Name: "odin", Param: "T", DefaultT: DefaultODINTemperature,
		Help: "ODIN: input perturbation (eps = 0.0014) + −MSP at T (T = 1000)"},
	{Name: "mcdropout", Aliases: []string{"mc-dropout", "mcd"}, Param: "K",
		Help: "MC dropout: K stochastic passes, entropy (or −MSP) of the mean softmax (K = 8)"},
	{Name: "react", Param: "c", Fitted: true,
		Help: "ReAct: features clipped at the c-th percentile of training activations, energy (c = 0.9)"},
	{Name: "mahalanobis", Aliases: []string{"maha"}, Fitted: true,
		Help: "min_k Mahalanobis distance of the pre-logit features to the class means, shared covariance fitted on train (Lee et al. 2018)"},
	{Name: "vim", Fitted: true,
		Help: "ViM: feature residual outside the principal space (virtual logit) minus logsumexp of the logits, fitted on train (Wang et al. 2022)"},
	{Name: "knn", Param: "k", Fitted: true,
		Help: "squared distance of the normalised features to the k-th nearest of 8192 training pixels (Sun et al. 2022; k = 10)"},
}

// ScoreNames returns the canonical score names.
func ScoreNames() []string {
	out := make([]string, len(scoreDefs))
	for i, d := range scoreDefs {
		out[i] = d.Name
	}
	return out
}

// ScoreHelp returns one line per score: "name[@param]  description".
func ScoreHelp() string {
	var b strings.Builder
	for _, d := range scoreDefs {
		n := d.Name
		if d.Param != "" {
			n += "[@" + d.Param + "]"
		}
		fmt.Fprintf(&b, "  %-14s %s\n", n, d.Help)
	}
	return b.String()
}

// LookupScore returns the definition of a canonical name or alias.
func LookupScore(name string) (ScoreDef, bool) {
	for _, d := range scoreDefs {
		if d.Name == name {
			return d, true
		}
		for _, a := range d.Aliases {
			if a == name {
				return d, true
			}
		}
	}
	return ScoreDef{}, false
}

// ScoreSpec is a parsed score name: NAME or NAME@V, where V sets the
// score's parameter (the temperature of logit scores and ODIN, the number
// of passes of mcdropout, the percentile c of react).
type ScoreSpec struct {
	Name  string  // canonical name, e.g. "js"
	Value float64 // the @ parameter; 0 = the default
	Raw   string  // as written
}

// ParseScore parses a score name (see ScoreNames; aliases such as "nflowjs"
// and "max-logit" are accepted, case and surrounding space ignored).
func ParseScore(raw string) (ScoreSpec, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	name, val, hasVal := strings.Cut(s, "@")
	d, ok := LookupScore(name)
	if !ok {
		return ScoreSpec{}, fmt.Errorf("ood: unknown score %q (have %s)", raw, strings.Join(ScoreNames(), ", "))
	}
	sp := ScoreSpec{Name: d.Name, Raw: raw}
	if !hasVal {
		return sp, nil
	}
	if d.Param == "" {
		return ScoreSpec{}, fmt.Errorf("ood: score %q takes no @ parameter", raw)
	}
	v, err := strconv.ParseFloat(val, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return ScoreSpec{}, fmt.Errorf("ood: score %q: %s must be a positive number", raw, d.Param)
	}
	switch d.Name {
	case "react":
		if v > 1 {
			return ScoreSpec{}, fmt.Errorf("ood: score %q: percentile c must be in (0, 1]", raw)
		}
	case "mcdropout":
		if v != float64(int(v)) {
			return ScoreSpec{}, fmt.Errorf("ood: score %q: K must be a whole number of passes", raw)
		}
	case "knn":
		if v != float64(int(v)) || v > DefaultKNNBank {
			return ScoreSpec{}, fmt.Errorf("ood: score %q: k must be a whole number of neighbours up to %d", raw, DefaultKNNBank)
		}
	}
	sp.Value = v
	return sp, nil
}

// ParseScores parses a list of names, rejecting duplicates.
func ParseScores(names []string) ([]ScoreSpec, error) {
	seen := map[string]bool{}
	var out []ScoreSpec
	for _, n := range names {
		sp, err := ParseScore(n)
		if err != nil {
			return nil, err
		}
		if seen[sp.String()] {
			return nil, fmt.Errorf("ood: score %q listed twice", n)
		}
		seen[sp.String()] = true
		out = append(out, sp)
	}
	return out, nil
}

// Def returns the score's definition.
func (s ScoreSpec) Def() ScoreDef {
	d, _ := LookupScore(s.Name)
	return d
}

// String returns the canonical spelling, e.g. "js" or "react@0.99".
func (s ScoreSpec) String() string {
	if s.Value == 0 {
		return s.Name
	}
	return s.Name + "@" + strconv.FormatFloat(s.Value, 'g', -1, 64)
}

// HasTemperature reports whether the score's parameter is a temperature
// (NAME@T), which a bundle stores separately from the name.
func (s ScoreSpec) HasTemperature() bool { return s.Def().Param == "T" }

// Temperature returns the temperature the score is computed at: the @
// value, else the default; 0 for scores without one (max-logit, sml,
// mcdropout, react).
func (s ScoreSpec) Temperature() float32 {
	d := s.Def()
	switch {
	case d.Param != "T":
		return 0
	case s.Value > 0:
		return float32(s.Value)
	}
	return d.DefaultT
}

// StoredName is how a calibration of this score is recorded in a bundle's
// model.json: the canonical name, with the temperature kept separately
// for scores that have one, and the @ parameter otherwise ("react@0.99").
func (s ScoreSpec) StoredName() string {
	if s.HasTemperature() {
		return s.Name
	}
	return s.String()
}

// Scorer returns the LogitScorer of a logit score at its temperature, and
// false for the scores that need more than one pass's logits.
func (s ScoreSpec) Scorer() (LogitScorer, bool) {
	d := s.Def()
	if !d.Logit {
		return LogitScorer{}, false
	}
	t := s.Temperature()
	if t == 0 {
		t = 1 // max-logit ignores it, but a LogitScorer needs a valid T
	}
	return LogitScorer{Kind: d.Kind, T: t}, true
}

// Bounds returns the natural range of a logit score's values for k
// classes, or ok = false for unbounded scores (a heatmap then spans the
// image's own minimum and maximum).
func (s ScoreSpec) Bounds(k int) (lo, hi float32, ok bool) {
	d := s.Def()
	if d.NegativeClass {
		return -1, 1, true
	}
	if !d.Logit {
		return 0, 0, false
	}
	lnK := math.Log(float64(k))
	switch d.Kind {
	case NFlowJS:
		return float32(-JSMax(k)), 0, true
	case MSP:
		return -1, float32(-1 / float64(k)), true
	case Entropy:
		return 0, float32(lnK), true
	case ReverseKL:
		return float32(-lnK), 0, true
	case RbA:
		return float32(-k), float32(k), true
	}
	return 0, 0, false
}
