package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

func init() {
	readers["folder"] = OpenFolder // explicit form of a plain DIR
	readers["streethazards"] = openStreetHazards
	readers["fishyscapes-laf"] = func(root string) (*Dataset, error) {
		return openFishyscapes(root, "LostAndFound", "fishyscapes-laf")
	}
	readers["fishyscapes-static"] = func(root string) (*Dataset, error) {
		return openFishyscapes(root, "Static", "fishyscapes-static")
	}
	readers["smiyc-anomaly"] = func(root string) (*Dataset, error) {
		return openSMIYC(root, "dataset_AnomalyTrack", "smiyc-anomaly")
	}
	readers["smiyc-obstacle"] = func(root string) (*Dataset, error) {
		return openSMIYC(root, "dataset_ObstacleTrack", "smiyc-obstacle")
	}
	readers["smiyc-laf"] = func(root string) (*Dataset, error) {
		return openSMIYC(root, "dataset_LostAndFound", "smiyc-laf")
	}
	readers["bsb"] = openBSB
	readers["lostandfound"] = openLostAndFound
}

// StreetHazardsClasses are the 13 inlier classes of StreetHazards (Hendrycks
// et al., anomaly-seg), in the order of the annotation values 1..13;
// "unlabeled" is CARLA's catch-all (mostly sky) and is a regular class in
// the benchmark's closed-set training.
var StreetHazardsClasses = []string{
	"unlabeled", "building", "fence", "other", "pedestrian", "pole", "road line",
	"road", "sidewalk", "vegetation", "car", "wall", "traffic sign",
}

// openStreetHazards reads the layout of streethazards_train.tar and
// streethazards_test.tar extracted side by side:
//
//	ROOT/train/images/training/t1-3/*.png   ROOT/train/annotations/training/t1-3/*.png
//	ROOT/train/images/validation/t4/*.png   ROOT/train/annotations/validation/t4/*.png
//	ROOT/test/images/test/{t5,t6}/*.png     ROOT/test/annotations/test/{t5,t6}/*.png
//
// Annotation value v is class v-1 (anomaly-seg's segm_transform subtracts
// 1), so 1..13 are the classes above, 14 is the anomaly class of the test
// split, and 0 (-1 after the shift, ignore_index) is void.
func openStreetHazards(root string) (*Dataset, error) {
	m := &Meta{Name: "streethazards", Classes: append([]string(nil), StreetHazardsClasses...),
		IgnoreLabel: DefaultIgnoreLabel, AnomalyLabel: DefaultAnomalyLabel}
	lut := newLUT()
	lut[0] = int16(m.IgnoreLabel)
	for v := 1; v <= 13; v++ {
		lut[v] = int16(v - 1)
	}
	lut[14] = int16(m.AnomalyLabel)
	d := &Dataset{Kind: "streethazards", Root: root, Meta: m}
	for _, sp := range []struct{ name, top, sub string }{
		{SplitTrain, "train", "training"}, {SplitVal, "train", "validation"}, {SplitTest, "test", "test"},
	} {
		imgDir := filepath.Join(root, sp.top, "images", sp.sub)
		if !isDir(imgDir) {
			continue
		}
		annDir := filepath.Join(root, sp.top, "annotations", sp.sub)
		name := sp.name
		d.addSplit(name, func() (*Split, error) {
			s := &Split{Name: name, Meta: m, lut: lut}
			err := listPairs(s, imgDir, ".png", func(rel, base string) Entry {
				return Entry{Label: filepath.Join(annDir, rel, base+".png")}
			})
			return s, err
		})
	}
	if len(d.names) == 0 {
		return nil, fileErr(root, ErrLayout, "no train/images/training, train/images/validation or test/images/test (StreetHazards layout)")
	}
	return d, nil
}

