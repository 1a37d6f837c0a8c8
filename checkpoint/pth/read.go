package pth

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"sort"
	"strings"

	"github.com/nflowjs/nflowjs/internal/half"
	"github.com/nflowjs/nflowjs/tensor"
)

// StateDict is the weights read from a checkpoint.
type StateDict struct {
	// Tensors are the floating-point tensors, as float32, by name (with
	// DataParallel's "module." prefix removed).
	Tensors map[string]*tensor.Tensor
	// Names lists the tensors in file order.
	Names []string
	// Skipped maps the names of non-floating-point tensors (BatchNorm's
	// num_batches_tracked, ...) to their dtype; they are not in Tensors.
	Skipped map[string]string
	// Found says where the dict was: "" for a bare state dict, or the key
	// of the training checkpoint that held it ("state_dict", "model", ...).
	Found string
}

// maxFile bounds what Read loads into memory (torchvision's largest
// segmentation checkpoint is ~250 MB; DeepWV3Plus ~550 MB).
const maxFile = 4 << 30

// Read reads a PyTorch checkpoint file.
func Read(path string) (*StateDict, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxFile {
		return nil, fmt.Errorf("pth: %s: %d bytes, more than the %d this reader loads", path, st.Size(), int64(maxFile))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sd, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sd, nil
}

// Decode reads a checkpoint held in memory.
func Decode(b []byte) (*StateDict, error) {
	var (
		obj      any
		storages map[string][]byte
		err      error
	)
	if bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		obj, storages, err = readZip(b)
	} else {
		obj, storages, err = readLegacy(b)
	}
	if err != nil {
		return nil, err
	}
	return stateDict(obj, storages)
}

// persistentStorage resolves torch's persistent ids:
// ('storage', StorageType, key, location, numel[, view metadata]).
func persistentStorage(pid any) (any, error) {
	t, ok := pid.(tuple)
	if !ok || len(t) < 5 || t[0] != "storage" {
		return nil, fmt.Errorf("pth: persistent id %v is not a storage", pid)
	}
	g, ok1 := t[1].(global)
	key, ok2 := t[2].(string)
	numel, ok3 := t[4].(int64)
	dtype := storageTypes[g.name]
	if !ok1 || !ok2 || !ok3 || dtype == "" || numel < 0 {
		return nil, fmt.Errorf("pth: malformed storage id %v", pid)
	}
	ref := storageRef{key: key, dtype: dtype, numel: numel}
	if len(t) > 5 && t[5] != nil { // legacy view: (view key, offset, size)
		v, ok := t[5].(tuple)
		if !ok || len(v) != 3 {
			return nil, fmt.Errorf("pth: malformed storage view %v", t[5])
		}
		off, ok1 := v[1].(int64)
		size, ok2 := v[2].(int64)
		if !ok1 || !ok2 || off < 0 || size < 0 || off+size > numel {
			return nil, fmt.Errorf("pth: malformed storage view %v", t[5])
		}
		ref.offset, ref.numel = off, size
	}
	return ref, nil
}

func readZip(b []byte) (any, map[string][]byte, error) {
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, nil, fmt.Errorf("pth: not a readable zip archive: %w", err)
	}
	var pkl *zip.File
	files := map[string]*zip.File{}
	for _, f := range z.File {
		files[f.Name] = f
		if strings.HasSuffix(f.Name, "/data.pkl") || f.Name == "data.pkl" {
			pkl = f
		}
	}
	if pkl == nil {
		return nil, nil, errors.New("pth: zip archive without data.pkl: not a torch.save file")
	}
	prefix := strings.TrimSuffix(pkl.Name, "data.pkl")
	read := func(f *zip.File) ([]byte, error) {
		if f.UncompressedSize64 > maxFile {
			return nil, fmt.Errorf("pth: %s claims %d bytes", f.Name, f.UncompressedSize64)
		}
		r, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(io.LimitReader(r, int64(f.UncompressedSize64)+1))
	}
	raw, err := read(pkl)
	if err != nil {
		return nil, nil, fmt.Errorf("pth: %s: %w", pkl.Name, err)
	}
	storages := map[string][]byte{}
	obj, _, err := unpickle(raw, func(pid any) (any, error) {
		v, err := persistentStorage(pid)
		if err != nil {
			return nil, err
		}
		ref := v.(storageRef)
		if _, ok := storages[ref.key]; !ok {
			f := files[prefix+"data/"+ref.key]
			if f == nil {
				return nil, fmt.Errorf("pth: storage %q is missing from the archive", ref.key)
			}
			data, err := read(f)
			if err != nil {
				return nil, fmt.Errorf("pth: storage %q: %w", ref.key, err)
			}
			storages[ref.key] = data
		}
		return ref, nil
	})
	return obj, storages, err
}

