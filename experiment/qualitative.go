package experiment

import (
	"bytes"
	"fmt"
	"image"
	stdcolor "image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"sort"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/internal/atomicfile"
)

// qualitativeImages is how many test images the side-by-side figure shows.
const qualitativeImages = 3

// sideBySide writes DS_qualitative.png: for the test images with the
// largest anomalies among those both predict steps covered, one row each of
// input | ground truth (anomaly cyan) | stage-1 MSP heatmap | its fused map |
// NFlowJS JS heatmap | its fused map (paper Figure 7). Small anomalies make
// unreadable figures, so images are ranked by anomaly area. It returns
// false when the steps it needs did not run.
func sideBySide(dataDir, closedDir, nflowDir, out string) (bool, error) {
	meta, err := dataset.ReadMeta(dataDir)
	if err != nil {
		return false, nil
	}
	labels, _ := filepath.Glob(filepath.Join(dataDir, "test", dataset.LabelsDir, "*.png"))
	type cand struct {
		base string
		area int
	}
	var cands []cand
	for _, l := range labels {
		base := filepath.Base(l[:len(l)-len(".png")])
		if !exists(filepath.Join(closedDir, base+"_ood.png")) || !exists(filepath.Join(nflowDir, base+"_ood.png")) {
			continue
		}
		img, err := readPNG(l)
		if err != nil {
			return false, err
		}
		g, ok := img.(*image.Gray)
		if !ok {
			continue
		}
		area := 0
		for _, v := range g.Pix {
			if int(v) == meta.AnomalyLabel {
				area++
			}
		}
		cands = append(cands, cand{base, area})
	}
	if len(cands) == 0 {
		return false, nil
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].area > cands[j].area })
	cands = cands[:min(qualitativeImages, len(cands))]

	var rows [][]image.Image
	for _, c := range cands {
		in, err := readPNG(filepath.Join(dataDir, "test", dataset.ImagesDir, c.base+".png"))
		if err != nil {
			return false, err
		}
		lab, err := readPNG(filepath.Join(dataDir, "test", dataset.LabelsDir, c.base+".png"))
		if err != nil {
			return false, err
		}
		row := []image.Image{in, labelImage(lab, meta)}
		for _, p := range []string{filepath.Join(closedDir, c.base+"_ood.png"), filepath.Join(closedDir, c.base+"_fused.png"),
			filepath.Join(nflowDir, c.base+"_ood.png"), filepath.Join(nflowDir, c.base+"_fused.png")} {
			img, err := readPNG(p)
			if err != nil {
				img = image.NewRGBA(in.Bounds()) // no fused map without a threshold: a blank tile
			}
			row = append(row, img)
		}
		rows = append(rows, row)
	}
	return true, writeGrid(out, rows)
}

// labelImage draws a generic-encoding label map: class colours (grey if
// the dataset has none), anomaly cyan, void and unknown black.
func labelImage(img image.Image, meta *dataset.Meta) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := int(stdcolor.GrayModel.Convert(img.At(x, y)).(stdcolor.Gray).Y)
			c := stdcolor.RGBA{0, 0, 0, 255}
			switch {
			case v == meta.AnomalyLabel:
				c = stdcolor.RGBA{0, 255, 255, 255}
			case v < len(meta.Classes) && len(meta.Colors) == len(meta.Classes):
				k := meta.Colors[v]
				c = stdcolor.RGBA{k[0], k[1], k[2], 255}
			case v < len(meta.Classes):
				g := uint8(40 + 200*v/max(len(meta.Classes), 1))
				c = stdcolor.RGBA{g, g, g, 255}
			}
			out.Set(x, y, c)
		}
	}
	return out
}

// writeGrid lays rows of tiles out on white with a 4-pixel gap; each row
// is as tall as its tallest tile (heatmaps carry a legend strip below).
func writeGrid(path string, rows [][]image.Image) error {
	const gap = 4
	width, height := 0, 0
	heights := make([]int, len(rows))
	for i, row := range rows {
		w := 0
		for _, t := range row {
			w += t.Bounds().Dx() + gap
			heights[i] = max(heights[i], t.Bounds().Dy())
		}
		width = max(width, w-gap)
		height += heights[i] + gap
	}
	canvas := image.NewRGBA(image.Rect(0, 0, width, height-gap))
	draw.Draw(canvas, canvas.Bounds(), image.White, image.Point{}, draw.Src)
	y := 0
	for i, row := range rows {
		x := 0
		for _, t := range row {
			r := t.Bounds()
			draw.Draw(canvas, image.Rect(x, y, x+r.Dx(), y+r.Dy()), t, r.Min, draw.Src)
			x += r.Dx() + gap
		}
		y += heights[i] + gap
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, canvas); err != nil {
		return fmt.Errorf("experiment: %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}

func readPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("experiment: %s: %w", path, err)
	}
	return img, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
