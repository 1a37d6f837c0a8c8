package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"sort"
	"strings"

	"github.com/nlpodyssey/safetensors"

	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/tensor"
)

// maxHeaderLen caps the JSON header (the reference implementation's limit)
// so a corrupted length cannot make us allocate gigabytes.
const maxHeaderLen = 100_000_000

// metadataKey is the reserved header entry holding string metadata.
const metadataKey = "__metadata__"

// f32View adapts a tensor to safetensors.View without copying the header;
// the data is encoded little-endian once, when the writer asks for it.
type f32View struct{ t *tensor.Tensor }

func (v f32View) DType() safetensors.DType { return safetensors.F32 }
func (v f32View) Shape() []uint64 {
	s := make([]uint64, len(v.t.Shape))
	for i, d := range v.t.Shape {
		s[i] = uint64(d)
	}
	return s
}
func (v f32View) DataLen() uint64 { return 4 * uint64(len(v.t.Data)) }
func (v f32View) Data() []byte {
	b := make([]byte, 4*len(v.t.Data))
	for i, x := range v.t.Data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// Save writes tensors (as F32) and string metadata to path atomically
// (package internal/atomicfile: temporary file in the same directory, fsync,
// rename, fsync of the directory). meta may be nil.
func Save(path string, tensors map[string]*tensor.Tensor, meta map[string]string) error {
	views := make(map[string]f32View, len(tensors))
	for name, t := range tensors {
		switch {
		case name == metadataKey || name == "":
			return fmt.Errorf("checkpoint: cannot save a tensor named %q", name)
		case t == nil:
			return fmt.Errorf("checkpoint: tensor %q is nil", name)
		}
		n := 1
		for _, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("checkpoint: tensor %q has negative dimension in shape %v", name, t.Shape)
			}
			n *= d
		}
		if n != len(t.Data) {
			return fmt.Errorf("checkpoint: tensor %q has %d values for shape %v", name, len(t.Data), t.Shape)
		}
		views[name] = f32View{t}
	}
	if len(meta) == 0 {
		meta = nil // the library then omits __metadata__, as Python does
	}

	err := atomicfile.Write(path, func(w io.Writer) error {
		return safetensors.SerializeToWriter(views, meta, w)
	})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// Load reads every tensor of a safetensors file as float32, with the
// file's string metadata (empty, never nil, if it has none).
func Load(path string) (map[string]*tensor.Tensor, map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	return Decode(path, b)
}

// Decode parses an in-memory safetensors file; name is used in errors.
func Decode(name string, b []byte) (map[string]*tensor.Tensor, map[string]string, error) {
	bad := func(format string, args ...any) error {
		return &FormatError{Path: name, Reason: fmt.Sprintf(format, args...)}
	}
	// Check the framing ourselves first so the common corruptions get
	// precise messages (the library's are terse).
	if len(b) < 8 {
		return nil, nil, bad("file is %d bytes, shorter than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeaderLen {
		return nil, nil, bad("header length %d exceeds the limit of %d bytes", n, maxHeaderLen)
	}
	if n > uint64(len(b)-8) {
		return nil, nil, bad("truncated: header length is %d bytes but only %d follow", n, len(b)-8)
	}
	hlen, md, err := safetensors.ReadMetadata(b)
	if err != nil {
		return nil, nil, bad("%s", describeLibError(err, b[8:8+n], uint64(len(b))-8-n))
	}
	data := b[8+hlen:]
	meta := map[string]string{}
	for k, v := range md.Metadata() {
		meta[k] = v
	}
	infos := md.Tensors()
	names := make([]string, 0, len(infos))
	for k := range infos {
		names = append(names, k)
	}
	sort.Strings(names) // the first error reported does not depend on map order
	out := make(map[string]*tensor.Tensor, len(infos))
	for _, tname := range names {
		info := infos[tname]
		// ReadMetadata checked that the offsets tile data exactly.
		t, err := convert(name, tname, info.DType, info.Shape, data[info.DataOffsets[0]:info.DataOffsets[1]])
		if err != nil {
			return nil, nil, err
		}
		out[tname] = t
	}
	return out, meta, nil
}

// describeLibError rewords the library's validation errors and, where the
// library does not say which tensor is at fault, finds it.
func describeLibError(err error, header []byte, dataLen uint64) string {
	msg := err.Error()
	switch {
	case msg == "metadata incomplete buffer":
		return fmt.Sprintf("data section is %d bytes, which does not match the tensors' data_offsets (truncated file or trailing bytes)", dataLen)
	case strings.HasPrefix(msg, "invalid header deserialization: "):
		return "bad JSON header: " + strings.TrimPrefix(msg, "invalid header deserialization: ")
	case strings.HasPrefix(msg, "invalid metadata offset for tensor "):
		return "tensor " + strings.TrimPrefix(msg, "invalid metadata offset for tensor ") +
			": data_offsets leave a gap or overlap another tensor"
	case strings.HasPrefix(msg, "metadata validation error: "):
		if name, detail := offendingTensor(header, dataLen); name != "" {
			return fmt.Sprintf("tensor %q: %s", name, detail)
		}
		return strings.TrimPrefix(msg, "metadata validation error: ")
	}
	return msg
}

// offendingTensor re-reads a header the library rejected for a size
// mismatch and names the first tensor (in offset order) whose data_offsets
// disagree with its shape and dtype or run past the data section.
func offendingTensor(header []byte, dataLen uint64) (name, detail string) {
	var raw map[string]json.RawMessage
	if json.Unmarshal(header, &raw) != nil {
		return "", ""
	}
	type entry struct {
		name  string
		DType string    `json:"dtype"`
		Shape []uint64  `json:"shape"`
		Offs  [2]uint64 `json:"data_offsets"`
	}
	var es []entry
	for k, v := range raw {
		var e entry
		if k == metadataKey || json.Unmarshal(v, &e) != nil {
			continue
		}
		e.name = k
		es = append(es, e)
	}
	sort.Slice(es, func(i, j int) bool {
		return es[i].Offs[0] < es[j].Offs[0] || es[i].Offs[0] == es[j].Offs[0] && es[i].name < es[j].name
	})
	for _, e := range es {
		dt, err := safetensors.ParseDType(e.DType)
		if err != nil {
			continue
		}
		n, overflow := dt.Size(), false
		for _, d := range e.Shape {
			hi, lo := bits.Mul64(n, d)
			overflow = overflow || hi != 0
			n = lo
		}
		switch {
		case overflow:
			return e.name, fmt.Sprintf("shape %v is too large", e.Shape)
		case e.Offs[1] < e.Offs[0] || e.Offs[1]-e.Offs[0] != n:
			return e.name, fmt.Sprintf("data_offsets %v span %d bytes but shape %v of %s needs %d", e.Offs, e.Offs[1]-e.Offs[0], e.Shape, e.DType, n)
		case e.Offs[1] > dataLen:
			return e.name, fmt.Sprintf("data_offsets %v run past the %d-byte data section", e.Offs, dataLen)
		}
	}
	return "", ""
}

// convert decodes one tensor view to float32.
func convert(path, name string, dtype safetensors.DType, dims []uint64, data []byte) (*tensor.Tensor, error) {
	shape := make([]int, len(dims))
	count := uint64(1)
	for i, d := range dims {
		// The library checked size·count against the data length, which is
		// bounded by the file size, so these cannot overflow an int unless
		// an axis is 0 and another huge; reject that explicitly.
		if d > math.MaxInt32 {
			return nil, &FormatError{Path: path, Reason: fmt.Sprintf("tensor %q has dimension %d in shape %v, larger than supported", name, d, dims)}
		}
		shape[i] = int(d)
		count *= d
	}
	if count > math.MaxInt32 {
		return nil, &FormatError{Path: path, Reason: fmt.Sprintf("tensor %q has %d elements, more than supported", name, count)}
	}
	out := make([]float32, count)
	switch dtype {
	case safetensors.F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case safetensors.F64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:])))
		}
	case safetensors.F16:
		for i := range out {
			out[i] = halfToFloat32(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case safetensors.I64:
		// Integers (e.g. torch's num_batches_tracked) round to the nearest
		// float32; exact up to 2²⁴.
		for i := range out {
			out[i] = float32(int64(binary.LittleEndian.Uint64(data[8*i:])))
		}
	case safetensors.I32:
		for i := range out {
			out[i] = float32(int32(binary.LittleEndian.Uint32(data[4*i:])))
		}
	case safetensors.BF16:
		for i := range out {
			// bfloat16 is the top half of a float32.
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(data[2*i:])) << 16)
		}
	default:
		return nil, &UnsupportedError{Path: path, Tensor: name, DType: dtype.String()}
	}
	return tensor.FromData(out, shape...), nil
}