// readLegacy reads torch.save's pre-1.6 format: pickled magic number,
// protocol version and system info, the pickled object, the pickled list
// of storage keys, then each storage as an 8-byte element count and its
// bytes.
func readLegacy(b []byte) (any, map[string][]byte, error) {
	rest := b
	next := func(persistent func(any) (any, error)) (any, error) {
		v, n, err := unpickle(rest, persistent)
		if err != nil {
			return nil, err
		}
		rest = rest[n:]
		return v, nil
	}
	noPID := func(any) (any, error) { return nil, errors.New("pth: unexpected persistent id") }
	magic, err := next(noPID)
	if err != nil {
		return nil, nil, err
	}
	if m, ok := magic.(*big.Int); !ok || m.Cmp(legacyMagic) != 0 {
		return nil, nil, errors.New("pth: not a torch.save file (neither a zip archive nor the legacy magic number)")
	}
	if _, err := next(noPID); err != nil { // protocol version
		return nil, nil, err
	}
	if _, err := next(noPID); err != nil { // sys info
		return nil, nil, err
	}
	refs := map[string]storageRef{}
	obj, err := next(func(pid any) (any, error) {
		v, err := persistentStorage(pid)
		if err == nil {
			r := v.(storageRef)
			// Keep the root storage's full size for the reader below.
			if full, ok := pid.(tuple)[4].(int64); ok {
				if old, seen := refs[r.key]; !seen || old.numel < full {
					refs[r.key] = storageRef{key: r.key, dtype: r.dtype, numel: full}
				}
			}
		}
		return v, err
	})
	if err != nil {
		return nil, nil, err
	}
	keysV, err := next(noPID)
	if err != nil {
		return nil, nil, err
	}
	keys, ok := keysV.(*list)
	if !ok {
		return nil, nil, errors.New("pth: legacy file without its storage key list")
	}
	storages := map[string][]byte{}
	for _, kv := range *keys {
		k, ok := kv.(string)
		if !ok {
			return nil, nil, fmt.Errorf("pth: storage key %v", kv)
		}
		if len(rest) < 8 {
			return nil, nil, fmt.Errorf("pth: storage %q truncated", k)
		}
		n := binary.LittleEndian.Uint64(rest)
		rest = rest[8:]
		ref, ok := refs[k]
		if !ok {
			return nil, nil, fmt.Errorf("pth: storage %q is not referenced", k)
		}
		size := dtypeSize(ref.dtype)
		if n > uint64(len(rest))/uint64(size) {
			return nil, nil, fmt.Errorf("pth: storage %q truncated", k)
		}
		storages[k] = rest[:int(n)*size]
		rest = rest[int(n)*size:]
	}
	return obj, storages, nil
}

func dtypeSize(d string) int {
	switch d {
	case "float64", "int64":
		return 8
	case "float32", "int32":
		return 4
	case "float16", "bfloat16", "int16":
		return 2
	}
	return 1
}

