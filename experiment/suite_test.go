package experiment

import (
	"slices"
	"strings"
	"testing"
)

// TestSharedPretrainingPlan checks the full profile's plan shape: stage 1
// and the flow once per benchmark, the repeated joint variants for every
// seed and the others for the first, all of them starting from the first
// seed's models; fashion-ood's models are also evaluated on test-far.
func TestSharedPretrainingPlan(t *testing.T) {
	p, err := GetProfile("full")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PaperSuite(p)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range plan.Steps {
		names = append(names, s.Name)
		if s.Meta["kind"] == KindJoint {
			args := strings.Join(s.Args, " ")
			ds := s.Meta["dataset"]
			if !strings.Contains(args, "{dep:closed-"+ds+"-s1}") || !strings.Contains(args, "{dep:flow-"+ds+"-s1}") {
				t.Errorf("%s does not start from the seed-1 models: %s", s.Name, args)
			}
			if !strings.Contains(args, "--seed "+s.Meta["seed"]) {
				t.Errorf("%s does not pass its own seed: %s", s.Name, args)
			}
		}
	}
	for _, ds := range p.Datasets {
		for _, seed := range []string{"s2", "s3"} {
			for _, kind := range []string{"closed", "flow"} {
				if slices.Contains(names, stepName(kind, ds, seed)) {
					t.Errorf("%s-%s-%s planned with shared pre-training", kind, ds, seed)
				}
			}
			if slices.Contains(names, stepName("eval", ds, ModelClosed, seed)) {
				t.Errorf("stage-1 model of %s evaluated again for %s", ds, seed)
			}
			for _, v := range p.Variants {
				want := p.SeedVariants == nil || slices.Contains(p.SeedVariants, v)
				if slices.Contains(names, stepName("joint", ds, v, seed)) != want {
					t.Errorf("joint-%s-%s-%s planned: %v, want %v", ds, v, seed, !want, want)
				}
			}
		}
		for _, v := range p.Variants {
			if !slices.Contains(names, stepName("joint", ds, v, "s1")) {
				t.Errorf("joint-%s-%s-s1 missing", ds, v)
			}
		}
	}
	for _, s := range plan.Steps {
		from := slices.Contains(s.Args, "from:{dep:"+stepName("joint", s.Meta["dataset"], VariantNFlowJS, "s1")+"}")
		switch s.Name {
		case stepName("joint", "road", VariantNoise, "s1"), stepName("joint", "road", VariantFreezeBN, "s1"):
			if !from {
				t.Errorf("%s does not take NFlowJS's lambda: %v", s.Name, s.Args)
			}
		case stepName("joint", "road", VariantKL, "s1"), stepName("joint", "road", VariantLambdaLow, "s1"):
			if from {
				t.Errorf("%s takes NFlowJS's lambda: %v", s.Name, s.Args)
			}
		}
	}
	for _, s := range plan.Steps {
		if s.Name == stepName("eval", FashionOODFar, VariantNFlowJS, "s2") {
			if !slices.Contains(s.Args, FarSplit) || s.Meta["dataset"] != FashionOODFar {
				t.Errorf("%s: args %v meta %v", s.Name, s.Args, s.Meta)
			}
			return
		}
	}
	t.Error("no evaluation of the far-OOD split")
}
