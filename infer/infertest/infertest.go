package infertest

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"sync/atomic"
	"time"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/tensor"
)

// Classes are the three classes of ChannelModel, one per colour channel.
var Classes = []string{"red", "green", "blue"}

// Colors is a palette for Classes that is distinct from the anomaly colour.
var Colors = [][3]uint8{{200, 30, 30}, {30, 160, 30}, {40, 40, 200}}

// Mean and Std map 0..255 to [-1, 1], so a mid-gray pixel normalises to ≈0.
var (
	Mean = [3]float32{0.5, 0.5, 0.5}
	Std  = [3]float32{0.5, 0.5, 0.5}
)

// ChannelModel is an ood.Model with three classes whose logit for class c
// at a pixel is Gain times the normalised value of colour channel c. A
// saturated red, green or blue pixel is confidently its class; a gray
// pixel has equal logits, a uniform softmax, and is therefore maximally
// anomalous for the divergence scores. It is safe for concurrent use.
type ChannelModel struct {
	Gain float32
	// Delay, when positive, is slept in every Logits call to emulate a
	// slow network (load and concurrency-limit tests).
	Delay time.Duration
	// Fail, when non-nil, is returned by Logits.
	Fail error
	// Calls counts Logits calls.
	Calls atomic.Int64
}

// Logits implements ood.Model.
func (m *ChannelModel) Logits(images *tensor.Tensor) (*tensor.Tensor, error) {
	m.Calls.Add(1)
	if m.Delay > 0 {
		time.Sleep(m.Delay)
	}
	if m.Fail != nil {
		return nil, m.Fail
	}
	if images == nil || len(images.Shape) != 4 || images.Shape[1] != 3 {
		return nil, fmt.Errorf("infertest: want N x 3 x H x W images, got %v", shapeOf(images))
	}
	g := m.Gain
	if g == 0 {
		g = 4
	}
	out := tensor.New(images.Shape...)
	for i, v := range images.Data {
		out.Data[i] = g * v
	}
	return out, nil
}

func shapeOf(t *tensor.Tensor) []int {
	if t == nil {
		return nil
	}
	return t.Shape
}

// PanicModel panics in Logits; it checks that callers recover.
type PanicModel struct{}

// Logits implements ood.Model by panicking.
func (PanicModel) Logits(*tensor.Tensor) (*tensor.Tensor, error) {
	panic("infertest: deliberate panic in Logits")
}

// Scene returns a w×h image split into red (left third), green (middle)
// and blue (right) bands, with a mid-gray square of side s whose top-left
// corner is (x0, y0): the one anomaly ChannelModel should find.
func Scene(w, h, x0, y0, s int) *dataset.Image {
	img := dataset.NewImage(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var c [3]uint8
			switch {
			case x >= x0 && x < x0+s && y >= y0 && y < y0+s:
				c = [3]uint8{128, 128, 128}
			case x < w/3:
				c = [3]uint8{255, 0, 0}
			case x < 2*w/3:
				c = [3]uint8{0, 255, 0}
			default:
				c = [3]uint8{0, 0, 255}
			}
			copy(img.Pix[3*(y*w+x):], c[:])
		}
	}
	return img
}

// PNG encodes img as a PNG file.
func PNG(img *dataset.Image) []byte {
	var b bytes.Buffer
	if err := dataset.EncodePNG(&b, img); err != nil {
		panic(err) // encoding to memory cannot fail for a valid image
	}
	return b.Bytes()
}

// JPEG encodes img as a high-quality JPEG file.
func JPEG(img *dataset.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img.ToRGBA(), &jpeg.Options{Quality: 95}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// GrayPNG returns a w×h 8-bit gray PNG of value v.
func GrayPNG(w, h int, v uint8) []byte {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = v
	}
	var b bytes.Buffer
	if err := png.Encode(&b, g); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// HugeHeaderPNG returns a PNG whose header declares w×h pixels but which
// holds no image data: decoders must reject it before allocating.
func HugeHeaderPNG(w, h int) []byte {
	full := PNG(dataset.NewImage(1, 1))
	// The IHDR chunk type is at bytes 12..15 and its data at 16..28:
	// width, height (big endian), ...; its CRC over type and data follows
	// at 29..32.
	b := append([]byte(nil), full[:33]...)
	put := func(o int, v uint32) {
		b[o], b[o+1], b[o+2], b[o+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	put(16, uint32(w))
	put(20, uint32(h))
	put(29, crc32.ChecksumIEEE(b[12:29]))
	return b
}

// At returns the colour of pixel (x, y) of a decoded PNG, for assertions.
func At(png []byte, x, y int) (color.NRGBA, error) {
	img, err := dataset.DecodeImage(png)
	if err != nil {
		return color.NRGBA{}, err
	}
	if x < 0 || y < 0 || x >= img.W || y >= img.H {
		return color.NRGBA{}, fmt.Errorf("infertest: (%d, %d) outside %dx%d", x, y, img.W, img.H)
	}
	o := 3 * (y*img.W + x)
	return color.NRGBA{img.Pix[o], img.Pix[o+1], img.Pix[o+2], 255}, nil
}
