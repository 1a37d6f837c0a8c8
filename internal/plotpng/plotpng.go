// Package plotpng writes gonum plots as PNG files: one grid saver for the
// training curves (package train), the report's figures (experiment) and
// the 2-D toy (experiment/toy). Files are written atomically.
package plotpng

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/nflowjs/nflowjs/internal/atomicfile"
)

// SaveGrid draws the plots of grid (rows of equal length) aligned in a
// w×h PNG at path, with the tiles' padding (Rows and Cols are set from
// grid), creating path's directory if needed. A single plot fills the
// canvas.
func SaveGrid(path string, grid [][]*plot.Plot, w, h vg.Length, tiles draw.Tiles) error {
	if len(grid) == 0 || len(grid[0]) == 0 {
		return fmt.Errorf("plotpng: %s: no plots", path)
	}
	img := vgimg.New(w, h)
	dc := draw.New(img)
	if len(grid) == 1 && len(grid[0]) == 1 && tiles == (draw.Tiles{}) {
		grid[0][0].Draw(dc)
	} else {
		tiles.Rows, tiles.Cols = len(grid), len(grid[0])
		canvases := plot.Align(grid, tiles, dc)
		for i, row := range grid {
			for j, p := range row {
				p.Draw(canvases[i][j])
			}
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("plotpng: %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("plotpng: %w", err)
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}
