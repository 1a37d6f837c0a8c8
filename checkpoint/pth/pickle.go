package pth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
)

// Values of the pickle machine. Python's None, bool, int, float and str
// map to nil, bool, int64 (or *big.Int), float64 and string.
type (
	tuple  []any
	list   []any
	global struct{ module, name string }
	// dict keeps insertion order, as OrderedDict and Python dicts do.
	dict struct {
		keys []any
		vals []any
	}
	// storageRef is a persistent id resolved by the file reader.
	storageRef struct {
		key    string
		dtype  string // "float32", "float16", "bfloat16", "float64", "int64", ...
		numel  int64
		offset int64 // legacy views: element offset into the root storage
	}
	// tensorRef is a rebuilt tensor: a strided view of a storage.
	tensorRef struct {
		storage storageRef
		offset  int64
		size    []int64
		stride  []int64
	}
	// opaque stands for an allowed value nflowjs has no use for (a NumPy
	// scalar in a checkpoint's metadata).
	opaque struct{ what string }
	markT  struct{}
)

func (d *dict) set(k, v any) {
	for i, kk := range d.keys {
		if kk == k {
			d.vals[i] = v
			return
		}
	}
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
}

var mark = markT{}

// storageTypes maps torch's storage classes to dtypes.
var storageTypes = map[string]string{
	"FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16", "BFloat16Storage": "bfloat16",
	"LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16", "CharStorage": "int8",
	"ByteStorage": "uint8", "BoolStorage": "bool",
}

// allowed says whether a global may appear, and what calling it means.
func allowed(g global) bool {
	switch g.module + "." + g.name {
	case "collections.OrderedDict",
		"torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
		"torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
		"torch._tensor._rebuild_from_type_v2", "torch.Tensor", "torch.nn.parameter.Parameter",
		"numpy.core.multiarray.scalar", "numpy.dtype", "_codecs.encode":
		return true
	}
	_, ok := storageTypes[g.name]
	return ok && g.module == "torch"
}

// ErrUnsafe marks a pickle that refers to a global outside the allow-list.
var ErrUnsafe = errors.New("pth: refusing a global outside the allow-list")

// unpickle runs the pickle at the start of b and returns its value and
// its length in bytes. persistent resolves persistent ids.
func unpickle(b []byte, persistent func(pid any) (any, error)) (any, int, error) {
	v, n, err := run(b, persistent)
	return v, n, err
}

func run(b []byte, persistent func(pid any) (any, error)) (result any, used int, err error) {
	var pos int
	result, err = machine(b, &pos, persistent)
	return result, pos, err
}

