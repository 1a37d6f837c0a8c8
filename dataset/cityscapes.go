package dataset

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// CityscapesClasses are the 19 Cityscapes training classes, in trainId order.
var CityscapesClasses = []string{
	"road", "sidewalk", "building", "wall", "fence", "pole", "traffic light",
	"traffic sign", "vegetation", "terrain", "sky", "person", "rider", "car",
	"truck", "bus", "train", "motorcycle", "bicycle",
}

// CityscapesColors is the official Cityscapes palette of the 19 classes.
var CityscapesColors = [][3]uint8{
	{128, 64, 128}, {244, 35, 232}, {70, 70, 70}, {102, 102, 156}, {190, 153, 153},
	{153, 153, 153}, {250, 170, 30}, {220, 220, 0}, {107, 142, 35}, {152, 251, 152},
	{70, 130, 180}, {220, 20, 60}, {255, 0, 0}, {0, 0, 142}, {0, 0, 70},
	{0, 60, 100}, {0, 80, 100}, {0, 0, 230}, {119, 11, 32},
}

// cityscapesTrainID maps Cityscapes labelIds 0..33 to trainIds (255 =
// ignored), as in cityscapesScripts' helpers/labels.py: e.g. 7 road -> 0,
// 8 sidewalk -> 1, 11 building -> 2, 26 car -> 13, 33 bicycle -> 18; ground,
// parking, rail track, guard rail, bridge, tunnel, polegroup, caravan and
// trailer are ignored.
var cityscapesTrainID = [34]uint8{
	255, 255, 255, 255, 255, 255, 255, // 0 unlabeled .. 6 ground
	0, 1, 255, 255, // 7 road, 8 sidewalk, 9 parking, 10 rail track
	2, 3, 4, 255, 255, 255, // 11 building, 12 wall, 13 fence, 14 guard rail, 15 bridge, 16 tunnel
	5, 255, 6, 7, // 17 pole, 18 polegroup, 19 traffic light, 20 traffic sign
	8, 9, 10, 11, 12, 13, 14, 15, // 21 vegetation .. 28 bus
	255, 255, 16, 17, 18, // 29 caravan, 30 trailer, 31 train, 32 motorcycle, 33 bicycle
}

// cityscapesMeta is the Meta of every reader whose classes are Cityscapes'.
func cityscapesMeta(name string, unknown bool) *Meta {
	m := &Meta{
		Name:         name,
		Classes:      append([]string(nil), CityscapesClasses...),
		Colors:       append([][3]uint8(nil), CityscapesColors...),
		IgnoreLabel:  DefaultIgnoreLabel,
		AnomalyLabel: DefaultAnomalyLabel,
	}
	if unknown {
		m.UnknownLabel = DefaultUnknownLabel
	}
	return m
}

// DefaultUnknownLabel is the value readers use for "inlier, class not
// annotated" (see Meta.UnknownLabel).
const DefaultUnknownLabel = 253

func newLUT() *labelLUT {
	var l labelLUT
	for v := range l {
		l[v] = -1
	}
	return &l
}

func init() {
	readers["cityscapes"] = openCityscapes
}

