package synth

import (
	"bytes"
	"context"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
)

// readTree returns every file under dir keyed by relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sameTree(t *testing.T, a, b map[string][]byte, what string) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d files vs %d", what, len(a), len(b))
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			t.Fatalf("%s: %s differs", what, k)
		}
	}
}

func tinyConfig(kind string) Config {
	cfg, _ := Defaults(kind)
	cfg.Seed = 7
	switch kind {
	case "road":
		cfg.Train, cfg.Val, cfg.Test, cfg.Height, cfg.Width = 3, 2, 3, 40, 80
	case "aerial":
		cfg.Train, cfg.Val, cfg.Test, cfg.Height, cfg.Width = 3, 2, 3, 48, 48
	case "toy2d":
		cfg.Train, cfg.Val, cfg.Test = 50, 20, 60
	}
	return cfg
}

// TestGenerateDeterministic generates each kind three times: twice with the
// same seed but different worker counts (byte-identical trees expected) and
// once with another seed (must differ).
func TestGenerateDeterministic(t *testing.T) {
	for _, kind := range Kinds {
		t.Run(kind, func(t *testing.T) {
			var trees []map[string][]byte
			for i, workers := range []int{1, 3, 2} {
				cfg := tinyConfig(kind)
				cfg.Workers = workers
				if i == 2 {
					cfg.Seed++
				}
				cfg.Out = t.TempDir()
				if err := Generate(context.Background(), cfg); err != nil {
					t.Fatal(err)
				}
				trees = append(trees, readTree(t, cfg.Out))
			}
			sameTree(t, trees[0], trees[1], "same seed, 1 vs 3 workers")
			differ := 0
			for k, v := range trees[0] {
				if k != dataset.MetaFile && !bytes.Equal(v, trees[2][k]) {
					differ++
				}
			}
			if differ == 0 {
				t.Fatal("a different seed produced identical files")
			}
		})
	}
}

// TestGenerateLayout checks the generic format: dataset.json reads back,
// every image has a label (and a depth map for road), sizes match.
func TestGenerateLayout(t *testing.T) {
	cfg := tinyConfig("road")
	cfg.Out = t.TempDir()
	if err := Generate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	m, err := dataset.ReadMeta(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Classes, RoadClasses) || m.AnomalyLabel != AnomalyLabel || m.IgnoreLabel != VoidLabel {
		t.Fatalf("meta %+v", m)
	}
	for sp, n := range map[string]int{"train": cfg.Train, "val": cfg.Val, "test": cfg.Test} {
		for _, sub := range []string{"images", "labels", "depth"} {
			ents, err := os.ReadDir(filepath.Join(cfg.Out, sp, sub))
			if err != nil || len(ents) != n {
				t.Fatalf("%s/%s: %d files (want %d), %v", sp, sub, len(ents), n, err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.Out, "test", "anomalies.json")); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Kind = "mars" }, "unknown kind"},
		{func(c *Config) { c.Out = "" }, "no output directory"},
		{func(c *Config) { c.Train = -1 }, "negative split size"},
		{func(c *Config) { c.Height = 4 }, "out of range"},
		{func(c *Config) { c.Width = 100000 }, "out of range"},
	} {
		cfg := tinyConfig("road")
		cfg.Out = t.TempDir()
		tc.mod(&cfg)
		err := Generate(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "synth: ") {
			t.Errorf("got %v, want error containing %q", err, tc.want)
		}
	}
	if _, err := Render("road", 1, "holdout", 0, 32, 32); err == nil {
		t.Error("unknown split accepted")
	}
	if _, err := Render("toy2d", 1, "train", 0, 32, 32); err == nil {
		t.Error("toy2d rendered as an image")
	}
}

func TestGenerateCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := tinyConfig("road")
	cfg.Out = t.TempDir()
	if err := Generate(ctx, cfg); err == nil {
		t.Fatal("cancelled context: no error")
	}
}

