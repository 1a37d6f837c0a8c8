package regions

import "testing"

func TestLabel8(t *testing.T) {
	// Diagonal neighbours connect; the U shape merges two provisional labels.
	const h, w = 4, 6
	img := []string{
		"#....#",
		".#..#.",
		"..##..",
		"#....#",
	}
	mask := make([]bool, h*w)
	for y, row := range img {
		for x, ch := range row {
			mask[y*w+x] = ch == '#'
		}
	}
	lab, n := Label8(mask, h, w)
	if n != 3 {
		t.Fatalf("%d components, want 3: %v", n, lab)
	}
	if lab[0] != 1 || lab[5] != 1 || lab[3*w] != 2 || lab[3*w+5] != 3 {
		t.Fatalf("labels %v", lab)
	}
}
