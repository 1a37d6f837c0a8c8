package metrics

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/nflowjs/nflowjs/npy"
)

type smiycFixture struct {
	Source    string `json:"source"`
	Protocols map[string]struct {
		Cases map[string]struct {
			Frames []string `json:"frames"`
			AP     float64  `json:"ap"`
			FPR95  float64  `json:"fpr95"`
			AUROC  float64  `json:"auroc"`
		} `json:"cases"`
	} `json:"protocols"`
}

// smiycFrames reads testdata/smiyc: frames and the official
// road-anomaly-benchmark numbers for them (copied from ../shared/fixtures).
func smiycFrames(t testing.TB) (smiycFixture, map[string][2]any) {
	t.Helper()
	raw, err := os.ReadFile("testdata/smiyc/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx smiycFixture
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	frames := map[string][2]any{}
	paths, _ := filepath.Glob("testdata/smiyc/frames/*_score.npy")
	for _, p := range paths {
		id := filepath.Base(p)[:3]
		_, s, err := npy.ReadFloat16(p)
		if err != nil {
			t.Fatal(err)
		}
		_, l, err := npy.ReadUint8(filepath.Join(filepath.Dir(p), id+"_label.npy"))
		if err != nil {
			t.Fatal(err)
		}
		frames[id] = [2]any{s, l}
	}
	return fx, frames
}

var smiycProtocolNames = map[string]Protocol{
	"PixBinaryClass":        SMIYC,
	"PixBinaryClass-uniThr": SMIYCUniform,
}

// Both protocols reproduce the official tool's AP, FPR95 and AUROC to 1e-9
// on every case: several frames, one frame, ties, a frame with no anomaly,
// a constant frame.
func TestSMIYCMatchesOfficialTool(t *testing.T) {
	fx, frames := smiycFrames(t)
	n, worst := 0, 0.0
	for pname, p := range fx.Protocols {
		b, ok := smiycProtocolNames[pname]
		if !ok {
			t.Fatalf("unknown protocol %q in the fixture", pname)
		}
		for cname, c := range p.Cases {
			set := NewSMIYCSet(b)
			for k, id := range c.Frames {
				f := frames[id]
				fb, err := SMIYCFrame(f[0].([]float32), f[1].([]uint8), DefaultIgnore, b)
				if err != nil {
					t.Fatal(err)
				}
				if err := set.Add(int64(k), fb); err != nil {
					t.Fatal(err)
				}
			}
			got, err := set.Result()
			if err != nil {
				t.Fatalf("%s/%s: %v", pname, cname, err)
			}
			for _, m := range []struct {
				name      string
				got, want float64
			}{{"AP", got.AP, c.AP}, {"FPR95", got.FPR95, c.FPR95}, {"AUROC", got.AUROC, c.AUROC}} {
				if d := math.Abs(m.got - m.want); d > worst {
					worst = d
				}
				if d := math.Abs(m.got - m.want); d > 1e-9 {
					t.Errorf("%s/%s %s = %.15g, official %.15g", b, cname, m.name, m.got, m.want)
				}
			}
			n++
		}
	}
	t.Logf("largest difference from the official numbers: %.3g", worst)
	if n != 12 {
		t.Fatalf("checked %d cases, the fixture has 12", n)
	}
}

func TestSMIYCFrameRejectsBadInput(t *testing.T) {
	for _, c := range []struct {
		s    []float32
		l    []uint8
		want error
	}{
		{[]float32{0.5}, []uint8{0, 1}, ErrShape},
		{[]float32{1.5, 0}, []uint8{1, 0}, ErrScoreRange},
		{[]float32{float32(math.NaN()), 0}, []uint8{1, 0}, ErrNaN},
		{[]float32{0.5, 0}, []uint8{2, 0}, ErrLabel},
	} {
		if _, err := SMIYCFrame(c.s, c.l, DefaultIgnore, SMIYC); !errors.Is(err, c.want) {
			t.Errorf("SMIYCFrame(%v, %v) = %v, want %v", c.s, c.l, err, c.want)
		}
	}
	set := NewSMIYCSet(SMIYCUniform)
	fb, _ := SMIYCFrame([]float32{0.2}, []uint8{0}, DefaultIgnore, SMIYCUniform)
	_ = set.Add(0, fb)
	if _, err := set.Result(); !errors.Is(err, ErrNoPositives) {
		t.Errorf("no anomaly pixel: %v, want ErrNoPositives", err)
	}
}

// The Fishyscapes protocol gives the bdl-benchmark's numbers
// (testdata/gen_fishyscapes.py) on the same frames.
func TestFishyscapesMatchesBenchmarkCode(t *testing.T) {
	_, frames := smiycFrames(t)
	raw, err := os.ReadFile("testdata/fishyscapes.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Cases map[string]struct {
			Frames           []string
			AP, AUROC, FPR95 float64
		}
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	for name, c := range fx.Cases {
		var s []float32
		var l []uint8
		for _, id := range c.Frames {
			s = append(s, frames[id][0].([]float32)...)
			l = append(l, frames[id][1].([]uint8)...)
		}
		got, err := Evaluate(s, l, len(s), Options{Ignore: DefaultIgnore, Protocol: Fishyscapes})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.AP-c.AP) > 1e-9 || math.Abs(got.AUROC-c.AUROC) > 1e-9 || math.Abs(got.FPR95-c.FPR95) > 1e-9 {
			t.Errorf("%s: got AP %.12g AUROC %.12g FPR95 %.12g, benchmark %.12g %.12g %.12g",
				name, got.AP, got.AUROC, got.FPR95, c.AP, c.AUROC, c.FPR95)
		}
	}
}

// Evaluate runs the binned protocols per frame, with frames of different
// sizes, and gives the same numbers as SMIYCSet.
func TestEvaluateSMIYCFrameSizes(t *testing.T) {
	_, frames := smiycFrames(t)
	var s []float32
	var l []uint8
	var sizes []int
	set := NewSMIYCSet(SMIYC)
	for k, id := range []string{"000", "001", "008"} {
		fs, fl := frames[id][0].([]float32), frames[id][1].([]uint8)
		s, l, sizes = append(s, fs...), append(l, fl...), append(sizes, len(fs))
		fb, _ := SMIYCFrame(fs, fl, DefaultIgnore, SMIYC)
		_ = set.Add(int64(k), fb)
	}
	want, _ := set.Result()
	got, err := Evaluate(s, l, 0, Options{Ignore: DefaultIgnore, Protocol: SMIYC, FrameSizes: sizes})
	if err != nil {
		t.Fatal(err)
	}
	if got.Binary != want || got.Images != 3 {
		t.Fatalf("Evaluate = %+v, SMIYCSet = %+v", got, want)
	}
	if _, err := Evaluate(s, l, 0, Options{Ignore: DefaultIgnore, Protocol: SMIYC, FrameSizes: sizes[:2]}); !errors.Is(err, ErrShape) {
		t.Fatalf("frame sizes not covering the pixels: %v", err)
	}
}

func TestParseProtocol(t *testing.T) {
	for _, n := range ProtocolNames() {
		p, err := ParseProtocol(n)
		if err != nil || p.String() != n {
			t.Errorf("ParseProtocol(%q) = %v, %v", n, p, err)
		}
	}
	if p, err := ParseProtocol("pooled"); err != nil || p != Pooled {
		t.Errorf("pooled: %v %v", p, err)
	}
	if _, err := ParseProtocol("smiyc-exact"); err == nil {
		t.Error("unknown name accepted")
	}
}