// labelStats counts anomaly pixels and rejects invalid labels.
func labelStats(t *testing.T, s *Sample, numClasses int) (anomaly int) {
	t.Helper()
	for _, l := range s.Label.Pix {
		switch {
		case l == AnomalyLabel:
			anomaly++
		case l == VoidLabel:
		case int(l) >= numClasses:
			t.Fatalf("label %d outside %d classes", l, numClasses)
		}
	}
	return anomaly
}

// checkSplits renders a few images per split and checks the split
// invariants: no anomalies in train, anomalies in every val and test image
// from the split's own categories, disjoint val and test categories.
func checkSplits(t *testing.T, kind string, h, w, n, numClasses int) {
	val, _ := AnomalyCategories(kind, "val")
	test, _ := AnomalyCategories(kind, "test")
	for _, c := range val {
		if slices.Contains(test, c) {
			t.Fatalf("category %q in both val and test", c)
		}
	}
	for _, sp := range Splits {
		cats, _ := AnomalyCategories(kind, sp)
		for i := 0; i < n; i++ {
			s, err := Render(kind, 3, sp, i, h, w)
			if err != nil {
				t.Fatal(err)
			}
			a := labelStats(t, s, numClasses)
			if sp == "train" {
				if a != 0 || len(s.Anomalies) != 0 {
					t.Fatalf("%s train %d: %d anomaly pixels", kind, i, a)
				}
				continue
			}
			if a == 0 || len(s.Anomalies) == 0 {
				t.Fatalf("%s %s %d: no anomaly (%d pixels, %v)", kind, sp, i, a, s.Anomalies)
			}
			for _, c := range s.Anomalies {
				if !slices.Contains(cats, c) {
					t.Fatalf("%s %s %d: category %q not in %v", kind, sp, i, c, cats)
				}
			}
		}
	}
}

func TestRoadSplits(t *testing.T)   { checkSplits(t, "road", 48, 96, 12, numRoadClasses) }
func TestAerialSplits(t *testing.T) { checkSplits(t, "aerial", 64, 64, 12, numAerialClasses) }

// TestRoadDepthGeometry checks the depth maps against the pinhole ground
// model: ground pixels at row v lie at Z = f·hc/(v+½−v0), so depth grows
// toward the horizon, and anomalies stand 5-50 m away.
func TestRoadDepthGeometry(t *testing.T) {
	checked := 0
	for i := 0; i < 8; i++ {
		s, sc := renderRoad(imageRNG(11, "road", "test", i), 64, 128, RoadTestAnomalies)
		cam := sc.cam
		for x := 0; x < s.Label.Rect.Dx(); x++ {
			prev := math.Inf(1)
			for y := s.Label.Rect.Dy() - 1; y >= 0; y-- {
				l := s.Label.GrayAt(x, y).Y
				d := float64(s.Depth.Gray16At(x, y).Y) / 100
				switch l {
				case RoadRoad, RoadLaneMarking, RoadSidewalk, RoadTerrain:
					want := cam.f * cam.hc / (float64(y) + 0.5 - cam.v0)
					if math.Abs(d-math.Min(want, 655.35)) > 0.006 {
						t.Fatalf("image %d (%d,%d): ground depth %.2f m, geometry says %.2f m", i, x, y, d, want)
					}
					if d < prev && !math.IsInf(prev, 1) {
						// Going up the column the ground gets farther.
						t.Fatalf("image %d column %d: depth %.2f above a farther %.2f", i, x, d, prev)
					}
					prev = d
					checked++
				case RoadSky:
					if d != 0 {
						t.Fatalf("sky with depth %.2f", d)
					}
				case AnomalyLabel:
					if d < roadAnomalyMinZ-0.1 || d > roadAnomalyMaxZ+0.01 {
						t.Fatalf("anomaly at %.2f m, outside [%g, %g]", d, roadAnomalyMinZ, roadAnomalyMaxZ)
					}
				}
				if l != RoadSky && l != VoidLabel && d == 0 {
					t.Fatalf("image %d (%d,%d): class %d without depth", i, x, y, l)
				}
				if l != RoadRoad && l != RoadLaneMarking && l != RoadSidewalk && l != RoadTerrain {
					prev = math.Inf(1) // an object interrupts the ground
				}
			}
		}
		if math.Abs(cam.v0-float64(64)*0.43) > float64(64)*0.08 {
			t.Fatalf("horizon row %.1f outside its range", cam.v0)
		}
	}
	if checked < 8*64*128/5 {
		t.Fatalf("only %d ground pixels checked", checked)
	}
}

