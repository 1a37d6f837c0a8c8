package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/nflowjs/nflowjs/internal/half"
)

// Dtypes of the arrays this package reads and writes.
const (
	Float32 = "<f4"
	Float16 = "<f2"
	Uint8   = "|u1"
)

var magic = []byte("\x93NUMPY")

// maxHeader bounds the header dictionary's length.
const maxHeader = 1 << 16

// Header is a parsed .npy header.
type Header struct {
	Dtype string // "<f4", "|u1", ...
	Shape []int
	// DataOffset is the byte offset of the array data.
	DataOffset int64
}

// Len is the number of elements.
func (h Header) Len() int {
	n := 1
	for _, s := range h.Shape {
		n *= s
	}
	return n
}

// ReadHeader parses the header of r. Elements of other sizes than the
// dtype's, Fortran order and negative or overflowing shapes are errors.
func ReadHeader(r io.Reader) (Header, error) {
	pre := make([]byte, 8)
	if _, err := io.ReadFull(r, pre); err != nil {
		return Header{}, fmt.Errorf("not a .npy file: %w", err)
	}
	if !bytes.Equal(pre[:6], magic) {
		return Header{}, errors.New("not a .npy file: bad magic bytes")
	}
	var hlen, off int64
	switch pre[6] {
	case 1:
		b := make([]byte, 2)
		if _, err := io.ReadFull(r, b); err != nil {
			return Header{}, fmt.Errorf("truncated header: %w", err)
		}
		hlen, off = int64(binary.LittleEndian.Uint16(b)), 10
	case 2, 3:
		b := make([]byte, 4)
		if _, err := io.ReadFull(r, b); err != nil {
			return Header{}, fmt.Errorf("truncated header: %w", err)
		}
		hlen, off = int64(binary.LittleEndian.Uint32(b)), 12
	default:
		return Header{}, fmt.Errorf("unsupported .npy format version %d.%d", pre[6], pre[7])
	}
	if hlen > maxHeader {
		return Header{}, fmt.Errorf("header of %d bytes (at most %d)", hlen, maxHeader)
	}
	text := make([]byte, hlen)
	if _, err := io.ReadFull(r, text); err != nil {
		return Header{}, fmt.Errorf("truncated header: %w", err)
	}
	h, err := parseDict(string(text))
	if err != nil {
		return Header{}, fmt.Errorf("malformed header %q: %w", strings.TrimSpace(string(text)), err)
	}
	h.DataOffset = off + hlen
	return h, nil
}

// parseDict parses the header's Python dict literal:
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
func parseDict(s string) (Header, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return Header{}, errors.New("not a dict")
	}
	s = s[1 : len(s)-1]
	var h Header
	seen := map[string]bool{}
	for {
		s = strings.TrimLeft(s, " ,")
		if s == "" {
			break
		}
		key, rest, err := quoted(s)
		if err != nil {
			return Header{}, err
		}
		rest = strings.TrimLeft(rest, " ")
		if !strings.HasPrefix(rest, ":") {
			return Header{}, fmt.Errorf("no ':' after key %q", key)
		}
		rest = strings.TrimLeft(rest[1:], " ")
		if seen[key] {
			return Header{}, fmt.Errorf("key %q twice", key)
		}
		seen[key] = true
		switch key {
		case "descr":
			if h.Dtype, rest, err = quoted(rest); err != nil {
				return Header{}, fmt.Errorf("descr: %w", err)
			}
		case "fortran_order":
			switch {
			case strings.HasPrefix(rest, "False"):
				rest = rest[5:]
			case strings.HasPrefix(rest, "True"):
				return Header{}, errors.New("Fortran-ordered arrays are not supported")
			default:
				return Header{}, errors.New("fortran_order is not True or False")
			}
		case "shape":
			if h.Shape, rest, err = tuple(rest); err != nil {
				return Header{}, fmt.Errorf("shape: %w", err)
			}
		default:
			return Header{}, fmt.Errorf("unknown key %q", key)
		}
		s = rest
	}
	if !seen["descr"] || !seen["shape"] {
		return Header{}, errors.New("descr or shape missing")
	}
	return h, nil
}

// quoted reads a '…' or "…" string at the start of s.
func quoted(s string) (string, string, error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", "", errors.New("expected a quoted string")
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", "", errors.New("unterminated string")
	}
	return s[1 : 1+end], s[end+2:], nil
}

// tuple reads a tuple of non-negative ints, "()", "(5,)" or "(2, 3)".
func tuple(s string) ([]int, string, error) {
	if !strings.HasPrefix(s, "(") {
		return nil, "", errors.New("expected a tuple")
	}
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return nil, "", errors.New("unterminated tuple")
	}
	shape := []int{}
	n := 1
	for _, f := range strings.Split(s[1:end], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(strings.TrimSuffix(f, "L"))
		if err != nil || v < 0 {
			return nil, "", fmt.Errorf("bad dimension %q", f)
		}
		if v > 0 && n > math.MaxInt32*int(1<<20)/v {
			return nil, "", errors.New("too many elements")
		}
		n *= v
		shape = append(shape, v)
	}
	return shape, s[end+1:], nil
}

