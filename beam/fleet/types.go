package fleet

import (
	"cmp"
	"encoding/json"
	"reflect"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/nflowjs/nflowjs/metrics"
)

// Frame is one input element: an image, optionally its labels, and its
// position in the input order (which orders SMIYC's tied thresholds and
// names the outputs).
type Frame struct {
	Key int64
	// Image is the image file. With a dataset (Config.Data), Index is the
	// sample's index in the split and the labels come from the dataset.
	Image string
	Index int
	// Label is a binary label PNG (0 inlier, 1 anomaly, 255 void) for
	// list inputs without a dataset; "" if none.
	Label string
}

// DeadLetter is an element the pipeline could not process.
type DeadLetter struct {
	Key    int64  `json:"key"`
	Image  string `json:"image"`
	Reason string `json:"reason"`
}

// Mined is a frame's entry in the mining list: its most anomalous pixels'
// mean score and its largest anomaly components (with a threshold).
type Mined struct {
	Key   int64  `json:"key"`
	Image string `json:"image"`
	// TopScore is the mean score of the frame's 1% highest-scoring
	// pixels: a threshold-free measure of how anomalous it looks.
	TopScore          float64     `json:"top_score"`
	AnomalousFraction *float64    `json:"anomalous_fraction,omitempty"`
	Components        []Component `json:"components,omitempty"`
}

// Component is an anomaly region of a mined frame.
type Component struct {
	Pixels    int     `json:"pixels"`
	BBox      [4]int  `json:"bbox"`
	MeanScore float64 `json:"mean_score"`
}

// Outcome is what scoring one frame produces: its metric statistics (nil
// without labels), its mining entry, or, for a frame that failed, a dead
// letter.
type Outcome struct {
	Stats *metrics.Accumulator `json:"stats,omitempty"`
	Mined *Mined               `json:"mined,omitempty"`
	Dead  *DeadLetter          `json:"dead,omitempty"`
}

// Report is the combined result: dataset metrics (when labels were
// given), counts, the top-N mining list and every dead letter.
type Report struct {
	Stats    *metrics.Accumulator `json:"stats,omitempty"`
	Scored   int64                `json:"scored"`
	Labelled int64                `json:"labelled"`
	Failed   int64                `json:"failed"`
	TopN     int                  `json:"top_n"`
	Top      []Mined              `json:"top"`
	Dead     []DeadLetter         `json:"dead_letters"`
}

// merge adds o to r, keeping the TopN highest-scoring frames (ties by
// key, so the list does not depend on the merge order).
func (r *Report) merge(o *Report) error {
	if o.Stats != nil {
		if r.Stats == nil {
			r.Stats = o.Stats
		} else if err := r.Stats.Merge(o.Stats); err != nil {
			return err
		}
	}
	r.Scored += o.Scored
	r.Labelled += o.Labelled
	r.Failed += o.Failed
	r.Top = append(r.Top, o.Top...)
	r.trimTop()
	r.Dead = append(r.Dead, o.Dead...)
	slices.SortFunc(r.Dead, func(a, b DeadLetter) int { return cmp.Compare(a.Key, b.Key) })
	return nil
}

func (r *Report) trimTop() {
	slices.SortFunc(r.Top, func(a, b Mined) int {
		if c := cmp.Compare(b.TopScore, a.TopScore); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	if len(r.Top) > r.TopN {
		r.Top = r.Top[:r.TopN]
	}
}

// JSON coders: the accumulators hold maps and nested pointers, which
// Beam's schema coder does not take; JSON round-trips them exactly
// (float64 values print in their shortest exact form).
func encodeOutcome(o Outcome) ([]byte, error) { return json.Marshal(o) }
func decodeOutcome(b []byte) (Outcome, error) {
	var o Outcome
	err := json.Unmarshal(b, &o)
	return o, err
}
func encodeReport(r Report) ([]byte, error) { return json.Marshal(r) }
func decodeReport(b []byte) (Report, error) {
	var r Report
	err := json.Unmarshal(b, &r)
	return r, err
}

func init() {
	beam.RegisterType(reflect.TypeOf((*Frame)(nil)).Elem())
	beam.RegisterCoder(reflect.TypeOf((*Outcome)(nil)).Elem(), encodeOutcome, decodeOutcome)
	beam.RegisterCoder(reflect.TypeOf((*Report)(nil)).Elem(), encodeReport, decodeReport)
}
