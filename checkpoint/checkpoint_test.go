package checkpoint

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/tensor"
)

func bitsEqual(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func TestRoundTripBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	w := tensor.New(8, 3, 3, 3)
	for i := range w.Data {
		w.Data[i] = float32(rng.NormFloat64())
	}
	specials := []uint32{
		0x7fc00000, 0x7fc00001, 0xffc12345, 0x7f800001, // quiet/signalling NaNs with payloads
		0x80000000, 0x00000000, // ±0
		0x00000001, 0x807fffff, 0x00400000, // subnormals
		0x7f800000, 0xff800000, 0x7f7fffff, 0x00800000, // ±Inf, max, min normal
	}
	sp := tensor.New(len(specials))
	for i, b := range specials {
		sp.Data[i] = math.Float32frombits(b)
	}
	in := map[string]*tensor.Tensor{
		"encoder.layer1.0.conv1.weight": w,
		"specials":                      sp,
		"scalar":                        tensor.FromData([]float32{-2.5}),
		"empty":                         tensor.New(0, 4),
		"bn.num_batches_tracked":        tensor.FromData([]float32{1234}),
	}
	meta := map[string]string{"epoch": "3", "note": "ünïcode ✓"}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := Save(path, in, meta); err != nil {
		t.Fatal(err)
	}
	got, gotMeta, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("loaded %d tensors, saved %d", len(got), len(in))
	}
	for name, want := range in {
		g := got[name]
		if g == nil || !tensor.ShapeEqual(g.Shape, want.Shape) {
			t.Fatalf("%s: got %v, want shape %v", name, g, want.Shape)
		}
		if i := bitsEqual(g.Data, want.Data); i >= 0 {
			t.Fatalf("%s[%d]: bits %#08x, want %#08x", name, i, math.Float32bits(g.Data[i]), math.Float32bits(want.Data[i]))
		}
	}
	for k, v := range meta {
		if gotMeta[k] != v {
			t.Errorf("metadata %q = %q, want %q", k, gotMeta[k], v)
		}
	}
	// Saving again over the file replaces it and leaves no temporary files.
	if err := Save(path, map[string]*tensor.Tensor{"x": tensor.Full(1, 2)}, nil); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries after Save, want 1", len(ents))
	}
	got, gotMeta, err = Load(path)
	if err != nil || len(got) != 1 || len(gotMeta) != 0 {
		t.Fatalf("overwrite: %v %v %v", got, gotMeta, err)
	}
}

func TestSaveRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	bad := []map[string]*tensor.Tensor{
		{"w": nil},
		{"w": {Shape: []int{2, 2}, Data: make([]float32, 3)}},
		{"__metadata__": tensor.New(1)},
		{"": tensor.New(1)},
	}
	for i, m := range bad {
		if err := Save(path, m, nil); err == nil || !strings.HasPrefix(err.Error(), "checkpoint: ") {
			t.Errorf("case %d: got %v, want a checkpoint error", i, err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed saves left %d files behind", len(ents))
	}
	if err := Save(filepath.Join(dir, "no", "such", "dir.safetensors"), map[string]*tensor.Tensor{}, nil); err == nil {
		t.Error("save into a missing directory succeeded")
	}
}

// expectation of testdata/valid-*.json (written by gen_fixtures.py).
type expectation struct {
	Metadata map[string]string `json:"metadata"`
	Tensors  map[string]struct {
		Shape []int    `json:"shape"`
		Bits  []uint32 `json:"bits"`
	} `json:"tensors"`
}

// TestPythonWrittenFixtures loads files laid out by Python (see
// gen_fixtures.py), including F16/BF16/F64 tensors converted to float32.
func TestPythonWrittenFixtures(t *testing.T) {
	for _, name := range []string{"valid-f32", "valid-dtypes"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/" + name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			var want expectation
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			got, meta, err := Load("testdata/" + name + ".safetensors")
			if err != nil {
				t.Fatal(err)
			}
			if len(meta) != len(want.Metadata) {
				t.Errorf("metadata %v, want %v", meta, want.Metadata)
			}
			for k, v := range want.Metadata {
				if meta[k] != v {
					t.Errorf("metadata %q = %q, want %q", k, meta[k], v)
				}
			}
			if len(got) != len(want.Tensors) {
				t.Fatalf("%d tensors, want %d", len(got), len(want.Tensors))
			}
			for tn, w := range want.Tensors {
				g := got[tn]
				if g == nil || !tensor.ShapeEqual(g.Shape, w.Shape) {
					t.Fatalf("%s: got %v, want shape %v", tn, g, w.Shape)
				}
				for i, b := range w.Bits {
					if math.Float32bits(g.Data[i]) != b {
						t.Errorf("%s[%d]: bits %#08x (%g), want %#08x (%g)", tn, i, math.Float32bits(g.Data[i]), g.Data[i], b, math.Float32frombits(b))
					}
				}
			}
		})
	}
}

