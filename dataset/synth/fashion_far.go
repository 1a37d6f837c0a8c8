package synth

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nflowjs/nflowjs/dataset"
)

// The far-OOD split of fashion-ood, test-far: scenes drawn like the test
// split's (procedural backgrounds, inlier items from the same half of
// Fashion-MNIST's test file) whose 1-2 anomalies are not Fashion items but pieces of real
// photographs — a cat, a coffee cup, an astronaut, coins, a retina —
// cut out in smooth blob shapes. The test split's dresses and ankle boots
// are near-OOD (scanned products like the inliers); these come from
// another source altogether, the case where synthetic negatives are
// expected to help most (paper Section 3.1: anomalies closer to the
// synthetic negatives than to the inliers).

// FarSplit is the name of fashion-ood's far-OOD evaluation split.
const FarSplit = "test-far"

// FashionFarDefaultSource is where Debian's python3-skimage installs its
// sample photographs.
const FashionFarDefaultSource = "/usr/lib/python3/dist-packages/skimage/data"

// fashionFarPhotos are the photographs of scikit-image's data folder that
// test-far cuts its anomalies from (natural photos only: no charts,
// checkerboards or text).
var fashionFarPhotos = []string{"astronaut.png", "camera.png", "chelsea.png", "coffee.png", "coins.png",
	"hubble_deep_field.jpg", "ihc.png", "motorcycle_left.png", "retina.jpg", "rocket.jpg"}

// FashionFarAnomalies names the anomaly kind of test-far.
var FashionFarAnomalies = []string{"photo"}

// PhotoSource holds the decoded photographs of the far-OOD anomalies.
type PhotoSource struct {
	photos []*dataset.Image
	names  []string
}

// LoadPhotos reads the far-OOD photographs from dir: scikit-image's
// sample photos if dir holds them (its data folder), otherwise every PNG
// or JPEG file in dir, in name order. No photo is one error saying what
// to install.
func LoadPhotos(dir string) (*PhotoSource, error) {
	var paths []string
	for _, n := range fashionFarPhotos {
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && !st.IsDir() {
			paths = append(paths, filepath.Join(dir, n))
		}
	}
	if len(paths) == 0 {
		des, _ := os.ReadDir(dir)
		for _, de := range des {
			switch strings.ToLower(filepath.Ext(de.Name())) {
			case ".png", ".jpg", ".jpeg":
				if !de.IsDir() {
					paths = append(paths, filepath.Join(dir, de.Name()))
				}
			}
		}
	}
	if len(paths) == 0 {
		return nil, Error(fmt.Sprintf("fashion-ood: no photographs for the far-OOD split in %s: install scikit-image's sample data (apt-get install python3-skimage, files in %s), pass --far-source DIR with PNG/JPEG photos, or --test-far 0",
			dir, FashionFarDefaultSource))
	}
	src := &PhotoSource{}
	for _, p := range paths {
		img, err := dataset.ReadImage(p)
		if err != nil {
			return nil, Error(fmt.Sprintf("fashion-ood: far-OOD photo: %v", err))
		}
		if img.W < 16 || img.H < 16 {
			return nil, Error(fmt.Sprintf("fashion-ood: far-OOD photo %s is %dx%d, smaller than 16x16", p, img.W, img.H))
		}
		src.photos = append(src.photos, img)
		src.names = append(src.names, filepath.Base(p))
	}
	return src, nil
}

// Names lists the photographs' file names.
func (s *PhotoSource) Names() []string { return slices.Clone(s.names) }

// pastePhotoBlob draws a piece of a random photograph, cut out in a smooth
// random blob of about side×side pixels at (x0, y0), labelled as anomaly.
// The window taken from the photo spans 15-50% of its short side, so a
// piece shows an object part or a texture at a natural scale.
func pastePhotoBlob(c *canvas, src *PhotoSource, g *rng, x0, y0, side int) {
	ph := src.photos[g.intn(len(src.photos))]
	win := g.uni(0.15, 0.5) * float64(min(ph.W, ph.H))
	px0, py0 := g.uni(0, float64(ph.W)-win), g.uni(0, float64(ph.H)-win)
	flip := g.chance(0.5)
	s := float64(side)
	contour := blob(g, float64(x0)+s/2, float64(y0)+s/2, s/2*g.uni(0.65, 1), s/2*g.uni(0.65, 1), 0.25, 48)
	c.fill([][]pt{contour}, func(x, y int) {
		u := (float64(x-x0) + 0.5) / s
		if flip {
			u = 1 - u
		}
		v := (float64(y-y0) + 0.5) / s
		c.col[y*c.w+x] = samplePhoto(ph, px0+u*win, py0+v*win)
		c.lab[y*c.w+x] = AnomalyLabel
	})
}

// samplePhoto returns the bilinearly interpolated colour of img at pixel
// coordinates (x, y) (pixel centres at +0.5), in [0, 1].
func samplePhoto(img *dataset.Image, x, y float64) color {
	x, y = x-0.5, y-0.5
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := x-float64(x0), y-float64(y0)
	at := func(u, v int) color {
		u, v = min(max(u, 0), img.W-1), min(max(v, 0), img.H-1)
		p := img.Pix[3*(v*img.W+u):]
		return color{float64(p[0]) / 255, float64(p[1]) / 255, float64(p[2]) / 255}
	}
	top := mix(at(x0, y0), at(x0+1, y0), fx)
	bot := mix(at(x0, y0+1), at(x0+1, y0+1), fx)
	return mix(top, bot, fy)
}
