package metrics

import (
	"errors"
	"fmt"
)

// Protocol selects how pixel metrics are computed over a dataset. The
// numbers benchmarks publish come from their own evaluation code, which
// does not always compute exact metrics; each protocol reproduces one.
type Protocol int

const (
	// Pooled computes exact metrics over all pixels of the dataset
	// (scikit-learn's AP; "exact" on the command line).
	Pooled Protocol = iota
	// PerImage averages the metrics of the images that contain both
	// anomaly and inlier pixels (StreetHazards).
	PerImage
	// SMIYC is the SegmentMeIfYouCan leaderboard's "PixBinaryClass":
	// per-frame percentile bins of float16 scores in [0, 1] (smiyc.go).
	SMIYC
	// SMIYCUniform is SMIYC's "PixBinaryClass-uniThr": 4096 uniform bins.
	SMIYCUniform
	// Fishyscapes is the bdl-benchmark's calculate_metrics_perpixAP:
	// exact pooled metrics of float32 scores, which on our 0/1/void labels
	// are Pooled's numbers (a fixture test checks that); named so a report
	// says which benchmark's convention it follows.
	Fishyscapes
)

var protocolNames = []string{"exact", "per-image", "smiyc", "smiyc-uniform", "fishyscapes"}

// String is the protocol's command-line name.
func (p Protocol) String() string {
	if p < 0 || int(p) >= len(protocolNames) {
		return fmt.Sprintf("Protocol(%d)", int(p))
	}
	return protocolNames[p]
}

// ProtocolNames lists the command-line names, default first.
func ProtocolNames() []string { return append([]string(nil), protocolNames...) }

// ParseProtocol reads a command-line name ("pooled" is accepted for
// exact, the name it had before the binned protocols existed).
func ParseProtocol(name string) (Protocol, error) {
	if name == "pooled" {
		return Pooled, nil
	}
	for i, n := range protocolNames {
		if n == name {
			return Protocol(i), nil
		}
	}
	return 0, fmt.Errorf("metrics: unknown protocol %q (have %v)", name, protocolNames)
}

// Binned reports whether the protocol bins float16 scores in [0, 1]
// (SMIYC's), so scores must first be mapped into that range.
func (p Protocol) Binned() bool { return p == SMIYC || p == SMIYCUniform }

// Engine selects the exact or the streaming computation.
type Engine int

const (
	EngineExact Engine = iota
	EngineStreaming
)

// DefaultKeyBits is the resolution of the streaming engine's range-free
// histogram (16 MiB of counts, 2^-11 relative bin width).
const DefaultKeyBits = 20

// Options configure Evaluate.
type Options struct {
	Ignore   uint8    // void label (DefaultIgnore)
	Protocol Protocol // Pooled (default), PerImage, SMIYC, SMIYCUniform, Fishyscapes
	Engine   Engine   // EngineExact or EngineStreaming (Pooled and PerImage only)
	KeyBits  int      // streaming resolution; 0 = DefaultKeyBits
	// FrameSizes gives each image's pixel count when images differ in
	// size (the binned protocols work per frame); nil means equal images
	// of imageSize pixels.
	FrameSizes []int
}

// Summary is the result of Evaluate. For PerImage, AP, AUROC and FPR95 are
// means over Images evaluated images; Pixels and Positives count all
// non-void pixels of the dataset. Bounds is set by the streaming engine
// (for PerImage, the mean of the per-image bounds, which bounds the error of
// the means).
type Summary struct {
	Binary
	Images  int     `json:"images"`  // images contributing
	Skipped int     `json:"skipped"` // PerImage: images without positives or negatives
	Bounds  *Bounds `json:"error_bound,omitempty"`
}

