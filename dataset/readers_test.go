package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fixture trees below mirror each benchmark's real on-disk layout (see the
// reader doc comments for the sources); images are tiny.
const rw, rh = 4, 2

func loadAll(t *testing.T, s *Split) []*Sample {
	t.Helper()
	var out []*Sample
	for i := 0; i < s.Len(); i++ {
		smp, err := s.Load(i)
		if err != nil {
			t.Fatalf("split %s sample %d: %v", s.Name, i, err)
		}
		out = append(out, smp)
	}
	return out
}

func mustSplit(t *testing.T, spec, split string) *Split {
	t.Helper()
	d, err := Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Split(split)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func eqLabels(t *testing.T, what string, got, want []uint8) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s: labels %v, want %v", what, got, want)
	}
}

func writeCamera(t *testing.T, path string, baseline, fx float64) {
	writeFile(t, path, fmt.Sprintf(`{"extrinsic": {"baseline": %g, "pitch": 0.038, "roll": 0.0, "x": 1.7, "y": 0.1, "yaw": -0.02, "z": 1.18},
 "intrinsic": {"fx": %g, "fy": %g, "u0": 1050.0, "v0": 500.0}}`, baseline, fx, fx))
}

func TestCityscapes(t *testing.T) {
	root := t.TempDir()
	base := "aachen_000000_000019"
	writeRGB(t, filepath.Join(root, "leftImg8bit/train/aachen", base+"_leftImg8bit.png"), rw, rh, 1)
	// labelIds road, sidewalk, car, unlabeled / bicycle, sky, parking, license-plate-free.
	writeGray8(t, filepath.Join(root, "gtFine/train/aachen", base+"_gtFine_labelIds.png"), rw, rh,
		[]uint8{7, 8, 26, 0, 33, 23, 9, 24})
	// Also present in the real release; the reader must ignore them.
	writeGray8(t, filepath.Join(root, "gtFine/train/aachen", base+"_gtFine_instanceIds.png"), rw, rh, fill(rw*rh, 0))
	writeFile(t, filepath.Join(root, "gtFine/train/aachen", base+"_gtFine_polygons.json"), "{}")
	vbase := "frankfurt_000000_000294"
	writeRGB(t, filepath.Join(root, "leftImg8bit/val/frankfurt", vbase+"_leftImg8bit.png"), rw, rh, 2)
	writeGray8(t, filepath.Join(root, "gtFine/val/frankfurt", vbase+"_gtFine_labelIds.png"), rw, rh, fill(rw*rh, 11))
	writeGray16(t, filepath.Join(root, "disparity/val/frankfurt", vbase+"_disparity.png"), rw, rh,
		[]uint16{0, 1, 2, 257, 2561, 5121, 10241, 65535})
	writeCamera(t, filepath.Join(root, "camera/val/frankfurt", vbase+"_camera.json"), 0.209313, 2262.52)

	tr := mustSplit(t, "cityscapes:"+root, "train")
	smp := loadAll(t, tr)
	if len(smp) != 1 || smp[0].ID != "aachen/"+base || smp[0].Depth != nil {
		t.Fatalf("train: %+v", smp)
	}
	eqLabels(t, "trainIds", smp[0].Labels, []uint8{0, 1, 13, 255, 18, 10, 255, 11})

	va := mustSplit(t, "cityscapes:"+root, "val")
	v := loadAll(t, va)[0]
	bf := 0.209313 * 2262.52
	for i, p := range []uint16{0, 1, 2, 257, 2561, 5121, 10241, 65535} {
		want := 0.0
		if p > 1 {
			want = bf / ((float64(p) - 1) / 256)
		}
		if math.Abs(float64(v.Depth[i])-want) > 1e-3*want {
			t.Errorf("disparity %d: depth %g, want %g", p, v.Depth[i], want)
		}
	}
	// 257 -> d = 1 px -> 473.6 m; 2561 -> 10 px -> 47.4 m.
	if d := v.Depth[4]; d < 47 || d > 48 {
		t.Errorf("disparity 10 px gives %g m", d)
	}

	// Invalid labelId 40 and a missing gtFine file.
	writeGray8(t, filepath.Join(root, "gtFine/train/aachen", base+"_gtFine_labelIds.png"), rw, rh, fill(rw*rh, 40))
	writeRGB(t, filepath.Join(root, "leftImg8bit/train/aachen", "aachen_000001_000019_leftImg8bit.png"), rw, rh, 3)
	st := Check(mustSplit(t, "cityscapes:"+root, "train"), 1)
	if len(st.Errors) != 2 || !errors.Is(st.Errors[0], ErrLabelValue) || !errors.Is(st.Errors[1], ErrMissingLabel) {
		t.Fatalf("errors %v", st.Errors)
	}
}