// openCityscapes reads the official Cityscapes layout (cityscapesScripts,
// gtFine_trainvaltest.zip + leftImg8bit_trainvaltest.zip):
//
//	ROOT/leftImg8bit/{train,val,test}/<city>/<city>_<seq>_<frame>_leftImg8bit.png
//	ROOT/gtFine/{train,val,test}/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png
//	ROOT/disparity/<split>/<city>/*_disparity.png + ROOT/camera/<split>/<city>/*_camera.json  (optional)
//
// labelIds become the 19 trainIds; everything else is ignore (255).
func openCityscapes(root string) (*Dataset, error) {
	m := cityscapesMeta("cityscapes", false)
	lut := newLUT()
	for id, t := range cityscapesTrainID {
		lut[id] = int16(t)
	}
	// License plates have labelId -1; tools that write them as uint8 give
	// 255. Treat that value as void too.
	lut[255] = int16(m.IgnoreLabel)
	d := &Dataset{Kind: "cityscapes", Root: root, Meta: m}
	for _, split := range []string{SplitTrain, SplitVal, SplitTest} {
		imgDir := filepath.Join(root, "leftImg8bit", split)
		if !isDir(imgDir) {
			continue
		}
		d.addSplit(split, func() (*Split, error) {
			s := &Split{Name: split, Meta: m, lut: lut}
			err := listPairs(s, imgDir, "_leftImg8bit.png", func(rel, base string) Entry {
				return Entry{
					Label:  filepath.Join(root, "gtFine", split, rel, base+"_gtFine_labelIds.png"),
					Depth:  filepath.Join(root, "disparity", split, rel, base+"_disparity.png"),
					Camera: filepath.Join(root, "camera", split, rel, base+"_camera.json"),
				}
			})
			if isDir(filepath.Join(root, "disparity", split)) {
				s.depth = disparityDepth
			} else {
				for i := range s.Entries {
					s.Entries[i].Depth, s.Entries[i].Camera = "", ""
				}
			}
			return s, err
		})
	}
	if len(d.names) == 0 {
		return nil, fileErr(root, ErrLayout, "no leftImg8bit/{train,val,test} directory (Cityscapes layout)")
	}
	return d, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// listPairs walks imgDir recursively for files ending in suffix and appends
// one entry per image, sorted by relative path. paths gives the other files
// of an image from its directory relative to imgDir and its base name (file
// name without suffix). The entry ID is rel/base.
func listPairs(s *Split, imgDir, suffix string, paths func(rel, base string) Entry) error {
	var found []string
	err := filepath.WalkDir(imgDir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !de.IsDir() && strings.HasSuffix(de.Name(), suffix) {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		return fileErr(imgDir, ErrLayout, "%v", err)
	}
	sort.Strings(found)
	for _, p := range found {
		rel, _ := filepath.Rel(imgDir, filepath.Dir(p))
		base := strings.TrimSuffix(filepath.Base(p), suffix)
		e := paths(rel, base)
		e.ID = filepath.ToSlash(filepath.Join(rel, base))
		e.Image = p
		if _, err := os.Stat(e.Label); err != nil {
			e.err = fileErr(p, ErrMissingLabel, "no %s", e.Label)
		}
		s.Entries = append(s.Entries, e)
	}
	if len(found) == 0 {
		s.Problems = append(s.Problems, fileErr(imgDir, ErrLayout, "no *%s files", suffix))
	}
	return nil
}

// cameraJSON is the part of a Cityscapes/LostAndFound *_camera.json file
// used to turn disparity into depth.
type cameraJSON struct {
	Extrinsic struct {
		Baseline float64 `json:"baseline"` // metres
	} `json:"extrinsic"`
	Intrinsic struct {
		Fx float64 `json:"fx"` // pixels
	} `json:"intrinsic"`
}

// disparityDepth converts a Cityscapes-convention disparity map into depth
// in metres. cityscapesScripts' README (also used by LostAndFound, which is
// "designed analogous to Cityscapes", tensorflow_datasets lost_and_found):
// "for each pixel p with p > 0: d = (float(p) - 1.) / 256., while a value
// p = 0 is an invalid measurement". Depth is baseline·fx / d with baseline
// and fx from the frame's *_camera.json; d <= 0 gives 0 (unknown).
func disparityDepth(e *Entry, w, h int) ([]float32, error) {
	dw, dh, raw, err := ReadGray16(e.Depth)
	if err != nil {
		return nil, err
	}
	if dw != w || dh != h {
		return nil, fileErr(e.Depth, ErrSizeMismatch, "disparity map is %dx%d, image is %dx%d", dw, dh, w, h)
	}
	b, err := readFile(e.Camera)
	if err != nil {
		return nil, err
	}
	var cam cameraJSON
	if err := json.Unmarshal(b, &cam); err != nil {
		return nil, fileErr(e.Camera, ErrCorrupt, "%v", err)
	}
	if cam.Extrinsic.Baseline <= 0 || cam.Intrinsic.Fx <= 0 {
		return nil, fileErr(e.Camera, ErrCorrupt, "baseline %g m and fx %g px must be positive", cam.Extrinsic.Baseline, cam.Intrinsic.Fx)
	}
	bf := cam.Extrinsic.Baseline * cam.Intrinsic.Fx
	out := make([]float32, len(raw))
	for i, p := range raw {
		if p > 1 {
			out[i] = float32(bf * 256 / float64(p-1))
		}
	}
	return out, nil
}