// halfToFloat32 converts IEEE 754 binary16 bits to float32 exactly
// (subnormals, infinities and NaN payloads included).
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN: keep the payload in the top fraction bits
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp != 0: // normal: rebias 15 -> 127
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	case frac == 0:
		return math.Float32frombits(sign) // ±0
	}
	// Subnormal half: value frac·2⁻²⁴, a normal float32.
	e := uint32(113) // exponent of 2⁻¹⁴ in float32 bias
	for frac&0x400 == 0 {
		frac <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (frac&0x3ff)<<13)
}

// LoadInto loads path into the given tensors (e.g. a model's state dict),
// in place. The file must hold exactly these names with exactly these
// shapes; otherwise nothing is modified and the error (a *MismatchError)
// names the first offending tensor in sorted order. It returns the file's
// metadata.
func LoadInto(path string, want map[string]*tensor.Tensor) (map[string]string, error) {
	got, meta, err := Load(path)
	if err != nil {
		return nil, err
	}
	if err := Match(path, got, want); err != nil {
		return nil, err
	}
	for name, dst := range want {
		copy(dst.Data, got[name].Data)
	}
	return meta, nil
}

// Match checks that got has exactly the names and shapes of want and
// returns a *MismatchError naming the first difference (sorted by name:
// missing, then unexpected, then shape). path is used in the message.
func Match(path string, got, want map[string]*tensor.Tensor) error {
	names := func(m map[string]*tensor.Tensor) []string {
		s := make([]string, 0, len(m))
		for k := range m {
			s = append(s, k)
		}
		sort.Strings(s)
		return s
	}
	for _, k := range names(want) {
		if _, ok := got[k]; !ok {
			return &MismatchError{Path: path, Tensor: k, Reason: fmt.Sprintf("is missing from the file (it has %d tensors)", len(got))}
		}
	}
	for _, k := range names(got) {
		if _, ok := want[k]; !ok {
			return &MismatchError{Path: path, Tensor: k, Reason: "is in the file but not in the model"}
		}
	}
	for _, k := range names(want) {
		if w, g := want[k], got[k]; w == nil || !tensor.ShapeEqual(w.Shape, g.Shape) || len(w.Data) != len(g.Data) {
			ws := []int(nil)
			if w != nil {
				ws = w.Shape
			}
			return &MismatchError{Path: path, Tensor: k, Reason: fmt.Sprintf("has shape %v in the file but %v in the model", g.Shape, ws)}
		}
	}
	return nil
}