// inlierAnomalyVoidLUT is the Fishyscapes / SegmentMeIfYouCan encoding:
// 0 inlier (class not annotated), 1 anomaly, 255 void.
func inlierAnomalyVoidLUT(m *Meta) *labelLUT {
	lut := newLUT()
	lut[0] = int16(m.UnknownLabel)
	lut[1] = int16(m.AnomalyLabel)
	lut[255] = int16(m.IgnoreLabel)
	return lut
}

// openFishyscapes reads Fishyscapes LostAndFound or Static validation data
// in the layout most public loaders use (e.g. the Fishyscapes class of
// meta-ood-style code bases: root/<split>/original/<name>.png with
// root/<split>/labels/<name>.png):
//
//	ROOT/{LostAndFound,Static}/original/*.png
//	ROOT/{LostAndFound,Static}/labels/*.png     0 inlier, 1 anomaly, 255 void
//
// ROOT may also be the LostAndFound or Static directory itself. Classes are
// Cityscapes' (models are trained on Cityscapes); there is one split, test.
func openFishyscapes(root, sub, kind string) (*Dataset, error) {
	dir := root
	if !isDir(filepath.Join(dir, "original")) {
		dir = filepath.Join(root, sub)
	}
	imgDir, labDir := filepath.Join(dir, "original"), filepath.Join(dir, "labels")
	if !isDir(imgDir) {
		return nil, fileErr(root, ErrLayout, "no %s/original or original directory (Fishyscapes layout)", sub)
	}
	m := cityscapesMeta(kind, true)
	lut := inlierAnomalyVoidLUT(m)
	d := &Dataset{Kind: kind, Root: root, Meta: m}
	d.addSplit(SplitTest, func() (*Split, error) {
		s := &Split{Name: SplitTest, Meta: m, lut: lut}
		err := listPairs(s, imgDir, ".png", func(rel, base string) Entry {
			return Entry{Label: filepath.Join(labDir, rel, base+".png")}
		})
		return s, err
	})
	return d, nil
}

// openSMIYC reads a SegmentMeIfYouCan track as downloaded from
// segmentmeifyoucan.com (road-anomaly-benchmark):
//
//	ROOT/dataset_AnomalyTrack/images/*.jpg
//	ROOT/dataset_ObstacleTrack/images/*.webp
//	ROOT/dataset_LostAndFound/images/*.png
//	ROOT/<track>/labels_masks/<stem>_labels_semantic.png   0 inlier, 1 anomaly, 255 void
//
// ROOT may also be the track directory itself. Only the validation frames
// have public labels; frames without a label map (the hidden test set) are
// skipped and counted in Split.Excluded. For ObstacleTrack and
// LostAndFound-noKnown everything off the road is void (255), so the
// region of interest "road only" is exactly the non-ignored pixels.
func openSMIYC(root, track, kind string) (*Dataset, error) {
	dir := root
	if !isDir(filepath.Join(dir, "labels_masks")) {
		dir = filepath.Join(root, track)
	}
	imgDir, labDir := filepath.Join(dir, "images"), filepath.Join(dir, "labels_masks")
	if !isDir(imgDir) || !isDir(labDir) {
		return nil, fileErr(root, ErrLayout, "no %s/images and %s/labels_masks (SegmentMeIfYouCan layout)", track, track)
	}
	m := cityscapesMeta(kind, true)
	lut := inlierAnomalyVoidLUT(m)
	d := &Dataset{Kind: kind, Root: root, Meta: m}
	d.addSplit(SplitTest, func() (*Split, error) {
		s := &Split{Name: SplitTest, Meta: m, lut: lut,
			Note: "frames without labels_masks/*_labels_semantic.png (hidden test set) are skipped"}
		imgs, probs, err := stemFiles(imgDir, imageExts)
		if err != nil {
			return nil, fileErr(imgDir, ErrLayout, "%v", err)
		}
		s.Problems = probs
		ids := make([]string, 0, len(imgs))
		for id := range imgs {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			lab := filepath.Join(labDir, id+"_labels_semantic.png")
			if _, err := os.Stat(lab); err != nil {
				s.Excluded++
				continue
			}
			s.Entries = append(s.Entries, Entry{ID: id, Image: filepath.Join(imgDir, imgs[id]), Label: lab})
		}
		return s, nil
	})
	return d, nil
}

