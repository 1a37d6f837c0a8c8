package dataset

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers JPEG with image.Decode
	_ "image/png"  // registers PNG with image.Decode
	"os"

	_ "golang.org/x/image/tiff" // BSB aerial tiles may be GeoTIFFs
	_ "golang.org/x/image/webp" // SegmentMeIfYouCan ObstacleTrack ships .webp
)

// MaxPixels caps the size of any decoded image or map (64 Mpixel). Headers
// are read with image.DecodeConfig first, so an oversized or lying header
// never causes a large allocation.
const MaxPixels = 64 << 20

// Image is an 8-bit RGB image stored row-major, channel-interleaved (HWC):
// pixel (y, x) channel c is Pix[(y*W+x)*3+c].
type Image struct {
	W, H int
	Pix  []uint8
}

// NewImage allocates a black w×h image.
func NewImage(w, h int) *Image { return &Image{W: w, H: h, Pix: make([]uint8, 3*w*h)} }

// checkConfig reads only the header of b and rejects sizes that are empty or
// larger than MaxPixels.
func checkConfig(b []byte) (image.Config, string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return cfg, format, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, format, fmt.Errorf("%w: empty %dx%d %s", ErrCorrupt, cfg.Width, cfg.Height, format)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return cfg, format, fmt.Errorf("%w: %dx%d %s exceeds %d pixels", ErrTooLarge, cfg.Width, cfg.Height, format, MaxPixels)
	}
	return cfg, format, nil
}

// decodeAny decodes b after checking its header. Decoders from x/image are
// third-party code run on user files; a panic inside one is turned into
// ErrCorrupt so that no input can crash the caller.
func decodeAny(b []byte) (img image.Image, cfg image.Config, format string, err error) {
	cfg, format, err = checkConfig(b)
	if err != nil {
		return nil, cfg, format, err
	}
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("%w: decoder panic: %v", ErrCorrupt, r)
		}
	}()
	img, _, err = image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, cfg, format, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	r := img.Bounds()
	if r.Dx() != cfg.Width || r.Dy() != cfg.Height {
		return nil, cfg, format, fmt.Errorf("%w: header says %dx%d, pixels are %dx%d", ErrCorrupt, cfg.Width, cfg.Height, r.Dx(), r.Dy())
	}
	return img, cfg, format, nil
}

// DecodeImage decodes a PNG (8/16-bit, gray, RGB(A), palette), JPEG, WebP or
// TIFF file into an 8-bit RGB image. 16-bit samples keep their high byte;
// alpha is ignored (pixels are taken as stored, not premultiplied).
func DecodeImage(b []byte) (*Image, error) {
	img, cfg, _, err := decodeAny(b)
	if err != nil {
		return nil, err
	}
	w, h := cfg.Width, cfg.Height
	out := NewImage(w, h)
	r := img.Bounds()
	switch m := img.(type) {
	case *image.RGBA:
		for y := 0; y < h; y++ {
			src := m.Pix[y*m.Stride : y*m.Stride+4*w]
			dst := out.Pix[3*y*w : 3*(y+1)*w]
			for x := 0; x < w; x++ {
				dst[3*x], dst[3*x+1], dst[3*x+2] = src[4*x], src[4*x+1], src[4*x+2]
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			src := m.Pix[y*m.Stride : y*m.Stride+4*w]
			dst := out.Pix[3*y*w : 3*(y+1)*w]
			for x := 0; x < w; x++ {
				dst[3*x], dst[3*x+1], dst[3*x+2] = src[4*x], src[4*x+1], src[4*x+2]
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			src := m.Pix[y*m.Stride : y*m.Stride+w]
			dst := out.Pix[3*y*w : 3*(y+1)*w]
			for x, v := range src {
				dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
			}
		}
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				yi, ci := m.YOffset(r.Min.X+x, r.Min.Y+y), m.COffset(r.Min.X+x, r.Min.Y+y)
				rr, gg, bb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				o := 3 * (y*w + x)
				out.Pix[o], out.Pix[o+1], out.Pix[o+2] = rr, gg, bb
			}
		}
	default:
		// Paletted, 16-bit, CMYK, NYCbCrA, ...: the generic path. NRGBA64
		// conversion un-premultiplies nothing we care about for opaque data.
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBA64Model.Convert(img.At(r.Min.X+x, r.Min.Y+y)).(color.NRGBA64)
				o := 3 * (y*w + x)
				out.Pix[o], out.Pix[o+1], out.Pix[o+2] = uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8)
			}
		}
	}
	return out, nil
}

