package evaluate

import "github.com/nflowjs/nflowjs/ood"

// Spec is a parsed score name; package ood owns the table of scores
// (ood.ParseScore, ood.ScoreNames, ood.ScoreHelp).
type Spec = ood.ScoreSpec

// specTemperature returns the temperature s is computed at under opt:
// ood's default, except ODIN's, which Options may set.
func specTemperature(s Spec, opt *Options) float32 {
	if s.Name == "odin" && s.Value == 0 && opt.ODINTemperature > 0 {
		return opt.ODINTemperature
	}
	return s.Temperature()
}

// specMatches reports whether a stored calibration (score name and
// temperature) applies to s as evaluated with opt.
func specMatches(s Spec, stored string, temp float32, opt *Options) bool {
	if s.StoredName() != stored {
		return false
	}
	t := specTemperature(s, opt)
	return t == 0 || t == temp
}
