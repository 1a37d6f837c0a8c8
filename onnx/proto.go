package onnx

import (
	"encoding/binary"
	"math"
)

// buf appends protocol-buffer wire encoding (proto2, as onnx.proto is:
// repeated scalars unpacked, which every parser accepts).
type buf []byte

func (b *buf) varint(v uint64) { *b = binary.AppendUvarint(*b, v) }

func (b *buf) tag(field, wire int) { b.varint(uint64(field)<<3 | uint64(wire)) }

func (b *buf) int(field int, v int64) {
	b.tag(field, 0)
	b.varint(uint64(v))
}

func (b *buf) float(field int, v float32) {
	b.tag(field, 5)
	*b = binary.LittleEndian.AppendUint32(*b, math.Float32bits(v))
}

func (b *buf) bytes(field int, v []byte) {
	b.tag(field, 2)
	b.varint(uint64(len(v)))
	*b = append(*b, v...)
}

func (b *buf) str(field int, s string) { b.bytes(field, []byte(s)) }

// msg appends a nested message built by fill.
func (b *buf) msg(field int, fill func(m *buf)) {
	var m buf
	fill(&m)
	b.bytes(field, m)
}

// ONNX enum values used here.
const (
	dtFloat = 1
	dtInt64 = 7

	attrFloat  = 1
	attrInt    = 2
	attrString = 3
	attrFloats = 6
	attrInts   = 7
)