// Evaluate computes pixel-level AP, AUROC and FPR95 over a dataset of
// images of imageSize pixels each, stored one after another in scores and
// labels (imageSize = len(scores) for a single image).
func Evaluate(scores []float32, labels []uint8, imageSize int, opt Options) (Summary, error) {
	if len(scores) != len(labels) {
		return Summary{}, fmt.Errorf("%w: %d scores, %d labels", ErrShape, len(scores), len(labels))
	}
	if opt.FrameSizes != nil && opt.Protocol.Binned() {
		return smiycEvaluate(scores, labels, 0, opt)
	}
	if imageSize <= 0 || len(scores)%imageSize != 0 {
		return Summary{}, fmt.Errorf("%w: %d pixels are not whole images of %d", ErrShape, len(scores), imageSize)
	}
	bits := opt.KeyBits
	if bits == 0 {
		bits = DefaultKeyBits
	}
	nImg := len(scores) / imageSize
	switch opt.Protocol {
	case SMIYC, SMIYCUniform:
		return smiycEvaluate(scores, labels, imageSize, opt)
	case Fishyscapes:
		b, err := Exact(scores, labels, opt.Ignore)
		return Summary{Binary: b, Images: nImg}, err
	case Pooled:
		if opt.Engine == EngineExact {
			b, err := Exact(scores, labels, opt.Ignore)
			return Summary{Binary: b, Images: nImg}, err
		}
		h, err := NewKeyHistogram(bits)
		if err != nil {
			return Summary{}, err
		}
		for i := 0; i < nImg; i++ {
			if err := h.Add(scores[i*imageSize:(i+1)*imageSize], labels[i*imageSize:(i+1)*imageSize], opt.Ignore); err != nil {
				return Summary{}, fmt.Errorf("image %d: %w", i, err)
			}
		}
		b, bd, err := h.Result()
		return Summary{Binary: b, Images: nImg, Bounds: &bd}, err
	case PerImage:
		return perImage(scores, labels, imageSize, opt.Ignore, opt.Engine, bits)
	}
	return Summary{}, fmt.Errorf("metrics: unknown protocol %d", opt.Protocol)
}

func perImage(scores []float32, labels []uint8, size int, ignore uint8, eng Engine, bits int) (Summary, error) {
	var sum Summary
	var bsum Bounds
	var h *Histogram
	if eng == EngineStreaming {
		var err error
		if h, err = NewKeyHistogram(bits); err != nil {
			return Summary{}, err
		}
	}
	for i := 0; i*size < len(scores); i++ {
		s, l := scores[i*size:(i+1)*size], labels[i*size:(i+1)*size]
		var b Binary
		var bd Bounds
		var err error
		if eng == EngineExact {
			b, err = Exact(s, l, ignore)
		} else {
			h.Reset()
			if err = h.Add(s, l, ignore); err == nil {
				b, bd, err = h.Result()
			}
		}
		var p, n int64
		if err != nil {
			if !isEmptyClass(err) {
				return Summary{}, fmt.Errorf("image %d: %w", i, err)
			}
			p, n = countClasses(l, ignore)
			sum.Skipped++
		} else {
			p, n = b.Positives, b.Pixels-b.Positives
			sum.Images++
			sum.AP += b.AP
			sum.AUROC += b.AUROC
			sum.FPR95 += b.FPR95
			bsum.AP += bd.AP
			bsum.AUROC += bd.AUROC
			bsum.FPR95 += bd.FPR95
		}
		sum.Pixels += p + n
		sum.Positives += p
	}
	if sum.Images == 0 {
		return Summary{}, fmt.Errorf("%w: no image has both anomaly and inlier pixels", ErrNoPositives)
	}
	k := float64(sum.Images)
	sum.AP /= k
	sum.AUROC /= k
	sum.FPR95 /= k
	if eng == EngineStreaming {
		bsum.AP /= k
		bsum.AUROC /= k
		bsum.FPR95 /= k
		sum.Bounds = &bsum
	}
	return sum, nil
}

func isEmptyClass(err error) bool {
	return errors.Is(err, ErrNoPositives) || errors.Is(err, ErrNoNegatives)
}

func countClasses(l []uint8, ignore uint8) (p, n int64) {
	for _, v := range l {
		switch v {
		case ignore:
		case 1:
			p++
		default:
			n++
		}
	}
	return p, n
}

func smiycEvaluate(scores []float32, labels []uint8, imageSize int, opt Options) (Summary, error) {
	sizes := opt.FrameSizes
	if sizes == nil {
		sizes = make([]int, len(scores)/imageSize)
		for i := range sizes {
			sizes[i] = imageSize
		}
	}
	set := NewSMIYCSet(opt.Protocol)
	off := 0
	for i, n := range sizes {
		if n < 0 || off+n > len(scores) {
			return Summary{}, fmt.Errorf("%w: frame sizes exceed the %d pixels", ErrShape, len(scores))
		}
		fb, err := SMIYCFrame(scores[off:off+n], labels[off:off+n], opt.Ignore, opt.Protocol)
		if err != nil {
			return Summary{}, fmt.Errorf("image %d: %w", i, err)
		}
		if err := set.Add(int64(i), fb); err != nil {
			return Summary{}, err
		}
		off += n
	}
	if off != len(scores) {
		return Summary{}, fmt.Errorf("%w: frame sizes cover %d of %d pixels", ErrShape, off, len(scores))
	}
	b, err := set.Result()
	return Summary{Binary: b, Images: len(sizes)}, err
}
