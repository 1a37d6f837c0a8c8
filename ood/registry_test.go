package ood

import (
	"math"
	"testing"
)

func TestParseScore(t *testing.T) {
	for in, want := range map[string]string{
		"js": "js", "NFlowJS": "js", "max-logit": "maxlogit", "msp@10": "msp@10", "react@0.99": "react@0.99",
		"mcdropout@16": "mcdropout@16", "reverse-kl": "rkl", " energy ": "energy",
	} {
		sp, err := ParseScore(in)
		if err != nil || sp.String() != want {
			t.Errorf("ParseScore(%q) = %v, %v; want %s", in, sp, err, want)
		}
	}
	for _, bad := range []string{"", "foo", "js@", "js@-1", "js@inf", "msp@x", "sml@2", "maxlogit@2", "mcdropout@2.5", "react@2"} {
		if _, err := ParseScore(bad); err == nil {
			t.Errorf("ParseScore(%q) accepted", bad)
		}
	}
	if _, err := ParseScores([]string{"js", "nflowjs"}); err == nil {
		t.Error("js listed twice accepted")
	}
}

// One default temperature per score, below 1 too, and none for scores
// without one; every Kind has its logit score.
func TestScoreTemperatures(t *testing.T) {
	for in, want := range map[string]float32{"js": 2, "js@0.5": 0.5, "msp": 1, "msp@10": 10, "kl": 2, "maxlogit": 0,
		"odin": DefaultODINTemperature, "react@0.9": 0, "mcdropout": 0, "sml": 0} {
		sp, err := ParseScore(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := sp.Temperature(); got != want {
			t.Errorf("%s: T = %g, want %g", in, got, want)
		}
	}
	kinds := map[Kind]bool{}
	for _, n := range ScoreNames() {
		sp, _ := ParseScore(n)
		if d := sp.Def(); d.NegativeClass {
			kinds[d.Kind] = true // scored on the K+1 outputs (UNOScorer)
		}
		if sc, ok := sp.Scorer(); ok {
			kinds[sc.Kind] = true
			if !(sc.T > 0) {
				t.Errorf("%s: scorer T %g", n, sc.T)
			}
		}
	}
	for k := Kind(0); k < numKinds; k++ {
		if !kinds[k] {
			t.Errorf("kind %v has no score in the registry", k)
		}
	}
	if sp, _ := ParseScore("js@0.5"); sp.StoredName() != "js" {
		t.Errorf("stored name %q", sp.StoredName())
	}
	if sp, _ := ParseScore("react@0.99"); sp.StoredName() != "react@0.99" {
		t.Errorf("stored name %q", sp.StoredName())
	}
}

// Bounds by hand for K = 4: JS in [−JSmax, 0], MSP in [−1, −1/4], entropy
// in [0, ln 4], reverse KL in [−ln 4, 0]; the others unbounded.
func TestScoreBounds(t *testing.T) {
	ln4 := float32(math.Log(4))
	for name, want := range map[string][2]float32{"js": {float32(-JSMax(4)), 0}, "msp": {-1, -0.25}, "entropy": {0, ln4}, "rkl": {-ln4, 0}} {
		sp, _ := ParseScore(name)
		lo, hi, ok := sp.Bounds(4)
		if !ok || lo != want[0] || hi != want[1] {
			t.Errorf("%s: [%g, %g] %v, want %v", name, lo, hi, ok, want)
		}
	}
	for _, name := range []string{"maxlogit", "energy", "kl", "odin", "sml"} {
		sp, _ := ParseScore(name)
		if _, _, ok := sp.Bounds(4); ok {
			t.Errorf("%s: bounded", name)
		}
	}
}