func TestStreetHazards(t *testing.T) {
	root := t.TempDir()
	writeRGB(t, filepath.Join(root, "train/images/training/t1-3/300.png"), rw, rh, 1)
	writeGray8(t, filepath.Join(root, "train/annotations/training/t1-3/300.png"), rw, rh, []uint8{1, 2, 8, 13, 0, 11, 9, 10})
	writeRGB(t, filepath.Join(root, "train/images/validation/t4/10.png"), rw, rh, 2)
	writeGray8(t, filepath.Join(root, "train/annotations/validation/t4/10.png"), rw, rh, fill(rw*rh, 8))
	writeRGB(t, filepath.Join(root, "test/images/test/t5/7.png"), rw, rh, 3)
	writeGray8(t, filepath.Join(root, "test/annotations/test/t5/7.png"), rw, rh, []uint8{8, 8, 14, 14, 1, 1, 1, 1})
	writeRGB(t, filepath.Join(root, "test/images/test/t6/2.png"), rw, rh, 4)
	writeGray8(t, filepath.Join(root, "test/annotations/test/t6/2.png"), rw, rh, fill(rw*rh, 14))
	writeFile(t, filepath.Join(root, "train/train.odgt"), "[]") // index files of the release are ignored

	d, err := Open("streethazards:" + root)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Meta.Classes) != 13 || d.Meta.Classes[7] != "road" {
		t.Fatalf("classes %v", d.Meta.Classes)
	}
	tr := loadAll(t, mustSplit(t, "streethazards:"+root, "train"))
	if tr[0].ID != "t1-3/300" {
		t.Fatalf("id %s", tr[0].ID)
	}
	eqLabels(t, "train", tr[0].Labels, []uint8{0, 1, 7, 12, 255, 10, 8, 9})
	te := loadAll(t, mustSplit(t, "streethazards:"+root, "test"))
	if len(te) != 2 || te[0].ID != "t5/7" || te[1].ID != "t6/2" {
		t.Fatalf("test ids %s %s", te[0].ID, te[1].ID)
	}
	eqLabels(t, "test", te[0].Labels, []uint8{7, 7, 254, 254, 0, 0, 0, 0})
	if n := mustSplit(t, "streethazards:"+root, "val").Len(); n != 1 {
		t.Fatalf("val has %d", n)
	}
	// An anomaly (14) in the training annotations is an error.
	writeGray8(t, filepath.Join(root, "train/annotations/training/t1-3/300.png"), rw, rh, fill(rw*rh, 14))
	if _, err := mustSplit(t, "streethazards:"+root, "train").Load(0); !errors.Is(err, ErrAnomalyInTrain) {
		t.Fatalf("anomaly in train: %v", err)
	}
}

func TestFishyscapes(t *testing.T) {
	root := t.TempDir()
	for i, sub := range []string{"LostAndFound", "Static"} {
		writeRGB(t, filepath.Join(root, sub, "original", "0.png"), rw, rh, i)
		writeRGB(t, filepath.Join(root, sub, "original", "1.png"), rw, rh, i+5)
		writeGray8(t, filepath.Join(root, sub, "labels", "0.png"), rw, rh, []uint8{0, 0, 1, 1, 255, 255, 0, 1})
		writeGray8(t, filepath.Join(root, sub, "labels", "1.png"), rw, rh, fill(rw*rh, 0))
	}
	for _, spec := range []string{"fishyscapes-laf:" + root, "fishyscapes-static:" + root, "fishyscapes-static:" + filepath.Join(root, "Static")} {
		s := mustSplit(t, spec, "test")
		smp := loadAll(t, s)
		if len(smp) != 2 || smp[0].ID != "0" {
			t.Fatalf("%s: %d samples", spec, len(smp))
		}
		eqLabels(t, spec, smp[0].Labels, []uint8{253, 253, 254, 254, 255, 255, 253, 254})
		if s.Meta.UnknownLabel != 253 || len(s.Meta.Classes) != 19 {
			t.Fatalf("meta %+v", s.Meta)
		}
	}
	writeGray8(t, filepath.Join(root, "Static", "labels", "1.png"), rw, rh, fill(rw*rh, 2))
	if _, err := mustSplit(t, "fishyscapes-static:"+root, "test").Load(1); !errors.Is(err, ErrLabelValue) {
		t.Fatalf("value 2: %v", err)
	}
}