// BSB aerial class ids as stored in the BSB semantic annotations (de
// Carvalho et al., "Panoptic Segmentation Meets Remote Sensing", Remote
// Sens. 2022): 0 background, three stuff classes, eleven thing classes.
var bsbRawClasses = []string{
	"background", "street", "permeable area", "lake", "swimming pool", "harbour",
	"vehicle", "boat", "sports court", "soccer field", "commercial building",
	"commercial building block", "residential building", "house", "small construction",
}

// BSB raw ids held out as anomalies (paper Section 4.1: "We extract boat and
// harbour into the OOD test set").
const (
	bsbHarbour = 5
	bsbBoat    = 7
)

// openBSB reads BSB aerial with boat and harbour held out (BSB-OOD, paper
// Section 4.1: 3000 train images -> 2840 with 12 inlier classes):
//
//	ROOT/{train,val,test}/images/<id>.{png,jpg,tif}
//	ROOT/{train,val,test}/{annotations,labels,semantic}/<id>.png   raw ids 0..14
//
// Background (0) is void. Train and val images containing any boat or
// harbour pixel are excluded (counted in Split.Excluded), as the paper
// extracts them; in test, boat and harbour pixels are anomalies. The other
// 12 classes are renumbered 0..11 in bsbRawClasses order.
func openBSB(root string) (*Dataset, error) {
	var classes []string
	lut := newLUT()
	m := &Meta{Name: "bsb-ood", IgnoreLabel: DefaultIgnoreLabel, AnomalyLabel: DefaultAnomalyLabel}
	lut[0] = int16(m.IgnoreLabel)
	for raw := 1; raw < len(bsbRawClasses); raw++ {
		if raw == bsbHarbour || raw == bsbBoat {
			lut[raw] = int16(m.AnomalyLabel)
			continue
		}
		lut[raw] = int16(len(classes))
		classes = append(classes, bsbRawClasses[raw])
	}
	m.Classes = classes
	d := &Dataset{Kind: "bsb", Root: root, Meta: m}
	for _, split := range []string{SplitTrain, SplitVal, SplitTest} {
		imgDir := filepath.Join(root, split, "images")
		if !isDir(imgDir) {
			continue
		}
		var labDir string
		for _, cand := range []string{"annotations", "labels", "semantic"} {
			if p := filepath.Join(root, split, cand); isDir(p) {
				labDir = p
				break
			}
		}
		if labDir == "" {
			return nil, fileErr(filepath.Join(root, split), ErrLayout, "no annotations, labels or semantic directory (BSB layout)")
		}
		d.addSplit(split, func() (*Split, error) {
			s := &Split{Name: split, Meta: m, lut: lut}
			imgs, probs, err := stemFiles(imgDir, imageExts)
			if err != nil {
				return nil, fileErr(imgDir, ErrLayout, "%v", err)
			}
			s.Problems = probs
			ids := make([]string, 0, len(imgs))
			for id := range imgs {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			for _, id := range ids {
				e := Entry{ID: id, Image: filepath.Join(imgDir, imgs[id]), Label: filepath.Join(labDir, id+".png")}
				if _, err := os.Stat(e.Label); err != nil {
					e.err = fileErr(e.Image, ErrMissingLabel, "no %s", e.Label)
				}
				s.Entries = append(s.Entries, e)
			}
			if split == SplitTest {
				return s, nil
			}
			s.Note = "images containing boat or harbour are held out (BSB-OOD)"
			return s, excludeHeldOut(s)
		})
	}
	if len(d.names) == 0 {
		return nil, fileErr(root, ErrLayout, "no train/images, val/images or test/images (BSB layout)")
	}
	return d, nil
}

// excludeHeldOut drops entries whose raw label map contains a held-out BSB
// class. Label maps are scanned in parallel; unreadable ones stay in the
// split so that Load and `data check` report them.
func excludeHeldOut(s *Split) error {
	drop := make([]bool, len(s.Entries))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if s.Entries[i].err != nil {
					continue
				}
				_, _, raw, err := ReadLabel(s.Entries[i].Label)
				if err != nil {
					continue
				}
				for _, v := range raw {
					if v == bsbHarbour || v == bsbBoat {
						drop[i] = true
						break
					}
				}
			}
		}()
	}
	for i := range s.Entries {
		next <- i
	}
	close(next)
	wg.Wait()
	kept := s.Entries[:0]
	for i, e := range s.Entries {
		if drop[i] {
			s.Excluded++
			continue
		}
		kept = append(kept, e)
	}
	s.Entries = kept
	return nil
}

