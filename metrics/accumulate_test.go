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
		scores[i] = float32(rng.IntN(200000)) / 200000
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
	// Exact's large-input path sums AP per bucket; the accumulator follows
	// it, bit for bit.
	defer func(v int) { smallExactMax = v }(smallExactMax)
	smallExactMax = 1000
	acc, _ := NewAccumulator(Pooled)
	for f := range frames {
		_ = acc.AddFrame(int64(f), scores[f*size:(f+1)*size], labels[f*size:(f+1)*size], DefaultIgnore)
	}
	got, _ := acc.Result()
	if ex, _ := Exact(scores, labels, DefaultIgnore); got.Binary != ex {
		t.Errorf("bucketed: accumulator %+v, Exact %+v", got.Binary, ex)
	}
	if _, err := NewAccumulator(PerImage); err == nil {
		t.Error("per-image accumulator accepted")
	}
}

func TestScoreCountsEncoding(t *testing.T) {
	c := NewScoreCounts()
	_ = c.Add([]float32{0.5, 0.25, 0.5, -1, 3}, []uint8{1, 0, 0, 1, DefaultIgnore}, DefaultIgnore)
	b, _ := c.MarshalBinary()
	var back ScoreCounts
	if err := back.UnmarshalBinary(b); err != nil || back.seen != 5 || back.Len() != 3 || back.runs[0].pos[2] != 1 || back.runs[0].neg[2] != 1 {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	for i := range len(b) { // every truncation is refused, never a panic
		if err := new(ScoreCounts).UnmarshalBinary(b[:i]); err == nil {
			t.Fatalf("truncated at %d accepted", i)
		}
	}
	if err := new(ScoreCounts).UnmarshalBinary(append(b, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

func FuzzScoreCountsUnmarshal(f *testing.F) {
	c := NewScoreCounts()
	_ = c.Add([]float32{0.5, 0.25}, []uint8{1, 0}, DefaultIgnore)
	b, _ := c.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var c ScoreCounts
		if c.UnmarshalBinary(b) == nil {
			again, _ := c.MarshalBinary()
			var d ScoreCounts
			if err := d.UnmarshalBinary(again); err != nil || d.Len() != c.Len() {
				t.Fatalf("re-encoding fails: %v", err)
			}
		}
	})
}
