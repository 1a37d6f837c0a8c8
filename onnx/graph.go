package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
)

// attr is a node attribute.
type attr struct {
	name string
	val  any // float32, int64, string, []float32, []int64
}

type node struct {
	op      string
	inputs  []string
	outputs []string
	attrs   []attr
}

// initializer is a constant tensor of the graph.
type initializer struct {
	name   string
	dims   []int64
	floats []float32 // FLOAT
	ints   []int64   // INT64
}

// valueInfo is a graph input or output: name, element type FLOAT, shape
// (a negative dimension is symbolic, named by dimNames).
type valueInfo struct {
	name string
	dims []int64
	sym  map[int]string
}

// Graph accumulates an ONNX graph.
type Graph struct {
	nodes   []node
	inits   []initializer
	inputs  []valueInfo
	outputs []valueInfo
	meta    [][2]string
	names   map[string]int
}

func newGraph() *Graph { return &Graph{names: map[string]int{}} }

// fresh returns a unique tensor name with the given stem.
func (g *Graph) fresh(stem string) string {
	n := g.names[stem]
	g.names[stem] = n + 1
	if n == 0 {
		return stem
	}
	return fmt.Sprintf("%s_%d", stem, n)
}

func (g *Graph) add(op string, inputs []string, attrs ...attr) string {
	out := g.fresh(op)
	g.nodes = append(g.nodes, node{op: op, inputs: inputs, outputs: []string{out}, attrs: attrs})
	return out
}

// output names a graph output: an Identity node from tensor from.
func (g *Graph) output(name, from string) {
	g.names[name]++
	g.nodes = append(g.nodes, node{op: "Identity", inputs: []string{from}, outputs: []string{name}})
}

func (g *Graph) constFloats(stem string, dims []int64, v []float32) string {
	name := g.fresh(stem)
	g.inits = append(g.inits, initializer{name: name, dims: dims, floats: v})
	return name
}

func (g *Graph) constInts(stem string, v ...int64) string {
	name := g.fresh(stem)
	g.inits = append(g.inits, initializer{name: name, dims: []int64{int64(len(v))}, ints: v})
	return name
}

func (g *Graph) scalar(v float32) string { return g.constFloats("c", []int64{}, []float32{v}) }

// Marshal encodes the model (IR version 8, default-domain opset 17).
func (g *Graph) Marshal(producer, graphName string) []byte {
	var m buf
	m.int(1, 8) // ir_version
	m.str(2, producer)
	m.msg(7, func(gb *buf) {
		for _, n := range g.nodes {
			gb.msg(1, func(nb *buf) {
				for _, in := range n.inputs {
					nb.str(1, in)
				}
				for _, out := range n.outputs {
					nb.str(2, out)
				}
				nb.str(3, n.outputs[0])
				nb.str(4, n.op)
				for _, a := range n.attrs {
					nb.msg(5, func(ab *buf) { encodeAttr(ab, a) })
				}
			})
		}
		gb.str(2, graphName)
		for _, t := range g.inits {
			gb.msg(5, func(tb *buf) { encodeTensor(tb, t) })
		}
		for _, v := range g.inputs {
			gb.msg(11, func(vb *buf) { encodeValueInfo(vb, v) })
		}
		for _, v := range g.outputs {
			gb.msg(12, func(vb *buf) { encodeValueInfo(vb, v) })
		}
	})
	m.msg(8, func(ob *buf) { ob.str(1, ""); ob.int(2, 17) })
	for _, kv := range g.meta {
		m.msg(14, func(e *buf) { e.str(1, kv[0]); e.str(2, kv[1]) })
	}
	return m
}

func encodeAttr(b *buf, a attr) {
	b.str(1, a.name)
	switch v := a.val.(type) {
	case float32:
		b.int(20, attrFloat)
		b.float(2, v)
	case int64:
		b.int(20, attrInt)
		b.int(3, v)
	case string:
		b.int(20, attrString)
		b.str(4, v)
	case []float32:
		b.int(20, attrFloats)
		for _, f := range v {
			b.float(7, f)
		}
	case []int64:
		b.int(20, attrInts)
		for _, i := range v {
			b.int(8, i)
		}
	default:
		panic(fmt.Sprintf("onnx: attribute %s of type %T", a.name, a.val))
	}
}

func encodeTensor(b *buf, t initializer) {
	for _, d := range t.dims {
		b.int(1, d)
	}
	b.str(8, t.name)
	if t.ints != nil {
		b.int(2, dtInt64)
		raw := make([]byte, 0, 8*len(t.ints))
		for _, v := range t.ints {
			raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
		}
		b.bytes(9, raw)
		return
	}
	b.int(2, dtFloat)
	raw := make([]byte, 0, 4*len(t.floats))
	for _, v := range t.floats {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	b.bytes(9, raw)
}

func encodeValueInfo(b *buf, v valueInfo) {
	b.str(1, v.name)
	b.msg(2, func(tb *buf) {
		tb.msg(1, func(tt *buf) {
			tt.int(1, dtFloat)
			tt.msg(2, func(sb *buf) {
				for i, d := range v.dims {
					sb.msg(1, func(db *buf) {
						if s, ok := v.sym[i]; ok {
							db.str(2, s)
						} else {
							db.int(1, d)
						}
					})
				}
			})
		})
	})
}