// TestAnomalyPalette checks that anomalies reuse inlier materials: every
// anomaly part of a road scene carries a material of the scene's palette.
func TestAnomalyPalette(t *testing.T) {
	for i := 0; i < 6; i++ {
		_, sc := renderRoad(imageRNG(5, "road", "val", i), 48, 96, RoadValAnomalies)
		for _, a := range sc.anomalies {
			for _, p := range a.parts {
				if !slices.Contains(sc.palette, p.mat) {
					t.Fatalf("anomaly %q part with a material outside the inlier palette", a.anomaly)
				}
			}
		}
	}
}

// TestAerialTestHasLake: boats and harbours need water in every test tile.
func TestAerialTestHasLake(t *testing.T) {
	for i := 0; i < 6; i++ {
		s, err := Render("aerial", 9, "test", i, 64, 64)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(s.Label.Pix, AerialLake) {
			t.Fatalf("test tile %d without lake", i)
		}
	}
}

func TestToy2D(t *testing.T) {
	a, err := Toy2D(1, "test", 101)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Toy2D(1, "test", 101)
	if !slices.Equal(a, b) || len(a) != 101 {
		t.Fatal("toy2d not deterministic or wrong size")
	}
	var counts [3]int
	for _, p := range a {
		switch p.Label {
		case 0, 1:
			counts[p.Label]++
		case AnomalyLabel:
			counts[2]++
			if toyMahal(p.X, p.Y) < toyMinMahal || math.Abs(p.X) > toyBox || math.Abs(p.Y) > toyBox {
				t.Fatalf("outlier %v inside the inlier region or outside the box", p)
			}
		default:
			t.Fatalf("label %d", p.Label)
		}
	}
	if counts != [3]int{25, 25, 51} {
		t.Fatalf("class counts %v", counts)
	}
	tr, _ := Toy2D(1, "train", 100)
	for _, p := range tr {
		if p.Label == AnomalyLabel {
			t.Fatal("outlier in train")
		}
	}
	if _, err := Toy2D(1, "train", -1); err == nil {
		t.Fatal("negative count accepted")
	}
}

// TestGenerateOverwrite: regenerating into a generated dataset replaces it
// (no stale images survive), a foreign non-empty directory is refused.
func TestGenerateOverwrite(t *testing.T) {
	cfg := tinyConfig("aerial")
	cfg.Out = t.TempDir()
	if err := Generate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Train = 1
	if err := Generate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(filepath.Join(cfg.Out, "train", "images")); len(ents) != 1 {
		t.Fatalf("%d train images after regenerating 1", len(ents))
	}
	foreign := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Out = foreign
	if err := Generate(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("foreign directory: %v", err)
	}
}

// TestSmallSizes renders many scenes at tiny and odd sizes: no panics, valid
// labels, and still an anomaly in every val and test image.
func TestSmallSizes(t *testing.T) {
	n := 40
	if testing.Short() {
		n = 10
	}
	for _, kind := range []string{"road", "aerial"} {
		classes := numRoadClasses
		if kind == "aerial" {
			classes = numAerialClasses
		}
		for i := 0; i < n; i++ {
			h, w := 16+(i*7)%29, 16+(i*13)%41
			sp := Splits[i%3]
			s, err := Render(kind, uint64(i), sp, i, h, w)
			if err != nil {
				t.Fatal(err)
			}
			if a := labelStats(t, s, classes); (a > 0) != (sp != "train") {
				t.Fatalf("%s %s %dx%d #%d: %d anomaly pixels", kind, sp, h, w, i, a)
			}
		}
	}
}
