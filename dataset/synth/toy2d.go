package synth

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// Toy2DPoint is one point of the toy2d benchmark. Label is 0 or 1 for the
// two inlier classes and AnomalyLabel for outliers.
type Toy2DPoint struct {
	X, Y  float64
	Label int
}

// Toy2D cluster geometry: two elongated Gaussian classes side by side, as in
// the 2-D example of the paper's Figure 2, where max-softmax is uncertain
// only on the border between the classes and confident everywhere else.
var toyCenters = [2][2]float64{{-1.5, 0}, {1.5, 0}}

const (
	toySigmaX   = 0.55 // class spread across the border
	toySigmaY   = 1.1  // and along it
	toyBox      = 6.0  // outliers are uniform in [-toyBox, toyBox]²...
	toyMinMahal = 3.5  // ...at Mahalanobis distance >= this from both classes
)

// Toy2D returns the points of one split: train and val hold n inliers
// (classes alternating), test holds n/2 inliers followed by n - n/2
// outliers surrounding them.
func Toy2D(seed uint64, split string, n int) ([]Toy2DPoint, error) {
	if _, err := anomalyCats("road", split); err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, Error(fmt.Sprintf("negative point count %d", n))
	}
	g := imageRNG(seed, "toy2d", split, 0)
	nIn := n
	if split == "test" {
		nIn = n / 2
	}
	pts := make([]Toy2DPoint, 0, n)
	for i := 0; i < nIn; i++ {
		c := i % 2
		pts = append(pts, Toy2DPoint{g.norm(toyCenters[c][0], toySigmaX), g.norm(toyCenters[c][1], toySigmaY), c})
	}
	for len(pts) < n {
		x, y := g.uni(-toyBox, toyBox), g.uni(-toyBox, toyBox)
		if toyMahal(x, y) >= toyMinMahal {
			pts = append(pts, Toy2DPoint{x, y, AnomalyLabel})
		}
	}
	return pts, nil
}

// toyMahal is the Mahalanobis distance of (x, y) to the nearer class.
func toyMahal(x, y float64) float64 {
	d := math.Inf(1)
	for _, c := range toyCenters {
		d = math.Min(d, math.Hypot((x-c[0])/toySigmaX, (y-c[1])/toySigmaY))
	}
	return d
}

func writeToy2D(cfg Config) error {
	counts := map[string]int{"train": cfg.Train, "val": cfg.Val, "test": cfg.Test}
	for _, sp := range Splits {
		pts, err := Toy2D(cfg.Seed, sp, counts[sp])
		if err != nil {
			return err
		}
		path := filepath.Join(cfg.Out, sp+".csv")
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		w := bufio.NewWriter(f)
		fmt.Fprintln(w, "x,y,label")
		for _, p := range pts {
			w.WriteString(strconv.FormatFloat(p.X, 'f', 6, 64))
			w.WriteByte(',')
			w.WriteString(strconv.FormatFloat(p.Y, 'f', 6, 64))
			w.WriteByte(',')
			w.WriteString(strconv.Itoa(p.Label))
			w.WriteByte('\n')
		}
		err = w.Flush()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("synth: writing %s: %w", path, err)
		}
	}
	return nil
}
