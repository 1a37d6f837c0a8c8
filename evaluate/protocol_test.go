package evaluate

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/nflowjs/nflowjs/internal/h5"

	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/ood"
)

// Under the SMIYC protocols, RunModel maps each score onto [0, 1] (its
// natural bounds, or min–max for an unbounded score) and gives the
// metrics package's binned numbers for those maps; the report names the
// protocol and the range. Fishyscapes gives the exact pooled numbers.
func TestRunBinnedProtocols(t *testing.T) {
	m := tinyModel(t, 13)
	test := openSplit(t, "test")
	dt := loadDirect(t, m, test)
	hw := test.Meta.Extra["size"].([]any)
	imageSize := int(hw[0].(float64)) * int(hw[1].(float64))
	names := []string{"js", "maxlogit"}
	for _, proto := range []metrics.Protocol{metrics.SMIYC, metrics.SMIYCUniform, metrics.Fishyscapes} {
		rep, err := RunModel(m, tinyInfo(m), test, Options{Scores: names, BatchSize: 3, Protocol: proto})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Protocol != proto.String() {
			t.Errorf("report protocol %q, want %q", rep.Protocol, proto)
		}
		for i, c := range []struct {
			kind ood.Kind
			T    float32
		}{{ood.NFlowJS, 2}, {ood.MaxLogit, 1}} {
			s, l := dt.scores(t, c.kind, c.T)
			got := rep.Scores[i]
			if proto.Binned() {
				spec, _ := ood.ParseScore(names[i])
				lo, hi := UnitRange(spec, 13, s)
				if got.ScoreRange == nil || *got.ScoreRange != [2]float32{lo, hi} {
					t.Fatalf("%s: score range %v, want [%v %v]", names[i], got.ScoreRange, lo, hi)
				}
				s = ToUnit(s, lo, hi)
			} else if got.ScoreRange != nil {
				t.Errorf("%s: score range reported for %s", names[i], proto)
			}
			want, err := metrics.Evaluate(s, l, imageSize, metrics.Options{Ignore: 255, Protocol: proto})
			if err != nil {
				t.Fatal(err)
			}
			if got.AP != want.AP || got.FPR95 != want.FPR95 || got.AUROC != want.AUROC {
				t.Errorf("%s %s: got %v/%v/%v, want %v/%v/%v", proto, names[i], got.AP, got.FPR95, got.AUROC, want.AP, want.FPR95, want.AUROC)
			}
		}
	}
}

func TestToUnit(t *testing.T) {
	s := ToUnit([]float32{-2, -1, 0, 0.5}, -1, 0)
	if s[0] != 0 || s[1] != 0 || s[2] != 1 || s[3] != 1 {
		t.Fatalf("ToUnit clamps and maps: %v", s)
	}
	spec, _ := ood.ParseScore("maxlogit")
	if lo, hi := UnitRange(spec, 3, []float32{4, 4}); lo != 4 || hi != 5 {
		t.Fatalf("constant unbounded score: [%v %v]", lo, hi)
	}
	spec, _ = ood.ParseScore("msp")
	if lo, hi := UnitRange(spec, 4, []float32{-0.9}); lo != -1 || hi != -0.25 {
		t.Fatalf("msp bounds: [%v %v]", lo, hi)
	}
}

// --export-smiyc writes one HDF5 file per frame under
// anomaly_p/METHOD/DATASET, holding the score mapped onto [0, 1].
func TestExportSMIYC(t *testing.T) {
	m := tinyModel(t, 13)
	test := openSplit(t, "test")
	dt := loadDirect(t, m, test)
	dir := t.TempDir()
	if _, err := RunModel(m, tinyInfo(m), test, Options{Scores: []string{"js"}, BatchSize: 3, ExportSMIYC: dir}); err != nil {
		t.Fatal(err)
	}
	s, _ := dt.scores(t, ood.NFlowJS, 2)
	spec, _ := ood.ParseScore("js")
	lo, hi := UnitRange(spec, 13, s)
	unit := ToUnit(s, lo, hi)
	hw := test.Meta.Extra["size"].([]any)
	h, w := int(hw[0].(float64)), int(hw[1].(float64))
	for i, e := range test.Entries {
		got, err := os.ReadFile(filepath.Join(dir, "anomaly_p", "nflowjs-js", test.Meta.Name, e.ID+".hdf5"))
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		_ = h5.WriteFloat16(&want, "value", h, w, unit[i*h*w:(i+1)*h*w])
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("frame %s: file differs from the mapped scores", e.ID)
		}
	}
	_, err := RunModel(m, tinyInfo(m), test, Options{Scores: []string{"js"}, ExportSMIYC: dir, ExportMethod: "../up"})
	if err == nil {
		t.Error("a method name with a path separator was accepted")
	}
}
