package synth

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"strings"
)

// The fashion-ood benchmark: real scanned objects (Fashion-MNIST's 28×28
// grey product photos, tinted) pasted on procedural textures. A few
// Fashion classes are the inlier objects; others appear only as val
// anomalies (calibration), yet others only as test anomalies, so the test
// anomalies are object kinds the model never saw in training or
// calibration. Train scenes draw from Fashion-MNIST's training file, val
// and test scenes from its test file (first and second half), so no
// object instance is shared between splits.

// FashionDefaultSource is where Debian's dataset-fashion-mnist package
// installs the IDX files.
const FashionDefaultSource = "/usr/share/datasets/fashion-mnist"

// fashionNames are Fashion-MNIST's ten class names by label id.
var fashionNames = [10]string{"t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"}

// Fashion-MNIST label ids of each role. Coat and shirt are left out: they
// are near-duplicates of pullover and t-shirt, which would make "anomaly"
// ambiguous.
var (
	fashionInliers     = []int{0, 1, 7, 8} // t-shirt, trouser, sneaker, bag
	fashionValAnomaly  = []int{2, 5}       // pullover, sandal
	fashionTestAnomaly = []int{3, 9}       // dress, ankle boot
)

// FashionClasses are the class names of the benchmark: background, then
// the inlier object kinds.
var FashionClasses = []string{"background", "t-shirt", "trouser", "sneaker", "bag"}

// FashionColors are the label colours of FashionClasses.
var FashionColors = [][3]uint8{{60, 60, 60}, {220, 60, 60}, {60, 180, 75}, {70, 110, 230}, {240, 200, 40}}

// FashionValAnomalies and FashionTestAnomalies name the anomaly kinds.
var (
	FashionValAnomalies  = namesOf(fashionValAnomaly)
	FashionTestAnomalies = namesOf(fashionTestAnomaly)
)

func namesOf(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = fashionNames[id]
	}
	return out
}

// fashionFiles are the four IDX files of Fashion-MNIST, gzip or raw.
var fashionFiles = [4]string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}

// FashionSource holds the decoded Fashion-MNIST files, with the item
// indices of every class per source split.
type FashionSource struct {
	train, test *IDXImages
	// byClass[0][c] lists the train-file items of class c, byClass[1][c]
	// the test-file items.
	byClass [2][10][]int
}

// LoadFashion reads Fashion-MNIST's IDX files (name or name.gz) from dir.
// A missing file is one error that says what to install.
func LoadFashion(dir string) (*FashionSource, error) {
	var raw [4][]byte
	for i, name := range fashionFiles {
		var err error
		for _, p := range []string{filepath.Join(dir, name+".gz"), filepath.Join(dir, name)} {
			if raw[i], err = openIDX(p); err == nil || !errors.Is(err, fs.ErrNotExist) {
				break
			}
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Error(fmt.Sprintf("fashion-ood: %s(.gz) not found in %s: install Debian's Fashion-MNIST (apt-get install dataset-fashion-mnist, files in %s) or pass --source DIR holding the four IDX files %s",
				name, dir, FashionDefaultSource, strings.Join(fashionFiles[:], ", ")))
		}
		if err != nil {
			return nil, Error(fmt.Sprintf("fashion-ood: %v", err))
		}
	}
	src := &FashionSource{}
	for k, set := range []**IDXImages{&src.train, &src.test} {
		imgName, labName := filepath.Join(dir, fashionFiles[2*k]), filepath.Join(dir, fashionFiles[2*k+1])
		imgs, err := ParseIDXImages(raw[2*k], imgName)
		if err != nil {
			return nil, err
		}
		labs, err := ParseIDXLabels(raw[2*k+1], labName)
		if err != nil {
			return nil, err
		}
		if len(labs) != imgs.N {
			return nil, Error(fmt.Sprintf("fashion-ood: %s has %d images but %s %d labels", imgName, imgs.N, labName, len(labs)))
		}
		for i, l := range labs {
			if l > 9 {
				return nil, Error(fmt.Sprintf("fashion-ood: %s: label %d of item %d is not a Fashion-MNIST class (0-9)", labName, l, i))
			}
			src.byClass[k][l] = append(src.byClass[k][l], i)
		}
		*set = imgs
	}
	for k, name := range []string{"train", "t10k"} {
		for _, c := range append(append(append([]int{}, fashionInliers...), fashionValAnomaly...), fashionTestAnomaly...) {
			if len(src.byClass[k][c]) < 2 {
				return nil, Error(fmt.Sprintf("fashion-ood: the %s files hold %d items of class %s; need at least 2", name, len(src.byClass[k][c]), fashionNames[c]))
			}
		}
	}
	return src, nil
}

// pick returns a random item of Fashion class c for a split: train scenes
// draw from the train file; val scenes from the first half of the test
// file's items of that class, test scenes from the second half.
func (s *FashionSource) pick(g *rng, split string, c int) []uint8 {
	if split == "train" {
		items := s.byClass[0][c]
		return s.train.Image(items[g.intn(len(items))])
	}
	items := s.byClass[1][c]
	half := len(items) / 2
	if split == "val" {
		items = items[:half]
	} else {
		items = items[half:]
	}
	return s.test.Image(items[g.intn(len(items))])
}

// fashionObjectThreshold is the grey level (of 255) above which an item's
// pixel counts as object in the label map; fainter pixels are blended in
// but labelled as what lies beneath, so labels follow the visible shape.
const fashionObjectThreshold = 48

