package seg

import (
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// TestWithNegativeClass extends a K-class model (own and imported,
// LR-ASPP's two summed classifiers included) with a UNO head: the inlier
// logits are unchanged at every entry point, the negative logit is exactly
// 0 (zero weights and bias), AllLogits/NativeAllLogits carry K+1 channels
// whose first K are the inlier logits, LinearHead keeps the K inlier rows,
// and the bundle round-trips.
func TestWithNegativeClass(t *testing.T) {
	cfgs := map[string]Config{"ladder": testConfig(3), "stride2": func() Config {
		c := testConfig(3)
		c.OutputStride = 2
		return c
	}(), "lraspp": {Arch: "lraspp_mobilenet_v3_large", NumClasses: 3}}
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			m := newTestModel(t, cfg, 1)
			nn.Eval(m)
			u, err := WithNegativeClass(m)
			if err != nil {
				t.Fatal(err)
			}
			if !u.HasNegativeClass() || m.HasNegativeClass() || u.Config().Outputs() != 4 {
				t.Fatalf("head: new %v, old %v, outputs %d", u.HasNegativeClass(), m.HasNegativeClass(), u.Config().Outputs())
			}
			if again, _ := WithNegativeClass(u); again != u {
				t.Error("extending a UNO model again made a new one")
			}
			x := randImages(rand.New(rand.NewPCG(2, 2)), 2, 40, 56)
			want, _ := m.Logits(x)
			got, _ := u.Logits(x)
			all, err := u.AllLogits(x)
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.ShapeEqual(got.Shape, want.Shape) || all.Shape[1] != 4 {
				t.Fatalf("shapes %v %v %v", got.Shape, want.Shape, all.Shape)
			}
			hw := 40 * 56
			for n := range 2 {
				for i := range 3 * hw {
					if g, w, a := got.Data[n*3*hw+i], want.Data[n*3*hw+i], all.Data[n*4*hw+i]; g != w || a != w {
						t.Fatalf("image %d logit %d: %v (all %v), stage 1 %v", n, i, g, a, w)
					}
				}
				for i := range hw {
					if v := all.Data[n*4*hw+3*hw+i]; v != 0 {
						t.Fatalf("negative logit %v, want 0", v)
					}
				}
			}
			nat, _ := u.NativeLogits(x)
			natAll, err := u.NativeAllLogits(x)
			if err != nil {
				t.Fatal(err)
			}
			if nat.Shape[1] != 3 || natAll.Shape[1] != 4 {
				t.Errorf("native channels %d and %d, want 3 and 4", nat.Shape[1], natAll.Shape[1])
			}
			if up, err := u.UpsampleNative(natAll, 40, 56); err != nil || !tensor.ShapeEqual(up.Shape, all.Shape) {
				t.Errorf("upsampled native outputs %v, %v", up, err)
			} else {
				for i, v := range up.Data {
					if d := v - all.Data[i]; d > 1e-5 || d < -1e-5 {
						t.Fatalf("UpsampleNative(NativeAllLogits)[%d] = %v, AllLogits %v", i, v, all.Data[i])
					}
				}
			}
			// Forward is ForwardAll without its last channel, with a graph.
			f := u.ForwardAll(autograd.Const(x))
			if f.Value.Shape[1] != 4 {
				t.Errorf("ForwardAll channels %d", f.Value.Shape[1])
			}
			if w, b, ok := u.LinearHead(); ok {
				if w.Shape[0] != 3 || (b != nil && b.Shape[0] != 3) {
					t.Errorf("linear head %v / %v, want 3 rows", w.Shape, b)
				}
			}
			dir := t.TempDir()
			if err := SaveBundle(dir, u, NewInfo(u, []string{"a", "b", "c"}, "uno", "test")); err != nil {
				t.Fatal(err)
			}
			b, err := LoadBundle(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !b.Model.HasNegativeClass() || b.Info.Config.Head != HeadUNO {
				t.Errorf("loaded head %q", b.Info.Config.Head)
			}
		})
	}
	bad := testConfig(3)
	bad.Head = "k+2"
	if err := bad.Validate(); err == nil {
		t.Error("unknown head accepted")
	}
}
