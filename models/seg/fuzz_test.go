package seg

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadBundleInfo feeds arbitrary model.json contents (next to valid
// weights) to LoadBundle: it must return an error or a usable bundle, never
// panic or allocate without bound.
func FuzzLoadBundleInfo(f *testing.F) {
	m, err := New(testConfig(3), newTestRand(1))
	if err != nil {
		f.Fatal(err)
	}
	src := f.TempDir()
	if err := SaveBundle(src, m, testInfo(m)); err != nil {
		f.Fatal(err)
	}
	valid, _ := os.ReadFile(filepath.Join(src, InfoFile))
	weights, _ := os.ReadFile(filepath.Join(src, WeightsFile))
	f.Add(valid)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"config":{"num_classes":3,"growth":100000}}`))
	f.Add([]byte(`{"config":{"num_classes":3,"stem_width":8,"growth":4,"block_layers":[1,2,1],"compression":0.5,"spp_width":8,"spp_grids":[1,2],"decoder_width":8},"classes":["a","b","c"],"std":[1,1,1],"temperature":2}`))
	f.Fuzz(func(t *testing.T, info []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, InfoFile), info, 0o644)
		os.WriteFile(filepath.Join(dir, WeightsFile), weights, 0o644)
		b, err := LoadBundle(dir)
		if err != nil {
			return
		}
		if b.Model == nil || len(b.Info.Classes) != b.Model.Config().NumClasses {
			t.Fatalf("accepted an inconsistent bundle: %+v", b.Info)
		}
	})
}