// renderFashion composes one scene: a two-colour procedural texture with
// 3-6 tinted, scaled Fashion items; val and test scenes get 1-2 items of
// their split's anomaly kinds among them, test-far scenes 1-2 pieces of
// photographs from far (test-far only; nil otherwise).
func renderFashion(src *FashionSource, far *PhotoSource, g *rng, h, w int, split string) *Sample {
	c := newCanvas(w, h)
	// Background texture: fbm between two random colours.
	hue := g.uni(0, 1)
	a := hsv(hue, g.uni(0.1, 0.6), g.uni(0.15, 0.55))
	b := hsv(hue+g.uni(-0.2, 0.2), g.uni(0.1, 0.7), g.uni(0.3, 0.8))
	freq := g.logUni(0.03, 0.2)
	seed := g.u32()
	for y := range h {
		for x := range w {
			i := y*w + x
			c.col[i] = mix(a, b, fbm(float64(x)*freq, float64(y)*freq, 4, seed, 0.5))
			c.lab[i] = 0
		}
	}
	nObj := g.irange(3, 6)
	nAnom := 0
	if split != "train" {
		nAnom = g.irange(1, 2)
	}
	var anomalies []string
	for k := range nObj {
		cls, label := 0, uint8(0)
		if k < nAnom {
			set := fashionValAnomaly
			if split == "test" || split == FarSplit {
				set = fashionTestAnomaly // test-far draws the same numbers, then pastes a photo instead
			}
			cls, label = set[g.intn(len(set))], AnomalyLabel
			anomalies = append(anomalies, fashionNames[cls])
		} else {
			j := g.intn(len(fashionInliers))
			cls, label = fashionInliers[j], uint8(j+1)
		}
		if k < nAnom && split == FarSplit {
			// Same size distribution as the items (28 px at scale 1).
			side := max(8, int(math.Round(28*g.uni(0.7, 1.6)*float64(min(h, w))/96)))
			x0, y0 := g.irange(-side/4, w-side*3/4), g.irange(-side/4, h-side*3/4)
			pastePhotoBlob(c, far, g, x0, y0, side)
			anomalies[len(anomalies)-1] = FashionFarAnomalies[0]
			continue
		}
		item := src.pick(g, split, cls)
		scale := g.uni(0.7, 1.6) * float64(min(h, w)) / 96
		side := max(8, int(math.Round(28*scale)))
		x0, y0 := g.irange(-side/4, w-side*3/4), g.irange(-side/4, h-side*3/4)
		tint := hsv(g.uni(0, 1), g.uni(0.2, 0.9), g.uni(0.6, 1))
		flip := g.chance(0.5)
		pasteItem(c, item, x0, y0, side, tint, label, flip)
	}
	// Anomalies are drawn first so later inlier items may occlude them;
	// record only those that stay visible.
	s := toSample(c, c.finish(g, 1, rgb(1, 1, 1), 1, 0, 0.01), false)
	if split != "train" {
		visible := 0
		for _, l := range s.Label.Pix {
			if l == AnomalyLabel {
				visible++
			}
		}
		if visible == 0 {
			anomalies = nil
		}
	}
	s.Anomalies = anomalies
	return s
}

// pasteItem blends a 28×28 grey item, bilinearly resized to side×side, at
// (x0, y0): colour = mix(background, tint·v, v) with v the item's grey
// level, so dark item pixels stay see-through.
func pasteItem(c *canvas, item []uint8, x0, y0, side int, tint color, label uint8, flip bool) {
	const n = 28
	at := func(u, v int) float64 {
		u, v = min(max(u, 0), n-1), min(max(v, 0), n-1)
		return float64(item[v*n+u]) / 255
	}
	for dy := range side {
		y := y0 + dy
		if y < 0 || y >= c.h {
			continue
		}
		sv := (float64(dy)+0.5)*n/float64(side) - 0.5
		for dx := range side {
			x := x0 + dx
			if x < 0 || x >= c.w {
				continue
			}
			su := (float64(dx)+0.5)*n/float64(side) - 0.5
			if flip {
				su = n - 1 - su
			}
			u0, v0 := int(math.Floor(su)), int(math.Floor(sv))
			fu, fv := su-float64(u0), sv-float64(v0)
			val := (1-fv)*((1-fu)*at(u0, v0)+fu*at(u0+1, v0)) + fv*((1-fu)*at(u0, v0+1)+fu*at(u0+1, v0+1))
			if val <= 0.02 {
				continue
			}
			i := y*c.w + x
			// Items are light products on black: brighter = more object.
			shade := 0.35 + 0.65*val
			c.col[i] = mix(c.col[i], tint.scale(shade), math.Min(1, val*1.5))
			if val*255 > fashionObjectThreshold {
				c.lab[i] = label
			}
		}
	}
}

// RenderFashion renders image index of a fashion-ood split, exactly as
// Generate writes it; far supplies the photographs of the test-far split
// (nil for the other splits).
func RenderFashion(src *FashionSource, far *PhotoSource, seed uint64, split string, index, height, width int) (*Sample, error) {
	if _, err := anomalyCats("fashion-ood", split); err != nil {
		return nil, err
	}
	if height < 16 || width < 16 || height > 4096 || width > 4096 {
		return nil, Error(fmt.Sprintf("image size %dx%d out of range [16, 4096]", height, width))
	}
	if split == FarSplit && far == nil {
		return nil, Error("fashion-ood: the test-far split needs far-OOD photographs")
	}
	return renderFashion(src, far, imageRNG(seed, "fashion-ood", split, index), height, width, split), nil
}