// LostAndFound label ids (gtCoarse_labelIds): 0 background, 1 free space
// (the drivable road), 2..43 obstacle classes (crates, tyres, bobby cars,
// kid dummies, ...; see the LAF class table at 6d-vision.com/laf_table.pdf).
const lafMaxID = 43

// openLostAndFound reads the original LostAndFound release (Pinggera et
// al. 2016), laid out like Cityscapes (tensorflow_datasets lost_and_found):
//
//	ROOT/leftImg8bit/{train,test}/<scene>/<id>_leftImg8bit.png
//	ROOT/gtCoarse/{train,test}/<scene>/<id>_gtCoarse_labelIds.png
//	ROOT/disparity/{train,test}/<scene>/<id>_disparity.png   16-bit, (p-1)/256 px
//	ROOT/camera/{train,test}/<scene>/<id>_camera.json        baseline (m), fx (px)
//
// LostAndFound is an evaluation set; its test directory (1203 frames, the
// set of the paper's depth analysis, Section 5.3) is split "test" and its
// train directory is split "val". Free space becomes Cityscapes "road" (0),
// obstacles are anomalies, background is void: evaluation is on the road
// only. Depth in metres comes from the disparity maps (see disparityDepth).
func openLostAndFound(root string) (*Dataset, error) {
	m := cityscapesMeta("lostandfound", false)
	lut := newLUT()
	lut[0] = int16(m.IgnoreLabel)
	lut[1] = 0 // road
	for v := 2; v <= lafMaxID; v++ {
		lut[v] = int16(m.AnomalyLabel)
	}
	lut[255] = int16(m.IgnoreLabel)
	d := &Dataset{Kind: "lostandfound", Root: root, Meta: m}
	for _, sp := range []struct{ name, dir string }{{SplitVal, "train"}, {SplitTest, "test"}} {
		imgDir := filepath.Join(root, "leftImg8bit", sp.dir)
		if !isDir(imgDir) {
			continue
		}
		dir := sp.dir
		name := sp.name
		d.addSplit(name, func() (*Split, error) {
			s := &Split{Name: name, Meta: m, lut: lut, depth: disparityDepth,
				Note: fmt.Sprintf("LostAndFound %s directory", dir)}
			err := listPairs(s, imgDir, "_leftImg8bit.png", func(rel, base string) Entry {
				return Entry{
					Label:  filepath.Join(root, "gtCoarse", dir, rel, base+"_gtCoarse_labelIds.png"),
					Depth:  filepath.Join(root, "disparity", dir, rel, base+"_disparity.png"),
					Camera: filepath.Join(root, "camera", dir, rel, base+"_camera.json"),
				}
			})
			return s, err
		})
	}
	if len(d.names) == 0 {
		return nil, fileErr(root, ErrLayout, "no leftImg8bit/{train,test} directory (LostAndFound layout)")
	}
	return d, nil
}

// KindsHelp lists the reader kinds on one line, for command help texts.
func KindsHelp() string { return strings.Join(Kinds(), ", ") }
