package synth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// IDX magic numbers (LeCun's MNIST format: big-endian 0x00 0x00 type dims).
const (
	idxMagicLabels = 0x00000801 // uint8, 1 dimension
	idxMagicImages = 0x00000803 // uint8, 3 dimensions
	// maxIDXItems bounds the item count a header may claim (Fashion-MNIST
	// has 60 000), so a corrupt header cannot request gigabytes.
	maxIDXItems = 1 << 20
	maxIDXSide  = 256
)

// IDXImages is the content of an IDX image file: N images of H×W uint8.
type IDXImages struct {
	N, H, W int
	Pix     []uint8 // N·H·W, row-major
}

// Image returns image i as an H·W slice.
func (m *IDXImages) Image(i int) []uint8 { return m.Pix[i*m.H*m.W : (i+1)*m.H*m.W] }

// openIDX returns the decompressed content of an IDX file (gzip or raw).
func openIDX(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeIDXBytes(raw, path)
}

func decodeIDXBytes(raw []byte, name string) ([]byte, error) {
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("synth: %s: %w", name, err)
		}
		// An IDX file of maxIDXItems images of maxIDXSide² bytes is the
		// largest we accept; read at most one byte more to detect excess.
		out, err := io.ReadAll(io.LimitReader(bufio.NewReader(zr), 16+int64(maxIDXItems)*maxIDXSide*maxIDXSide+1))
		if err != nil {
			return nil, fmt.Errorf("synth: %s: gzip: %w", name, err)
		}
		return out, nil
	}
	return raw, nil
}

// ParseIDXImages parses an IDX3 uint8 image file (already decompressed).
func ParseIDXImages(b []byte, name string) (*IDXImages, error) {
	if len(b) < 16 {
		return nil, fmt.Errorf("synth: %s: %d bytes, too short for an IDX image header", name, len(b))
	}
	if m := binary.BigEndian.Uint32(b); m != idxMagicImages {
		return nil, fmt.Errorf("synth: %s: magic 0x%08x is not an IDX uint8 image file (want 0x%08x)", name, m, idxMagicImages)
	}
	n, h, w := binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint32(b[12:])
	if n == 0 || n > maxIDXItems || h == 0 || w == 0 || h > maxIDXSide || w > maxIDXSide {
		return nil, fmt.Errorf("synth: %s: header claims %d images of %dx%d (out of range)", name, n, h, w)
	}
	want := int(n) * int(h) * int(w)
	if len(b)-16 != want {
		return nil, fmt.Errorf("synth: %s: %d bytes of pixels, header says %d images of %dx%d = %d", name, len(b)-16, n, h, w, want)
	}
	return &IDXImages{N: int(n), H: int(h), W: int(w), Pix: b[16:]}, nil
}

// ParseIDXLabels parses an IDX1 uint8 label file (already decompressed).
func ParseIDXLabels(b []byte, name string) ([]uint8, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("synth: %s: %d bytes, too short for an IDX label header", name, len(b))
	}
	if m := binary.BigEndian.Uint32(b); m != idxMagicLabels {
		return nil, fmt.Errorf("synth: %s: magic 0x%08x is not an IDX uint8 label file (want 0x%08x)", name, m, idxMagicLabels)
	}
	n := binary.BigEndian.Uint32(b[4:])
	if n == 0 || n > maxIDXItems {
		return nil, fmt.Errorf("synth: %s: header claims %d labels (out of range)", name, n)
	}
	if len(b)-8 != int(n) {
		return nil, fmt.Errorf("synth: %s: %d label bytes, header says %d", name, len(b)-8, n)
	}
	return b[8:], nil
}

// EncodeIDX writes images (N·H·W) or labels (h = w = 0) as raw IDX bytes:
// the inverse of the parsers, for fixtures and tests.
func EncodeIDX(n, h, w int, data []uint8) []byte {
	var hdr []byte
	if h == 0 {
		hdr = binary.BigEndian.AppendUint32(nil, idxMagicLabels)
		hdr = binary.BigEndian.AppendUint32(hdr, uint32(n))
	} else {
		hdr = binary.BigEndian.AppendUint32(nil, idxMagicImages)
		for _, v := range []int{n, h, w} {
			hdr = binary.BigEndian.AppendUint32(hdr, uint32(v))
		}
	}
	return append(hdr, data...)
}
