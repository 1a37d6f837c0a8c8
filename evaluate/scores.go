package evaluate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nflowjs/nflowjs/ood"
)

// scoreDef describes one score name accepted by Options.Scores.
type scoreDef struct {
	name    string   // canonical name
	aliases []string // other accepted spellings
	kind    ood.Kind // logit scores
	logit   bool
	defT    float32 // default temperature of logit scores
	param   string  // what NAME@V sets
	help    string
}

// scoreDefs lists every score, in the order ScoreNames prints them.
var scoreDefs = []scoreDef{
	{name: "js", aliases: []string{"nflowjs"}, kind: ood.NFlowJS, logit: true, defT: ood.DefaultT, param: "T",
		help: "NFlowJS: −JS(U, softmax(l/T)), paper eq. 7 (T = 2)"},
	{name: "msp", kind: ood.MSP, logit: true, defT: 1, param: "T",
		help: "−max softmax(l/T) (Hendrycks & Gimpel; T = 1, msp@10 is the paper's Table 7 setting)"},
	{name: "maxlogit", aliases: []string{"max-logit", "ml"}, kind: ood.MaxLogit, logit: true, defT: 1,
		help: "−max_k l_k"},
	{name: "entropy", kind: ood.Entropy, logit: true, defT: 1, param: "T",
		help: "entropy of softmax(l/T) (T = 1)"},
	{name: "energy", kind: ood.Energy, logit: true, defT: 1, param: "T",
		help: "−T·logsumexp(l/T) (T = 1)"},
	{name: "kl", aliases: []string{"kl-uniform"}, kind: ood.KLUniform, logit: true, defT: ood.DefaultT, param: "T",
		help: "−KL(U‖softmax(l/T)) (T = 2)"},
	{name: "rkl", aliases: []string{"reverse-kl"}, kind: ood.ReverseKL, logit: true, defT: ood.DefaultT, param: "T",
		help: "−KL(softmax(l/T)‖U) (T = 2)"},
	{name: "sml", param: "",
		help: "standardized max-logit, class statistics fitted on the fit split (train)"},
	{name: "odin", param: "T",
		help: "ODIN: input perturbation (eps = 0.0014) + −MSP at T (T = 1000)"},
	{name: "mcdropout", aliases: []string{"mc-dropout", "mcd"}, param: "K",
		help: "MC dropout: K stochastic passes, entropy (or −MSP) of the mean softmax (K = 8)"},
	{name: "react", param: "c",
		help: "ReAct: features clipped at the c-th percentile of training activations, energy (c = 0.9)"},
}

// ScoreNames returns the canonical score names accepted by Options.Scores.
func ScoreNames() []string {
	out := make([]string, len(scoreDefs))
	for i, d := range scoreDefs {
		out[i] = d.name
	}
	return out
}

// ScoreHelp returns one line per score: "name[@param]  description".
func ScoreHelp() string {
	var b strings.Builder
	for _, d := range scoreDefs {
		n := d.name
		if d.param != "" {
			n += "[@" + d.param + "]"
		}
		fmt.Fprintf(&b, "  %-14s %s\n", n, d.help)
	}
	return b.String()
}

// Spec is a parsed score name: NAME or NAME@V, where V sets the score's main
// parameter (the temperature of logit scores and ODIN, the number of passes
// of mcdropout, the percentile c of react).
type Spec struct {
	Name  string  // canonical name, e.g. "js"
	Value float64 // the @ parameter; 0 = the default
	Raw   string  // as written
}

// String returns the canonical spelling, e.g. "js" or "react@0.99".
func (s Spec) String() string {
	if s.Value == 0 {
		return s.Name
	}
	return s.Name + "@" + strconv.FormatFloat(s.Value, 'g', -1, 64)
}

// ParseScore parses a score name (see ScoreNames; aliases such as "nflowjs"
// and "max-logit", and ood.Kind names, are accepted).
func ParseScore(raw string) (Spec, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	name, val, hasVal := strings.Cut(s, "@")
	d, ok := lookupScore(name)
	if !ok {
		return Spec{}, fmt.Errorf("evaluate: unknown score %q (have %s)", raw, strings.Join(ScoreNames(), ", "))
	}
	sp := Spec{Name: d.name, Raw: raw}
	if !hasVal {
		return sp, nil
	}
	if d.param == "" {
		return Spec{}, fmt.Errorf("evaluate: score %q takes no @ parameter", raw)
	}
	v, err := strconv.ParseFloat(val, 64)
	if err != nil || !(v > 0) {
		return Spec{}, fmt.Errorf("evaluate: score %q: %s must be a positive number", raw, d.param)
	}
	switch d.name {
	case "react":
		if v > 1 {
			return Spec{}, fmt.Errorf("evaluate: score %q: percentile c must be in (0, 1]", raw)
		}
	case "mcdropout":
		if v != float64(int(v)) {
			return Spec{}, fmt.Errorf("evaluate: score %q: K must be a whole number of passes", raw)
		}
	}
	sp.Value = v
	return sp, nil
}

// ParseScores parses a list of names, rejecting duplicates.
func ParseScores(names []string) ([]Spec, error) {
	seen := map[string]bool{}
	var out []Spec
	for _, n := range names {
		sp, err := ParseScore(n)
		if err != nil {
			return nil, err
		}
		if seen[sp.String()] {
			return nil, fmt.Errorf("evaluate: score %q listed twice", n)
		}
		seen[sp.String()] = true
		out = append(out, sp)
	}
	return out, nil
}

func lookupScore(name string) (scoreDef, bool) {
	for _, d := range scoreDefs {
		if d.name == name {
			return d, true
		}
		for _, a := range d.aliases {
			if a == name {
				return d, true
			}
		}
	}
	return scoreDef{}, false
}

// HasTemperature reports whether the score's parameter is a temperature
// (NAME@T), which a bundle stores separately from the name.
func (s Spec) HasTemperature() bool {
	d, _ := lookupScore(s.Name)
	return d.param == "T"
}

// temperature returns the temperature a logit score or ODIN uses.
func (s Spec) temperature(opt *Options) float32 {
	d, _ := lookupScore(s.Name)
	switch {
	case s.Value > 0 && d.param == "T":
		return float32(s.Value)
	case d.logit && d.param == "T":
		return d.defT
	case s.Name == "odin":
		if opt.ODINTemperature > 0 {
			return opt.ODINTemperature
		}
		return ood.DefaultODINTemperature
	}
	return 0
}

// StoredName is how a calibration of this score is recorded in a bundle's
// model.json: the canonical name, with the temperature kept separately
// (BundleInfo.Temperature) for scores that have one, and the @ parameter
// otherwise (e.g. "react@0.99").
func (s Spec) StoredName() string {
	if d, _ := lookupScore(s.Name); d.param == "T" {
		return s.Name
	}
	return s.String()
}

// matches reports whether a stored calibration (score name and
// temperature) applies to s as evaluated with opt.
func (s Spec) matches(stored string, temp float32, opt *Options) bool {
	if s.StoredName() != stored {
		return false
	}
	t := s.temperature(opt)
	return t == 0 || t == temp
}