// open reads path's header, checks the dtype and that the file holds
// exactly the data the shape needs, and returns the file positioned at
// the data.
func open(path, dtype string, size int64) (*os.File, Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Header{}, err
	}
	fail := func(err error) (*os.File, Header, error) {
		f.Close()
		return nil, Header{}, fmt.Errorf("%s: %w", path, err)
	}
	h, err := ReadHeader(f)
	if err != nil {
		return fail(err)
	}
	if h.Dtype != dtype {
		return fail(fmt.Errorf("dtype %s, want %s", h.Dtype, dtype))
	}
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if got, want := st.Size()-h.DataOffset, int64(h.Len())*size; got != want {
		return fail(fmt.Errorf("%d data bytes for shape %v, want %d", got, h.Shape, want))
	}
	return f, h, nil
}

// ReadFloat32 reads a float32 array and its shape.
func ReadFloat32(path string) ([]int, []float32, error) {
	f, h, err := open(path, Float32, 4)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data := make([]float32, h.Len())
	buf := make([]byte, 1<<16)
	br := bufio.NewReaderSize(f, 1<<16)
	for i := 0; i < len(data); {
		n := min(len(buf)/4, len(data)-i)
		if _, err := io.ReadFull(br, buf[:4*n]); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		for j := range n {
			data[i+j] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*j:]))
		}
		i += n
	}
	return h.Shape, data, nil
}

// ReadFloat16 reads a float16 array (the dtype SMIYC's score maps use)
// and its shape; the values are widened to float32, which is exact.
func ReadFloat16(path string) ([]int, []float32, error) {
	f, h, err := open(path, Float16, 2)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	raw := make([]byte, 2*h.Len())
	if _, err := io.ReadFull(f, raw); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	data := make([]float32, h.Len())
	for i := range data {
		data[i] = float32(half.ToFloat64(binary.LittleEndian.Uint16(raw[2*i:])))
	}
	return h.Shape, data, nil
}

// ReadFloat reads a float32 or a float16 array (widened to float32) and
// its shape: score maps come in both.
func ReadFloat(path string) ([]int, []float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	h, err := ReadHeader(f)
	f.Close()
	if err == nil && h.Dtype == Float16 {
		return ReadFloat16(path)
	}
	return ReadFloat32(path) // reports a bad header or another dtype by name
}

// WriteFloat16 writes data rounded to float16 (nearest, ties to even, as
// NumPy's astype(np.float16)) as an array of the given shape.
func WriteFloat16(w io.Writer, shape []int, data []float32) error {
	if err := checkLen(shape, len(data)); err != nil {
		return err
	}
	buf := make([]byte, 2*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(buf[2*i:], half.FromFloat64(float64(v)))
	}
	if _, err := w.Write(header(Float16, shape)); err != nil {
		return err
	}
	_, err := w.Write(buf)
	return err
}

// ReadUint8 reads a uint8 array and its shape.
func ReadUint8(path string) ([]int, []uint8, error) {
	f, h, err := open(path, Uint8, 1)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data := make([]uint8, h.Len())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return h.Shape, data, nil
}

// header returns a version-1.0 header padded to a multiple of 64 bytes, as
// NumPy writes it.
func header(dtype string, shape []int) []byte {
	dims := make([]string, len(shape))
	for i, s := range shape {
		dims[i] = strconv.Itoa(s)
	}
	tup := "(" + strings.Join(dims, ", ")
	if len(shape) == 1 {
		tup += ","
	}
	tup += ")"
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", dtype, tup)
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	var b bytes.Buffer
	b.Write(magic)
	b.Write([]byte{1, 0})
	binary.Write(&b, binary.LittleEndian, uint16(len(dict)))
	b.WriteString(dict)
	return b.Bytes()
}

// WriteFloat32 writes a float32 array of the given shape to w.
func WriteFloat32(w io.Writer, shape []int, data []float32) error {
	if err := checkLen(shape, len(data)); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.Write(header(Float32, shape))
	var b [4]byte
	for _, v := range data {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		bw.Write(b[:])
	}
	return bw.Flush()
}

// WriteUint8 writes a uint8 array of the given shape to w.
func WriteUint8(w io.Writer, shape []int, data []uint8) error {
	if err := checkLen(shape, len(data)); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.Write(header(Uint8, shape))
	bw.Write(data)
	return bw.Flush()
}

func checkLen(shape []int, n int) error {
	want := 1
	for _, s := range shape {
		if s < 0 {
			return fmt.Errorf("npy: negative dimension in shape %v", shape)
		}
		want *= s
	}
	if want != n {
		return fmt.Errorf("npy: %d values for shape %v", n, shape)
	}
	return nil
}
