package h5

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.hdf5")

// goldenData is the array of testdata/golden.hdf5: exact halves, values
// that round, and both ends of [0, 1].
var goldenData = []float32{0, 0.25, 0.5, 1, 0.1, 0.3333, 0.999, 1e-5, 0.75, 0.125, 0.6, 0.01}

// The writer's bytes are pinned: testdata/golden.hdf5 was read back with
// h5py 3.7 / HDF5 1.10.8 (testdata/check_h5py.py: dataset "value",
// float16, shape 3x4, values equal to NumPy's astype(np.float16)).
func TestGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteFloat16(&b, "value", 3, 4, goldenData); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("testdata/golden.hdf5", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/golden.hdf5")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatal("bytes differ from testdata/golden.hdf5 (the file h5py was checked on)")
	}
}

func TestWriteFloat16Errors(t *testing.T) {
	var b bytes.Buffer
	for _, c := range []struct {
		name string
		h, w int
		n    int
	}{{"", 1, 1, 1}, {"toolongname", 1, 1, 1}, {"value", 2, 2, 3}, {"value", 0, 2, 0}} {
		if err := WriteFloat16(&b, c.name, c.h, c.w, make([]float32, c.n)); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