// stateDict finds the dict of tensors in obj and converts it.
func stateDict(obj any, storages map[string][]byte) (*StateDict, error) {
	d, ok := obj.(*dict)
	if !ok {
		return nil, fmt.Errorf("pth: the file holds a %s, not a state dict", describe(obj))
	}
	found := ""
	if !hasTensors(d) {
		for _, k := range []string{"state_dict", "model_state_dict", "model_state", "model", "net", "network"} {
			if v, ok := lookup(d, k); ok {
				if sub, ok := v.(*dict); ok && hasTensors(sub) {
					d, found = sub, k
					break
				}
			}
		}
		if found == "" {
			return nil, fmt.Errorf("pth: no state dict: the file's top-level keys are %v and none holds tensors", keyList(d))
		}
	}
	sd := &StateDict{Tensors: map[string]*tensor.Tensor{}, Skipped: map[string]string{}, Found: found}
	prefixed := true
	for _, k := range d.keys {
		if s, ok := k.(string); !ok || !strings.HasPrefix(s, "module.") {
			prefixed = false
		}
	}
	for i, k := range d.keys {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("pth: state dict key %v is not a string", k)
		}
		t, ok := d.vals[i].(*tensorRef)
		if !ok {
			continue // metadata beside the weights (rare in a state dict)
		}
		if prefixed {
			name = strings.TrimPrefix(name, "module.")
		}
		if !isFloat(t.storage.dtype) {
			sd.Skipped[name] = t.storage.dtype
			continue
		}
		x, err := materialise(t, storages)
		if err != nil {
			return nil, fmt.Errorf("pth: tensor %q: %w", name, err)
		}
		sd.Tensors[name] = x
		sd.Names = append(sd.Names, name)
	}
	if len(sd.Tensors) == 0 {
		return nil, errors.New("pth: the state dict holds no floating-point tensor")
	}
	return sd, nil
}

func isFloat(d string) bool {
	return d == "float32" || d == "float16" || d == "bfloat16" || d == "float64"
}

func hasTensors(d *dict) bool {
	for _, v := range d.vals {
		if _, ok := v.(*tensorRef); ok {
			return true
		}
	}
	return false
}

func lookup(d *dict, k string) (any, bool) {
	for i, kk := range d.keys {
		if kk == k {
			return d.vals[i], true
		}
	}
	return nil, false
}

func keyList(d *dict) []string {
	var s []string
	for _, k := range d.keys {
		s = append(s, fmt.Sprint(k))
	}
	sort.Strings(s)
	return s
}

func describe(v any) string {
	switch v.(type) {
	case *tensorRef:
		return "single tensor"
	case *list:
		return "list"
	case tuple:
		return "tuple"
	}
	return fmt.Sprintf("%T", v)
}

// materialise gathers a strided view into a contiguous float32 tensor.
func materialise(t *tensorRef, storages map[string][]byte) (*tensor.Tensor, error) {
	data, ok := storages[t.storage.key]
	if !ok {
		return nil, fmt.Errorf("storage %q not found", t.storage.key)
	}
	size := dtypeSize(t.storage.dtype)
	base := t.storage.offset + t.offset
	n := int64(1)
	maxIdx := base
	for i, s := range t.size {
		if s > math.MaxInt32 || (n > 0 && s > math.MaxInt32/max(n, 1)) {
			return nil, fmt.Errorf("shape %v is too large", t.size)
		}
		n *= s
		if s > 0 {
			maxIdx += (s - 1) * t.stride[i]
		}
	}
	if n > int64(len(data)/size) {
		// Only a broadcast view (stride 0) has more elements than its
		// storage; state dicts hold none, and allocating it could be huge.
		return nil, fmt.Errorf("%d elements in a storage of %d", n, len(data)/size)
	}
	if n > 0 && (base < 0 || (maxIdx+1)*int64(size) > int64(len(data))) {
		return nil, fmt.Errorf("view (offset %d, size %v, stride %v) runs past its %d-byte storage", t.offset, t.size, t.stride, len(data))
	}
	shape := make([]int, len(t.size))
	for i, s := range t.size {
		shape[i] = int(s)
	}
	out := make([]float32, n)
	idx := make([]int64, len(t.size))
	for i := range out {
		off := base
		for d := range idx {
			off += idx[d] * t.stride[d]
		}
		out[i] = element(data, off, t.storage.dtype)
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < t.size[d] {
				break
			}
			idx[d] = 0
		}
	}
	if len(shape) == 0 {
		return tensor.FromData(out), nil
	}
	return tensor.FromData(out, shape...), nil
}

func element(b []byte, i int64, dtype string) float32 {
	switch dtype {
	case "float32":
		return math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	case "float64":
		return float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
	case "float16":
		return float32(half.ToFloat64(binary.LittleEndian.Uint16(b[2*i:])))
	case "bfloat16":
		return math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
	}
	return 0
}

// legacyMagic is torch.serialization's MAGIC_NUMBER, 0x1950a86a20f9469cfc6c.
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)