// invalidFixtures is the table of broken files and the error each must give.
var invalidFixtures = []struct {
	file string
	kind any // pointer to the expected error type
	want string
}{
	{"invalid-empty", &FormatError{}, "file is 0 bytes, shorter than the 8-byte header length"},
	{"invalid-short-length", &FormatError{}, "file is 3 bytes"},
	{"invalid-truncated-header", &FormatError{}, "truncated: header length is 80 bytes but only 12 follow"},
	{"invalid-truncated-data", &FormatError{}, "data section is 5 bytes, which does not match the tensors' data_offsets"},
	{"invalid-trailing-data", &FormatError{}, "data section is 12 bytes, which does not match"},
	{"invalid-huge-header-length", &FormatError{}, "header length 4611686018427387904 exceeds the limit"},
	{"invalid-bad-json", &FormatError{}, "bad JSON header"},
	{"invalid-not-object", &FormatError{}, "bad JSON header"},
	{"invalid-offsets-out-of-range", &FormatError{}, `tensor "w": data_offsets [0 800] span 800 bytes but shape [2] of F32 needs 8`},
	{"invalid-overlapping", &FormatError{}, `tensor "b": data_offsets leave a gap or overlap another tensor`},
	{"invalid-offsets-shape-mismatch", &FormatError{}, `tensor "w": data_offsets [0 8] span 8 bytes but shape [3] of F32 needs 12`},
	{"invalid-unknown-dtype", &FormatError{}, "F8"},
	{"invalid-bool-dtype", &UnsupportedError{}, `tensor "w" has dtype BOOL`},
	{"invalid-negative-shape", &FormatError{}, `invalid "shape" value`},
	{"invalid-shape-overflow", &FormatError{}, `tensor "w": shape [4294967296 4294967296 4] is too large`},
	{"invalid-metadata-not-string", &FormatError{}, `__metadata__ "epoch"`},
}

func TestInvalidFixtures(t *testing.T) {
	for _, c := range invalidFixtures {
		t.Run(c.file, func(t *testing.T) {
			path := "testdata/" + c.file + ".safetensors"
			tensors, _, err := Load(path)
			if err == nil {
				t.Fatalf("loaded %d tensors from a broken file", len(tensors))
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "checkpoint: "+path+": ") || !strings.Contains(msg, c.want) {
				t.Errorf("error %q\nwant prefix %q and substring %q", msg, "checkpoint: "+path, c.want)
			}
			switch c.kind.(type) {
			case *FormatError:
				var e *FormatError
				if !errors.As(err, &e) {
					t.Errorf("error %T, want *FormatError", err)
				}
			case *UnsupportedError:
				var e *UnsupportedError
				if !errors.As(err, &e) {
					t.Errorf("error %T, want *UnsupportedError", err)
				}
			}
		})
	}
	if _, _, err := Load("testdata/does-not-exist.safetensors"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
}

func TestLoadIntoValidates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	saved := map[string]*tensor.Tensor{
		"conv.weight": tensor.Full(1.5, 2, 1, 3, 3),
		"conv.bias":   tensor.Full(-1, 2),
	}
	if err := Save(path, saved, map[string]string{"epoch": "4"}); err != nil {
		t.Fatal(err)
	}
	model := func() map[string]*tensor.Tensor {
		return map[string]*tensor.Tensor{"conv.weight": tensor.New(2, 1, 3, 3), "conv.bias": tensor.New(2)}
	}
	m := model()
	meta, err := LoadInto(path, m)
	if err != nil || meta["epoch"] != "4" {
		t.Fatalf("LoadInto: %v %v", meta, err)
	}
	if m["conv.weight"].Data[17] != 1.5 || m["conv.bias"].Data[1] != -1 {
		t.Fatal("LoadInto did not copy the values")
	}
	cases := []struct {
		mutate func(map[string]*tensor.Tensor)
		want   string
	}{
		{func(m map[string]*tensor.Tensor) { m["bn.weight"] = tensor.New(2) }, `tensor "bn.weight" is missing from the file (it has 2 tensors)`},
		{func(m map[string]*tensor.Tensor) { delete(m, "conv.bias") }, `tensor "conv.bias" is in the file but not in the model`},
		{func(m map[string]*tensor.Tensor) { m["conv.weight"] = tensor.New(2, 1, 1, 9) }, `tensor "conv.weight" has shape [2 1 3 3] in the file but [2 1 1 9] in the model`},
	}
	for _, c := range cases {
		m := model()
		c.mutate(m)
		_, err := LoadInto(path, m)
		var me *MismatchError
		if !errors.As(err, &me) || err.Error() != "checkpoint: "+path+": "+c.want {
			t.Errorf("got %v\nwant %q", err, c.want)
		}
		for _, v := range m {
			for _, x := range v.Data {
				if x != 0 {
					t.Fatal("a failed LoadInto modified the model")
				}
			}
		}
	}
}

func TestHalfToFloat32Exhaustive(t *testing.T) {
	// Every binary16 value against an independent formula.
	for h := 0; h < 1<<16; h++ {
		got := halfToFloat32(uint16(h))
		sign := 1.0
		if h&0x8000 != 0 {
			sign = -1
		}
		e, f := (h>>10)&0x1f, h&0x3ff
		var want float64
		switch {
		case e == 0x1f && f == 0:
			want = math.Inf(int(sign))
		case e == 0x1f:
			if !math.IsNaN(float64(got)) || math.Float32bits(got)&0x7fffff != uint32(f)<<13 {
				t.Fatalf("%#04x: NaN payload lost: %#08x", h, math.Float32bits(got))
			}
			continue
		case e == 0:
			want = sign * float64(f) * math.Pow(2, -24)
		default:
			want = sign * (1 + float64(f)/1024) * math.Pow(2, float64(e-15))
		}
		if float64(got) != want || math.Signbit(float64(got)) != (sign < 0) {
			t.Fatalf("%#04x: got %g, want %g", h, got, want)
		}
	}
}