// encodeSolidWebP writes a lossless WebP (VP8L) of one colour: no
// transforms, no colour cache, and five one-symbol "simple" prefix codes,
// so every pixel costs zero bits (WebP lossless bitstream spec, RFC 9649
// sections 3.1-3.7). Go has a WebP decoder but no encoder.
func encodeSolidWebP(w, h int, r, g, b uint8) []byte {
	var bits []bool
	put := func(v uint32, n int) {
		for i := 0; i < n; i++ {
			bits = append(bits, v>>i&1 == 1)
		}
	}
	put(uint32(w-1), 14)
	put(uint32(h-1), 14)
	put(0, 1)                                   // alpha_is_used hint
	put(0, 3)                                   // version
	put(0, 1)                                   // no transform
	put(0, 1)                                   // no colour cache
	put(0, 1)                                   // no meta prefix codes
	for _, sym := range []uint8{g, r, b, 255} { // green, red, blue, alpha
		put(1, 1) // simple code
		put(0, 1) // one symbol
		put(1, 1) // 8-bit symbol
		put(uint32(sym), 8)
	}
	put(1, 1) // distance: simple code, one 1-bit symbol 0
	put(0, 1)
	put(0, 1)
	put(0, 1)
	data := []byte{0x2f}
	for i := 0; i < len(bits); i += 8 {
		var c byte
		for j := 0; j < 8 && i+j < len(bits); j++ {
			if bits[i+j] {
				c |= 1 << j
			}
		}
		data = append(data, c)
	}
	if len(data)%2 == 1 {
		data = append(data, 0)
	}
	var buf bytes.Buffer
	buf.WriteString("RIFF")
	binary.Write(&buf, binary.LittleEndian, uint32(4+8+len(data)))
	buf.WriteString("WEBPVP8L")
	binary.Write(&buf, binary.LittleEndian, uint32(len(data)))
	buf.Write(data)
	return buf.Bytes()
}

func TestSMIYC(t *testing.T) {
	root := t.TempDir()
	// AnomalyTrack: jpg frames; only validation frames have labels.
	at := filepath.Join(root, "dataset_AnomalyTrack")
	writeFile(t, filepath.Join(at, "images", "validation0000.jpg"), string(encodeJPEG(t, false)))
	writeFile(t, filepath.Join(at, "images", "airplane0000.jpg"), string(encodeJPEG(t, false)))
	writeGray8(t, filepath.Join(at, "labels_masks", "validation0000_labels_semantic.png"), 16, 8, stripes(16, 8, 0, 1, 255))
	writeRGB(t, filepath.Join(at, "labels_masks", "validation0000_labels_semantic_color.png"), 16, 8, 0)
	// ObstacleTrack: webp frames; void everywhere off the road.
	ot := filepath.Join(root, "dataset_ObstacleTrack")
	writeFile(t, filepath.Join(ot, "images", "validation_1.webp"), string(encodeSolidWebP(rw, rh, 90, 80, 70)))
	writeGray8(t, filepath.Join(ot, "labels_masks", "validation_1_labels_semantic.png"), rw, rh, []uint8{255, 255, 255, 255, 0, 1, 1, 0})
	// LostAndFound-noKnown: png frames.
	lf := filepath.Join(root, "dataset_LostAndFound")
	writeRGB(t, filepath.Join(lf, "images", "04_Maurener_Weg_8_000002_000140.png"), rw, rh, 3)
	writeGray8(t, filepath.Join(lf, "labels_masks", "04_Maurener_Weg_8_000002_000140_labels_semantic.png"), rw, rh, fill(rw*rh, 0))

	s := mustSplit(t, "smiyc-anomaly:"+root, "test")
	if s.Len() != 1 || s.Excluded != 1 || s.Entries[0].ID != "validation0000" {
		t.Fatalf("anomaly track: %d entries, %d excluded", s.Len(), s.Excluded)
	}
	a := loadAll(t, s)[0]
	if a.Labels[0] != 253 || a.Labels[1] != 254 || a.Labels[2] != 255 {
		t.Fatalf("anomaly labels %v", a.Labels[:3])
	}
	o := loadAll(t, mustSplit(t, "smiyc-obstacle:"+ot, "test"))[0]
	eqLabels(t, "obstacle", o.Labels, []uint8{255, 255, 255, 255, 253, 254, 254, 253})
	if !bytes.Equal(o.Image.Pix[:3], []uint8{90, 80, 70}) {
		t.Fatalf("webp pixel %v", o.Image.Pix[:3])
	}
	l := loadAll(t, mustSplit(t, "smiyc-laf:"+root, "test"))
	if len(l) != 1 || l[0].ID != "04_Maurener_Weg_8_000002_000140" {
		t.Fatalf("laf: %+v", l)
	}
}