// DecodeLabel decodes a one-channel 8-bit label map and returns its width,
// height and row-major values. Accepted: 8-bit gray PNG, paletted PNG (the
// palette indices are the labels, as in Pascal VOC), and RGB(A) PNGs whose
// three channels are equal everywhere (some tools save gray maps as RGB).
// Lossy formats (JPEG, WebP lossy) are rejected: compression would invent
// label values. 16-bit maps are rejected too.
func DecodeLabel(b []byte) (w, h int, pix []uint8, err error) {
	img, cfg, format, err := decodeAny(b)
	if err != nil {
		return 0, 0, nil, err
	}
	if format != "png" && format != "tiff" {
		return 0, 0, nil, fmt.Errorf("%w: %s label map; lossy compression alters label values, use PNG", ErrFormat, format)
	}
	// image/png expands 1, 2 and 4-bit gray to 0..255 (a 1-bit 0/1 mask
	// decodes as 0/255), which would silently change label ids. Paletted
	// low-bit PNGs keep their indices and are fine. The IHDR bit depth and
	// colour type sit at bytes 24 and 25 of every PNG.
	if format == "png" && len(b) > 25 && b[25] == 0 && b[24] < 8 {
		return 0, 0, nil, fmt.Errorf("%w: %d-bit gray label map; save labels as 8-bit gray or paletted PNG", ErrFormat, b[24])
	}
	w, h = cfg.Width, cfg.Height
	pix = make([]uint8, w*h)
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(pix[y*w:(y+1)*w], m.Pix[y*m.Stride:y*m.Stride+w])
		}
	case *image.Paletted:
		for y := 0; y < h; y++ {
			copy(pix[y*w:(y+1)*w], m.Pix[y*m.Stride:y*m.Stride+w])
		}
	case *image.RGBA, *image.NRGBA:
		var p []uint8
		var stride int
		if rm, ok := m.(*image.RGBA); ok {
			p, stride = rm.Pix, rm.Stride
		} else {
			nm := m.(*image.NRGBA)
			p, stride = nm.Pix, nm.Stride
		}
		for y := 0; y < h; y++ {
			row := p[y*stride : y*stride+4*w]
			for x := 0; x < w; x++ {
				r, g, bl := row[4*x], row[4*x+1], row[4*x+2]
				if r != g || g != bl {
					return 0, 0, nil, fmt.Errorf("%w: colour label map (pixel %d,%d is %d,%d,%d); labels must be one-channel ids", ErrFormat, x, y, r, g, bl)
				}
				pix[y*w+x] = r
			}
		}
	default:
		return 0, 0, nil, fmt.Errorf("%w: label map is %T; want an 8-bit gray or paletted PNG", ErrFormat, img)
	}
	return w, h, pix, nil
}

// DecodeGray16 decodes a one-channel 16-bit PNG (depth in centimetres,
// Cityscapes-style disparity) and returns its row-major values. 8-bit gray
// maps are rejected: they cannot hold the encodings that need 16 bits and
// usually mean the wrong file was given.
func DecodeGray16(b []byte) (w, h int, pix []uint16, err error) {
	img, cfg, _, err := decodeAny(b)
	if err != nil {
		return 0, 0, nil, err
	}
	m, ok := img.(*image.Gray16)
	if !ok {
		return 0, 0, nil, fmt.Errorf("%w: map is %T; want a 16-bit one-channel PNG", ErrFormat, img)
	}
	w, h = cfg.Width, cfg.Height
	pix = make([]uint16, w*h)
	for y := 0; y < h; y++ {
		row := m.Pix[y*m.Stride : y*m.Stride+2*w]
		for x := 0; x < w; x++ {
			pix[y*w+x] = uint16(row[2*x])<<8 | uint16(row[2*x+1])
		}
	}
	return w, h, pix, nil
}

// readFile reads a file, mapping failures to a *FileError.
func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fileErr(path, ErrMissingFile, "")
		}
		return nil, fileErr(path, ErrCorrupt, "%v", err)
	}
	return b, nil
}

// ReadImage reads and decodes an image file; errors name the file.
func ReadImage(path string) (*Image, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	img, err := DecodeImage(b)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	return img, nil
}

// ReadLabel reads and decodes a label map; errors name the file.
func ReadLabel(path string) (w, h int, pix []uint8, err error) {
	b, err := readFile(path)
	if err != nil {
		return 0, 0, nil, err
	}
	w, h, pix, err = DecodeLabel(b)
	if err != nil {
		return 0, 0, nil, &FileError{Path: path, Err: err}
	}
	return w, h, pix, nil
}

// ReadGray16 reads and decodes a 16-bit map; errors name the file.
func ReadGray16(path string) (w, h int, pix []uint16, err error) {
	b, err := readFile(path)
	if err != nil {
		return 0, 0, nil, err
	}
	w, h, pix, err = DecodeGray16(b)
	if err != nil {
		return 0, 0, nil, &FileError{Path: path, Err: err}
	}
	return w, h, pix, nil
}