func machine(b []byte, at *int, persistent func(pid any) (any, error)) (any, error) {
	var (
		stack []any
		memo  = map[int64]any{}
		pos   int
	)
	defer func() { *at = pos }()
	fail := func(format string, a ...any) error {
		return fmt.Errorf("pth: pickle offset %d: "+format, append([]any{pos}, a...)...)
	}
	need := func(n int) ([]byte, error) {
		if n < 0 || pos+n > len(b) {
			return nil, fail("truncated (need %d bytes)", n)
		}
		s := b[pos : pos+n]
		pos += n
		return s, nil
	}
	pop := func() (any, error) {
		if len(stack) == 0 {
			return nil, fail("stack underflow")
		}
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if v == mark {
			return nil, fail("unexpected mark")
		}
		return v, nil
	}
	popMark := func() ([]any, error) {
		for i := len(stack) - 1; i >= 0; i-- {
			if stack[i] == mark {
				items := append([]any(nil), stack[i+1:]...)
				stack = stack[:i]
				return items, nil
			}
		}
		return nil, fail("no mark on the stack")
	}
	top := func() (any, error) {
		if len(stack) == 0 || stack[len(stack)-1] == mark {
			return nil, fail("stack underflow")
		}
		return stack[len(stack)-1], nil
	}
	readLine := func() (string, error) {
		for i := pos; i < len(b); i++ {
			if b[i] == '\n' {
				s := string(b[pos:i])
				pos = i + 1
				return s, nil
			}
		}
		return "", fail("unterminated line")
	}
	// le reads an n-byte little-endian unsigned integer.
	le := func(n int) (uint64, error) {
		b, err := need(n)
		if err != nil {
			return 0, err
		}
		var u uint64
		for i := n - 1; i >= 0; i-- {
			u = u<<8 | uint64(b[i])
		}
		return u, nil
	}
	// popItems pops the n topmost items (one) or everything above the
	// topmost mark (the multi-item opcodes).
	popItems := func(one bool, n int) ([]any, error) {
		if !one {
			return popMark()
		}
		if len(stack) < n {
			return nil, fail("stack underflow")
		}
		items := append([]any(nil), stack[len(stack)-n:]...)
		for _, v := range items {
			if v == mark {
				return nil, fail("unexpected mark")
			}
		}
		stack = stack[:len(stack)-n]
		return items, nil
	}
	for steps := 0; ; steps++ {
		if pos >= len(b) {
			return nil, fail("no STOP opcode")
		}
		op := b[pos]
		pos++
		switch op {
		case 0x80: // PROTO
			if _, err := need(1); err != nil {
				return nil, err
			}
		case 0x95: // FRAME
			if _, err := need(8); err != nil {
				return nil, err
			}
		case '.': // STOP
			return pop()
		case '(': // MARK
			stack = append(stack, mark)
		case '0': // POP
			if _, err := pop(); err != nil {
				return nil, err
			}
		case '1': // POP_MARK
			if _, err := popMark(); err != nil {
				return nil, err
			}
		case '2': // DUP
			v, err := top()
			if err != nil {
				return nil, err
			}
			stack = append(stack, v)
		case 'N':
			stack = append(stack, nil)
		case 0x88:
			stack = append(stack, true)
		case 0x89:
			stack = append(stack, false)
		case 'J', 'K', 'M': // BININT (signed 32-bit), BININT1, BININT2
			size := map[byte]int{'J': 4, 'K': 1, 'M': 2}[op]
			u, err := le(size)
			if err != nil {
				return nil, err
			}
			if op == 'J' {
				stack = append(stack, int64(int32(u)))
			} else {
				stack = append(stack, int64(u))
			}
		case 0x8a, 0x8b: // LONG1, LONG4
			size := 1
			if op == 0x8b {
				size = 4
			}
			u, err := le(size)
			if err != nil {
				return nil, err
			}
			s, err := need(int(int32(u)))
			if err != nil {
				return nil, err
			}
			stack = append(stack, decodeLong(s))
		case 'G': // BINFLOAT (big-endian)
			s, err := need(8)
			if err != nil {
				return nil, err
			}
			stack = append(stack, math.Float64frombits(binary.BigEndian.Uint64(s)))
		case 'X', 0x8c, 0x8d, 'T', 'U', 'B', 'C', 0x8e: // unicode and byte strings
			size := 4 // BINUNICODE, BINSTRING, BINBYTES
			switch op {
			case 0x8c, 'U', 'C': // SHORT_BINUNICODE, SHORT_BINSTRING, SHORT_BINBYTES
				size = 1
			case 0x8d, 0x8e: // BINUNICODE8, BINBYTES8
				size = 8
			}
			u, err := le(size)
			if err != nil {
				return nil, err
			}
			if u > uint64(len(b)) {
				return nil, fail("string length %d beyond the pickle", u)
			}
			s, err := need(int(u))
			if err != nil {
				return nil, err
			}
			stack = append(stack, string(s))
		case ')':
			stack = append(stack, tuple{})
		case 't':
			items, err := popMark()
			if err != nil {
				return nil, err
			}
			stack = append(stack, tuple(items))
		case 0x85, 0x86, 0x87: // TUPLE1..3
			items, err := popItems(true, int(op-0x84))
			if err != nil {
				return nil, err
			}
			stack = append(stack, tuple(items))
		case ']':
			stack = append(stack, &list{})
		case 'l':
			items, err := popMark()
			if err != nil {
				return nil, err
			}
			l := list(items)
			stack = append(stack, &l)
		case 'a', 'e': // APPEND, APPENDS
			items, err := popItems(op == 'a', 1)
			if err != nil {
				return nil, err
			}
			t, err := top()
			if err != nil {
				return nil, err
			}
			l, ok := t.(*list)
			if !ok {
				return nil, fail("APPEND to a %T", t)
			}
			*l = append(*l, items...)
		case '}':
			stack = append(stack, &dict{})
		case 'd':
			items, err := popMark()
			if err != nil {
				return nil, err
			}
			d, err := pairs(&dict{}, items)
			if err != nil {
				return nil, fail("%v", err)
			}
			stack = append(stack, d)
		case 's', 'u': // SETITEM, SETITEMS
			items, err := popItems(op == 's', 2)
			if err != nil {
				return nil, err
			}
			t, err := top()
			if err != nil {
				return nil, err
			}
			d, ok := t.(*dict)
			if !ok {
				return nil, fail("SETITEM on a %T", t)
			}
			if _, err := pairs(d, items); err != nil {
				return nil, fail("%v", err)
			}
		case 'c', 0x93: // GLOBAL, STACK_GLOBAL
			var g global
			if op == 'c' {
				m, err := readLine()
				if err != nil {
					return nil, err
				}
				n, err := readLine()
				if err != nil {
					return nil, err
				}
				g = global{m, n}
			} else {
				n, err1 := pop()
				m, err2 := pop()
				ms, ok1 := m.(string)
				ns, ok2 := n.(string)
				if err1 != nil || err2 != nil || !ok1 || !ok2 {
					return nil, fail("STACK_GLOBAL needs two strings")
				}
				g = global{ms, ns}
			}
			if !allowed(g) {
				return nil, fmt.Errorf("%w: %s.%s at pickle offset %d (a plain state dict never needs it; the file is a pickled object, not weights, or a malicious one)", ErrUnsafe, g.module, g.name, pos)
			}
			stack = append(stack, g)
		case 'R', 0x81: // REDUCE, NEWOBJ
			args, err := pop()
			if err != nil {
				return nil, err
			}
			f, err := pop()
			if err != nil {
				return nil, err
			}
			a, ok := args.(tuple)
			if !ok {
				return nil, fail("call with %T arguments", args)
			}
			g, ok := f.(global)
			if !ok {
				return nil, fail("call of a %T", f)
			}
			v, err := call(g, a)
			if err != nil {
				return nil, fail("%v", err)
			}
			stack = append(stack, v)
		case 'b': // BUILD: state on an object; only dicts (metadata) and opaque values take it
			state, err := pop()
			if err != nil {
				return nil, err
			}
			t, err := top()
			if err != nil {
				return nil, err
			}
			switch t.(type) {
			case *dict, opaque, *tensorRef:
				_ = state // OrderedDict's _metadata, a NumPy dtype's state, tensor hooks: not needed
			default:
				return nil, fail("BUILD on a %T", t)
			}
		case 'Q': // BINPERSID
			pid, err := pop()
			if err != nil {
				return nil, err
			}
			v, err := persistent(pid)
			if err != nil {
				return nil, err
			}
			stack = append(stack, v)
		case 'q', 'r', 0x94: // BINPUT, LONG_BINPUT, MEMOIZE
			idx := uint64(len(memo))
			if op != 0x94 {
				var err error
				if idx, err = le(map[byte]int{'q': 1, 'r': 4}[op]); err != nil {
					return nil, err
				}
			}
			v, err := top()
			if err != nil {
				return nil, err
			}
			memo[int64(idx)] = v
		case 'h', 'j': // BINGET, LONG_BINGET
			idx, err := le(map[byte]int{'h': 1, 'j': 4}[op])
			if err != nil {
				return nil, err
			}
			v, ok := memo[int64(idx)]
			if !ok {
				return nil, fail("memo %d is empty", idx)
			}
			stack = append(stack, v)
		default:
			return nil, fail("unsupported opcode 0x%02x", op)
		}
	}
}

