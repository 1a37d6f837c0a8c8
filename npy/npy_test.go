package npy

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Files written by NumPy (testdata, np.save; see gen_testdata.py) read back
// as NumPy wrote them.
func TestReadNumPyFiles(t *testing.T) {
	shape, f, err := ReadFloat32("testdata/f32_2x3.npy")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(shape, []int{2, 3}) || !slices.Equal(f, []float32{-0.5, -0.25, 0, 0.25, 0.5, 0.75}) {
		t.Errorf("f32: %v %v", shape, f)
	}
	shape, u, err := ReadUint8("testdata/u8_4.npy")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(shape, []int{4}) || !slices.Equal(u, []uint8{0, 1, 255, 7}) {
		t.Errorf("u8: %v %v", shape, u)
	}
	shape, f, err = ReadFloat32("testdata/f32_scalar.npy")
	if err != nil || len(shape) != 0 || !slices.Equal(f, []float32{3.5}) {
		t.Errorf("scalar: %v %v %v", shape, f, err)
	}
	// What we write is byte for byte what NumPy writes.
	for _, tc := range []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"f32_2x3.npy", func(b *bytes.Buffer) error {
			return WriteFloat32(b, []int{2, 3}, []float32{-0.5, -0.25, 0, 0.25, 0.5, 0.75})
		}},
		{"u8_4.npy", func(b *bytes.Buffer) error { return WriteUint8(b, []int{4}, []uint8{0, 1, 255, 7}) }},
		{"f32_scalar.npy", func(b *bytes.Buffer) error { return WriteFloat32(b, nil, []float32{3.5}) }},
	} {
		var b bytes.Buffer
		if err := tc.write(&b); err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(filepath.Join("testdata", tc.file))
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s: written\n%q\nNumPy\n%q", tc.file, b.Bytes(), want)
		}
	}
}

func TestReadErrors(t *testing.T) {
	good, _ := os.ReadFile("testdata/f32_2x3.npy")
	dir := t.TempDir()
	cases := map[string][]byte{
		"magic":     append([]byte("\x93NUMPX"), good[6:]...),
		"truncated": good[:len(good)-3],
		"extra":     append(slices.Clone(good), 0),
		"header":    good[:20],
		"version":   append(append(slices.Clone(good[:6]), 9, 0), good[8:]...),
		"fortran":   bytes.Replace(good, []byte("False"), []byte("True "), 1),
		"dtype":     bytes.Replace(good, []byte("<f4"), []byte("<f8"), 1),
		"shape":     bytes.Replace(good, []byte("(2, 3)"), []byte("(2, -3)"), 1),
		"empty":     nil,
	}
	for name, b := range cases {
		p := filepath.Join(dir, name+".npy")
		os.WriteFile(p, b, 0o644)
		_, _, err := ReadFloat32(p)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error does not name the file: %v", name, err)
		}
	}
	if _, _, err := ReadUint8("testdata/f32_2x3.npy"); err == nil || !strings.Contains(err.Error(), "dtype <f4, want |u1") {
		t.Errorf("dtype mismatch: %v", err)
	}
	if err := WriteFloat32(&bytes.Buffer{}, []int{2, 2}, make([]float32, 3)); err == nil {
		t.Error("shape/data mismatch written")
	}
}

func FuzzRead(f *testing.F) {
	for _, n := range []string{"f32_2x3.npy", "u8_4.npy", "f32_scalar.npy"} {
		b, _ := os.ReadFile(filepath.Join("testdata", n))
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "x.npy")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Skip()
		}
		if shape, data, err := ReadFloat32(p); err == nil {
			var w bytes.Buffer
			if err := WriteFloat32(&w, shape, data); err != nil {
				t.Fatalf("read %v but cannot write it back: %v", shape, err)
			}
		}
		_, _, _ = ReadUint8(p)
	})
}

// A float16 array NumPy wrote (an SMIYC score map) reads, and writing it
// back gives NumPy's bytes.
func TestFloat16RoundTripsNumPyFile(t *testing.T) {
	const path = "testdata/f16_smiyc.npy"
	shape, data, err := ReadFloat16(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(shape, []int{31, 43}) {
		t.Fatalf("shape %v", shape)
	}
	var b bytes.Buffer
	if err := WriteFloat16(&b, shape, data); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(path)
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatal("written bytes differ from NumPy's file")
	}
	if _, _, err := ReadFloat32(path); err == nil {
		t.Fatal("float16 file read as float32")
	}
	if _, d, err := ReadFloat(path); err != nil || !slices.Equal(d, data) {
		t.Fatalf("ReadFloat: %v", err)
	}
}
