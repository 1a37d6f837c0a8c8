package metrics

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// Accumulators filled frame by frame over 1, 2 or 7 shards, merged in any
// order (and through a JSON round trip, as a distributed run ships them),
// give bit-identical metrics; the exact protocol's equal Exact's.
func TestAccumulatorShardsAreBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const frames, size = 23, 500
	scores := make([]float32, frames*size)
	labels := make([]uint8, frames*size)
	for i := range scores {
		labels[i] = uint8(rng.IntN(10) / 8) // ~20% anomalies
		if rng.IntN(50) == 0 {
			labels[i] = DefaultIgnore
		}
		// float16-friendly values with ties, in [0, 1]
		scores[i] = float32(rng.IntN(2000)) / 2000
		if labels[i] == 1 {
			scores[i] = min(1, scores[i]+0.3)
		}
	}
	for _, p := range []Protocol{Pooled, Fishyscapes, SMIYC, SMIYCUniform} {
		var want Summary
		for _, shards := range []int{1, 2, 7} {
			accs := make([]*Accumulator, shards)
			for i := range accs {
				accs[i], _ = NewAccumulator(p)
			}
			for f := range frames {
				a := accs[(f*5+2)%shards]
				if err := a.AddFrame(int64(f), scores[f*size:(f+1)*size], labels[f*size:(f+1)*size], DefaultIgnore); err != nil {
					t.Fatal(err)
				}
			}
			total, _ := NewAccumulator(p)
			for i := shards - 1; i >= 0; i-- {
				raw, err := json.Marshal(accs[i])
				if err != nil {
					t.Fatal(err)
				}
				var back Accumulator
				if err := json.Unmarshal(raw, &back); err != nil {
					t.Fatal(err)
				}
				if err := total.Merge(&back); err != nil {
					t.Fatal(err)
				}
			}
			got, err := total.Result()
			if err != nil {
				t.Fatal(err)
			}
			if shards == 1 {
				want = got
			} else if got.Binary != want.Binary || got.Images != frames {
				t.Errorf("%s: %d shards %+v, one %+v", p, shards, got, want)
			}
		}
		if p == Pooled {
			ex, _ := Exact(scores, labels, DefaultIgnore)
			if want.Binary != ex {
				t.Errorf("exact accumulator %+v, Exact %+v", want.Binary, ex)
			}
		}
	}
	if _, err := NewAccumulator(PerImage); err == nil {
		t.Error("per-image accumulator accepted")
	}
}
