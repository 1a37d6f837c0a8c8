package pth

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

type expected map[string]struct {
	Shape  []int
	Dtype  string
	Values []float64
}

func readExpected(t *testing.T) (small, wrapped expected) {
	t.Helper()
	raw, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct{ Small, Wrapped expected }
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	return fx.Small, fx.Wrapped
}

func check(t *testing.T, file string, sd *StateDict, want expected) {
	t.Helper()
	for name, w := range want {
		if !strings.HasPrefix(w.Dtype, "float") && w.Dtype != "bfloat16" {
			if sd.Skipped[name] != w.Dtype {
				t.Errorf("%s: %s: skipped as %q, want %q", file, name, sd.Skipped[name], w.Dtype)
			}
			continue
		}
		got, ok := sd.Tensors[name]
		if !ok {
			t.Errorf("%s: %s missing", file, name)
			continue
		}
		if !slices.Equal(got.Shape, w.Shape) && !(len(w.Shape) == 0 && len(got.Data) == 1) {
			t.Errorf("%s: %s shape %v, want %v", file, name, got.Shape, w.Shape)
		}
		for i, v := range w.Values {
			if float64(got.Data[i]) != float64(float32(v)) {
				t.Errorf("%s: %s[%d] = %v, want %v", file, name, i, got.Data[i], v)
				break
			}
		}
	}
}

// Both of torch.save's formats read to the values torch wrote: every
// float dtype, 0-d and non-contiguous tensors, views sharing a storage,
// parameters; integer tensors are listed apart.
func TestReadTorchFiles(t *testing.T) {
	small, wrapped := readExpected(t)
	for _, f := range []string{"testdata/small.pt", "testdata/small_legacy.pt"} {
		sd, err := Read(f)
		if err != nil {
			t.Fatal(err)
		}
		check(t, f, sd, small)
		if len(sd.Tensors)+len(sd.Skipped) != len(small) || sd.Found != "" {
			t.Errorf("%s: %d tensors + %d skipped, want %d", f, len(sd.Tensors), len(sd.Skipped), len(small))
		}
		if sd.Names[0] != "conv.weight" || sd.Names[len(sd.Names)-1] != "param" {
			t.Errorf("%s: order %v", f, sd.Names)
		}
	}
	// A training checkpoint: the dict under "state_dict", DataParallel's
	// prefix removed, metadata (ints, floats, strings, lists, None) ignored.
	sd, err := Read("testdata/wrapped.pt")
	if err != nil {
		t.Fatal(err)
	}
	if sd.Found != "state_dict" {
		t.Errorf("found %q", sd.Found)
	}
	unprefixed := expected{}
	for k, v := range wrapped {
		unprefixed[strings.TrimPrefix(k, "module.")] = v
	}
	check(t, "wrapped.pt", sd, unprefixed)
}

// A pickle that would call os.system is refused by name, and nothing
// runs (there is nothing that could).
func TestEvilPickleRefused(t *testing.T) {
	os.Remove("/tmp/nflowjs-pwned")
	for _, f := range []string{"testdata/evil.pt", "testdata/evil_legacy.pt"} {
		_, err := Read(f)
		if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "system") {
			t.Errorf("%s: %v, want ErrUnsafe naming the global", f, err)
		}
	}
	if _, err := os.Stat("/tmp/nflowjs-pwned"); err == nil {
		t.Fatal("the payload ran")
	}
}

func TestReadErrors(t *testing.T) {
	good, _ := os.ReadFile("testdata/small.pt")
	legacy, _ := os.ReadFile("testdata/small_legacy.pt")
	for name, b := range map[string][]byte{
		"empty":            nil,
		"text":             []byte("hello"),
		"truncated zip":    good[:len(good)/2],
		"truncated legacy": legacy[:len(legacy)-10],
		"legacy header":    legacy[:40],
	} {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Read("testdata/missing.pt"); err == nil {
		t.Error("missing file accepted")
	}
}

func FuzzDecode(f *testing.F) {
	for _, p := range []string{"testdata/small.pt", "testdata/small_legacy.pt", "testdata/wrapped.pt", "testdata/evil_legacy.pt"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := Decode(b)
		if err == nil {
			for _, x := range sd.Tensors {
				for _, v := range x.Data {
					_ = math.IsNaN(float64(v))
				}
			}
		}
	})
}
