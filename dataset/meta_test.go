package dataset

import (
	"testing"
)

func TestMetaUnknownLabel(t *testing.T) {
	ok := &Meta{Name: "x", Classes: []string{"a", "b"}, IgnoreLabel: 255, AnomalyLabel: 254, UnknownLabel: 253}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteMeta(dir, ok); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMeta(dir)
	if err != nil || got.UnknownLabel != 253 {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for _, u := range []int{1, 254, 255, 256} {
		m := *ok
		m.UnknownLabel = u
		if m.Validate() == nil {
			t.Errorf("unknown_label %d accepted", u)
		}
	}
	// The generic format accepts the unknown label once declared.
	lut := folderLUT(ok)
	if lut[253] != 253 || lut[2] != -1 {
		t.Fatalf("lut %d %d", lut[253], lut[2])
	}
}