func pairs(d *dict, items []any) (*dict, error) {
	if len(items)%2 != 0 {
		return nil, errors.New("odd number of dict items")
	}
	for i := 0; i < len(items); i += 2 {
		switch items[i].(type) {
		case string, int64, bool, nil, float64:
		default:
			return nil, fmt.Errorf("dict key of type %T", items[i])
		}
		d.set(items[i], items[i+1])
	}
	return d, nil
}

// decodeLong decodes a little-endian two's-complement integer.
func decodeLong(s []byte) any {
	if len(s) == 0 {
		return int64(0)
	}
	if len(s) <= 8 {
		var u uint64
		for i := len(s) - 1; i >= 0; i-- {
			u = u<<8 | uint64(s[i])
		}
		if s[len(s)-1]&0x80 != 0 && len(s) < 8 {
			u |= ^uint64(0) << (8 * len(s))
		}
		return int64(u)
	}
	be := make([]byte, len(s))
	for i := range s {
		be[len(s)-1-i] = s[i]
	}
	n := new(big.Int).SetBytes(be)
	if s[len(s)-1]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(s))))
	}
	return n
}

// call applies an allowed global to its arguments.
func call(g global, a tuple) (any, error) {
	switch g.module + "." + g.name {
	case "collections.OrderedDict":
		if len(a) != 0 {
			return nil, errors.New("OrderedDict with arguments")
		}
		return &dict{}, nil
	case "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2":
		if len(a) < 4 {
			return nil, fmt.Errorf("%s with %d arguments", g.name, len(a))
		}
		st, ok := a[0].(storageRef)
		off, ok2 := a[1].(int64)
		size, err1 := ints(a[2])
		stride, err2 := ints(a[3])
		if !ok || !ok2 || err1 != nil || err2 != nil || len(size) != len(stride) {
			return nil, fmt.Errorf("%s: malformed arguments", g.name)
		}
		return &tensorRef{storage: st, offset: off, size: size, stride: stride}, nil
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		if len(a) < 1 {
			return nil, errors.New("_rebuild_parameter without data")
		}
		t, ok := a[0].(*tensorRef)
		if !ok {
			return nil, fmt.Errorf("_rebuild_parameter of a %T", a[0])
		}
		return t, nil
	case "torch._tensor._rebuild_from_type_v2":
		// (func, type, args, state): a tensor subclass; rebuild the plain tensor.
		if len(a) < 3 {
			return nil, errors.New("_rebuild_from_type_v2 with too few arguments")
		}
		f, ok1 := a[0].(global)
		args, ok2 := a[2].(tuple)
		if !ok1 || !ok2 || f.module != "torch._utils" {
			return nil, errors.New("_rebuild_from_type_v2: malformed arguments")
		}
		return call(f, args)
	case "numpy.core.multiarray.scalar", "numpy.dtype", "_codecs.encode":
		return opaque{g.module + "." + g.name}, nil
	}
	return nil, fmt.Errorf("%s.%s cannot be called", g.module, g.name)
}

func ints(v any) ([]int64, error) {
	t, ok := v.(tuple)
	if !ok {
		return nil, fmt.Errorf("%T is not a tuple", v)
	}
	out := make([]int64, len(t))
	for i, x := range t {
		n, ok := x.(int64)
		if !ok || n < 0 {
			return nil, fmt.Errorf("tuple item %v is not a non-negative int", x)
		}
		out[i] = n
	}
	return out, nil
}