func TestBSB(t *testing.T) {
	root := t.TempDir()
	add := func(split, id string, raw []uint8) {
		writeRGB(t, filepath.Join(root, split, "images", id+".png"), rw, rh, len(id))
		writeGray8(t, filepath.Join(root, split, "annotations", id+".png"), rw, rh, raw)
	}
	add("train", "0001", []uint8{0, 1, 2, 3, 4, 6, 8, 14})
	add("train", "0002", []uint8{3, 3, 3, 7, 7, 3, 3, 3}) // boat: held out
	add("train", "0003", []uint8{3, 5, 5, 3, 1, 1, 1, 1}) // harbour: held out
	add("val", "0100", fill(rw*rh, 13))
	add("test", "0200", []uint8{3, 3, 7, 5, 1, 1, 0, 14})

	d, err := Open("bsb:" + root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"street", "permeable area", "lake", "swimming pool", "vehicle", "sports court",
		"soccer field", "commercial building", "commercial building block", "residential building", "house", "small construction"}
	if strings.Join(d.Meta.Classes, "|") != strings.Join(want, "|") {
		t.Fatalf("classes %v", d.Meta.Classes)
	}
	tr, _ := d.Split("train")
	if tr.Len() != 1 || tr.Excluded != 2 {
		t.Fatalf("train %d kept, %d excluded", tr.Len(), tr.Excluded)
	}
	eqLabels(t, "train", loadAll(t, tr)[0].Labels, []uint8{255, 0, 1, 2, 3, 4, 5, 11})
	te, _ := d.Split("test")
	eqLabels(t, "test", loadAll(t, te)[0].Labels, []uint8{2, 2, 254, 254, 0, 0, 255, 11})
	if st := Check(te, 1); st.AnomalyPixels != 2 || len(st.Errors) != 0 {
		t.Fatalf("test stats %+v", st)
	}
}

func TestLostAndFound(t *testing.T) {
	root := t.TempDir()
	seq, id := "04_Maurener_Weg_8", "04_Maurener_Weg_8_000000_000030"
	writeRGB(t, filepath.Join(root, "leftImg8bit/test", seq, id+"_leftImg8bit.png"), rw, rh, 1)
	writeGray8(t, filepath.Join(root, "gtCoarse/test", seq, id+"_gtCoarse_labelIds.png"), rw, rh, []uint8{0, 0, 1, 1, 1, 5, 5, 43})
	writeGray8(t, filepath.Join(root, "gtCoarse/test", seq, id+"_gtCoarse_instanceIds.png"), rw, rh, fill(rw*rh, 0))
	writeGray16(t, filepath.Join(root, "disparity/test", seq, id+"_disparity.png"), rw, rh, []uint16{0, 0, 5121, 2561, 1281, 5121, 5121, 0})
	writeCamera(t, filepath.Join(root, "camera/test", seq, id+"_camera.json"), 0.21, 2300)
	tseq, tid := "01_Hanns_Klemm_Str_45", "01_Hanns_Klemm_Str_45_000000_000060"
	writeRGB(t, filepath.Join(root, "leftImg8bit/train", tseq, tid+"_leftImg8bit.png"), rw, rh, 2)
	writeGray8(t, filepath.Join(root, "gtCoarse/train", tseq, tid+"_gtCoarse_labelIds.png"), rw, rh, fill(rw*rh, 1))
	writeGray16(t, filepath.Join(root, "disparity/train", tseq, tid+"_disparity.png"), rw, rh, make([]uint16, rw*rh))

	d, err := Open("lostandfound:" + root)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.SplitNames(), ","); got != "val,test" {
		t.Fatalf("splits %s", got)
	}
	smp := loadAll(t, mustSplit(t, "lostandfound:"+root, "test"))[0]
	eqLabels(t, "laf", smp.Labels, []uint8{255, 255, 0, 0, 0, 254, 254, 254})
	// depth = 0.21 * 2300 / ((p-1)/256): 20 px -> 24.15 m, 10 px -> 48.3 m, 5 px -> 96.6 m.
	for i, want := range []float64{0, 0, 24.15, 48.3, 96.6, 24.15, 24.15, 0} {
		if math.Abs(float64(smp.Depth[i])-want) > 1e-3 {
			t.Errorf("depth[%d] = %g, want %g", i, smp.Depth[i], want)
		}
	}
	// The train directory (split val) has no camera files: named in the error.
	_, err = mustSplit(t, "lostandfound:"+root, "val").Load(0)
	var fe *FileError
	if !errors.Is(err, ErrMissingFile) || !errors.As(err, &fe) || !strings.HasSuffix(fe.Path, tid+"_camera.json") {
		t.Fatalf("missing camera: %v", err)
	}
	if _, err := os.Stat(fe.Path); err == nil {
		t.Fatal("camera file exists")
	}
}
