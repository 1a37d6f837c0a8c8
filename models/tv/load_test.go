package tv

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// A state dict with torchvision's names loads; aux_classifier.* is
// accepted and reported unused; every missing, unexpected and
// mis-shaped tensor is named in one error, and nothing is copied then.
func TestLoad(t *testing.T) {
	src, _ := New("fcn_resnet50", 5, rand.New(rand.NewPCG(3, 3)))
	sd := map[string]*tensor.Tensor{}
	for k, v := range nn.StateDict(src) {
		sd[k] = v
	}
	sd["aux_classifier.0.weight"] = tensor.New(256, 1024, 3, 3)
	dst, _ := New("fcn_resnet50", 5, rand.New(rand.NewPCG(4, 4)))
	rep, err := dst.Load(sd)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Unused) != 1 || rep.Loaded < 300 {
		t.Fatalf("report %+v", rep)
	}
	got, want := nn.StateDict(dst)["classifier.4.weight"], nn.StateDict(src)["classifier.4.weight"]
	if got.Data[7] != want.Data[7] {
		t.Fatal("weights not copied")
	}

	bad := map[string]*tensor.Tensor{}
	for k, v := range sd {
		bad[k] = v
	}
	delete(bad, "backbone.conv1.weight")
	delete(bad, "classifier.1.running_var")
	bad["classifier.4.weight"] = tensor.New(21, 512, 1, 1) // 21 classes, not 5
	bad["head.extra"] = tensor.New(1)
	fresh, _ := New("fcn_resnet50", 5, rand.New(rand.NewPCG(5, 5)))
	before := nn.StateDict(fresh)["classifier.0.weight"].Data[0]
	_, err = fresh.Load(bad)
	if err == nil {
		t.Fatal("bad state dict accepted")
	}
	for _, s := range []string{"2 missing", "backbone.conv1.weight", "classifier.1.running_var", "1 unexpected: head.extra",
		"1 mis-shaped: classifier.4.weight (file [21 512 1 1], model [5 512 1 1])"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	if nn.StateDict(fresh)["classifier.0.weight"].Data[0] != before {
		t.Error("a failed load modified the model")
	}
	if _, err := New("resnet18", 5, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("unknown architecture accepted")
	}
}
