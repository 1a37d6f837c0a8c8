package dataset_test

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/nflowjs/nflowjs/dataset"
)

// writeExample creates a two-image dataset in nflowjs's generic format.
func writeExample() string {
	dir, err := os.MkdirTemp("", "nflowjs-example")
	if err != nil {
		log.Fatal(err)
	}
	if err := dataset.WriteMeta(dir, &dataset.Meta{Name: "demo", Classes: []string{"road", "car"},
		IgnoreLabel: 255, AnomalyLabel: 254}); err != nil {
		log.Fatal(err)
	}
	save := func(path string, img image.Image) {
		os.MkdirAll(filepath.Dir(path), 0o755)
		f, _ := os.Create(path)
		png.Encode(f, img)
		f.Close()
	}
	for _, id := range []string{"a", "b"} {
		save(filepath.Join(dir, "test", "images", id+".png"), image.NewRGBA(image.Rect(0, 0, 8, 4)))
		lab := image.NewGray(image.Rect(0, 0, 8, 4))
		lab.Pix[0] = 254 // one anomalous pixel
		save(filepath.Join(dir, "test", "labels", id+".png"), lab)
	}
	return dir
}

func ExampleOpen() {
	dir := writeExample()
	defer os.RemoveAll(dir)

	d, err := dataset.Open(dir) // or "cityscapes:/data/cityscapes", ...
	if err != nil {
		log.Fatal(err)
	}
	test, err := d.Split("test")
	if err != nil {
		log.Fatal(err)
	}
	st := dataset.Check(test, 1)
	fmt.Println(d.Meta.Name, d.SplitNames(), test.Len(), "images, errors:", len(st.Errors))
	fmt.Printf("road %d px, anomaly %d px\n", st.ClassPixels[0], st.AnomalyPixels)
	// Output:
	// demo [test] 2 images, errors: 0
	// road 62 px, anomaly 2 px
}

func ExampleNewLoader() {
	dir := writeExample()
	defer os.RemoveAll(dir)

	d, _ := dataset.Open(dir)
	test, _ := d.Split("test")
	l, err := dataset.NewLoader(test, dataset.LoaderConfig{
		BatchSize: 2, Workers: 2, Shuffle: true, Seed: 7,
		Augment: &dataset.Augment{Flip: true, MinScale: 0.5, MaxScale: 2, CropH: 4, CropW: 4},
	})
	if err != nil {
		log.Fatal(err)
	}
	it := l.Epoch(context.Background(), 0)
	defer it.Close()
	for {
		b, err := it.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("batch N=%d C=3 H=%d W=%d: %d floats, %d labels\n", b.N, b.H, b.W, len(b.Images), len(b.Labels))
	}
	// Output:
	// batch N=2 C=3 H=4 W=4: 96 floats, 32 labels
}
