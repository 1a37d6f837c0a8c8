// Package h5 writes the one kind of HDF5 file nflowjs needs: a file whose
// root group holds a single contiguous 2-D float16 dataset. That is how the
// SegmentMeIfYouCan evaluation (road-anomaly-benchmark) reads a method's
// per-frame anomaly scores (anomaly_p/METHOD/DATASET/FRAME.hdf5, dataset
// "value", float16), so `nflowjs eval --export-smiyc` can hand them over
// without cgo or the HDF5 library.
//
// The layout is HDF5's oldest, which every reader since 1.6 understands:
// superblock version 0, a root group with a symbol table (a version-1
// B-tree over one symbol-table node, names in a local heap), version-1
// object headers, and the dataset's dataspace, datatype (IEEE binary16,
// little-endian), fill-value (0) and contiguous-layout messages. No checksums
// are needed at these versions. The bytes were checked with h5py 3.7 /
// HDF5 1.10.8 (testdata/check_h5py.py); the test pins them.
package h5

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/nflowjs/nflowjs/internal/half"
)

const (
	undef = math.MaxUint64 // HDF5's undefined address

	groupLeafK     = 4  // symbol-table node capacity 2K
	groupInternalK = 16 // B-tree node capacity 2K

	superblockSize = 96
	rootOHSize     = 16 + 8 + 16
	btreeSize      = 24 + (2*groupInternalK+1)*8 + 2*groupInternalK*8
	heapHeaderSize = 32
	heapDataSize   = 16 // "" at 0, name at 8 (names up to 7 bytes)
	snodSize       = 8 + 2*groupLeafK*40
	dataOHSize     = 16 + (8 + 24) + (8 + 24) + (8 + 16) + (8 + 24)
)

// WriteFloat16 writes an HDF5 file holding the h×w array data (row-major,
// rounded to float16 as NumPy's astype(np.float16) does) as the dataset
// name (at most 7 bytes) in the root group.
func WriteFloat16(w io.Writer, name string, h, wd int, data []float32) error {
	if len(name) == 0 || len(name) > 7 {
		return fmt.Errorf("h5: dataset name %q must have 1 to 7 bytes", name)
	}
	if h <= 0 || wd <= 0 || len(data) != h*wd {
		return fmt.Errorf("h5: %d values for a %dx%d dataset", len(data), h, wd)
	}
	var (
		rootOH   = uint64(superblockSize)
		btree    = rootOH + rootOHSize
		heap     = btree + btreeSize
		heapData = heap + heapHeaderSize
		snod     = heapData + heapDataSize
		dataOH   = snod + snodSize
		raw      = dataOH + dataOHSize
		eof      = raw + uint64(2*len(data))
	)
	b := make([]byte, 0, eof)
	u8 := func(v ...byte) { b = append(b, v...) }
	u16 := func(v uint16) { b = binary.LittleEndian.AppendUint16(b, v) }
	u32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	u64 := func(v uint64) { b = binary.LittleEndian.AppendUint64(b, v) }
	zeros := func(n int) { b = append(b, make([]byte, n)...) }

	// Superblock v0.
	u8('\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n')
	u8(0, 0, 0, 0, 0, 8, 8, 0) // versions, size of offsets and lengths
	u16(groupLeafK)
	u16(groupInternalK)
	u32(0)     // file consistency flags
	u64(0)     // base address
	u64(undef) // free-space info
	u64(eof)   // end-of-file address
	u64(undef) // driver information block
	// Root group symbol table entry: cached B-tree and heap addresses.
	u64(0)
	u64(rootOH)
	u32(1)
	u32(0)
	u64(btree)
	u64(heap)

	// Root group object header v1: one symbol-table message.
	ohPrefix := func(nmsg uint16, size uint32) {
		u8(1, 0)
		u16(nmsg)
		u32(1) // reference count
		u32(size)
		zeros(4) // align messages to 8 bytes
	}
	msg := func(typ uint16, size uint16, flags byte) {
		u16(typ)
		u16(size)
		u8(flags, 0, 0, 0)
	}
	ohPrefix(1, 8+16)
	msg(0x0011, 16, 0)
	u64(btree)
	u64(heap)

	// Version-1 B-tree node (group, leaf level): keys are heap offsets of
	// names, the child is the symbol-table node.
	u8('T', 'R', 'E', 'E', 0, 0)
	u16(1)
	u64(undef)
	u64(undef)
	u64(0)    // key 0: ""
	u64(snod) // child 0
	u64(8)    // key 1: the dataset's name
	zeros(btreeSize - 24 - 3*8)

	// Local heap with the names.
	u8('H', 'E', 'A', 'P', 0, 0, 0, 0)
	u64(heapDataSize)
	u64(1) // no free block: HDF5 writes H5HL_FREE_NULL (1) here
	u64(heapData)
	zeros(8)
	u8([]byte(name)...)
	zeros(8 - len(name))

	// Symbol-table node with one entry.
	u8('S', 'N', 'O', 'D', 1, 0)
	u16(1)
	u64(8) // name offset in the heap
	u64(dataOH)
	u32(0) // no cache
	u32(0)
	zeros(16)
	zeros(snodSize - 8 - 40)

	// Dataset object header v1.
	ohPrefix(4, dataOHSize-16)
	msg(0x0001, 24, 0) // dataspace v1, rank 2, no max dims
	u8(1, 2, 0, 0)
	zeros(4)
	u64(uint64(h))
	u64(uint64(wd))
	msg(0x0003, 24, 1) // datatype v1, floating point, constant
	u8(0x11, 0x20, 15, 0)
	u32(2)             // size in bytes
	u16(0)             // bit offset
	u16(16)            // precision
	u8(10, 5, 0, 10)   // exponent location, size, mantissa location, size
	u32(15)            // exponent bias
	zeros(4)           // pad to 24
	msg(0x0005, 16, 1) // fill value v2: late allocation, written if set, defined as 0
	u8(2, 2, 2, 1)
	u32(2)
	u16(0)
	zeros(6)
	msg(0x0008, 24, 0) // data layout v3, contiguous
	u8(3, 1)
	u64(raw)
	u64(uint64(2 * len(data)))
	zeros(6)

	if uint64(len(b)) != raw {
		return fmt.Errorf("h5: internal layout error: header is %d bytes, want %d", len(b), raw)
	}
	for _, v := range data {
		u16(half.FromFloat64(float64(v)))
	}
	_, err := w.Write(b)
	return err
}
