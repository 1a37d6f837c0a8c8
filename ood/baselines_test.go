package ood

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/tensor"
)

// ref64 computes every Kind for one pixel in float64 from the definitions.
func ref64(kind Kind, l []float64, T float64) float64 {
	k := float64(len(l))
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, v)
	}
	p := make([]float64, len(l))
	var s float64
	for i, v := range l {
		p[i] = math.Exp((v - m) / T)
		s += p[i]
	}
	var h, maxp float64
	for i := range p {
		p[i] /= s
		maxp = math.Max(maxp, p[i])
		if p[i] > 0 {
			h -= p[i] * math.Log(p[i])
		}
	}
	switch kind {
	case NFlowJS:
		return -JSToUniform(p)
	case MSP:
		return -maxp
	case MaxLogit:
		return -m
	case Entropy:
		return h
	case Energy:
		return -T * (m/T + math.Log(s))
	case KLUniform:
		return -KLUniformTo(p)
	case ReverseKL:
		return -(math.Log(k) - h)
	case RbA:
		var r float64
		for _, v := range l {
			r -= math.Tanh(v)
		}
		return r
	case UNO: // the last channel is the negative class
		var in float64
		for _, v := range p[:len(p)-1] {
			in = math.Max(in, v)
		}
		return p[len(p)-1] - in
	}
	panic("unknown kind")
}

func TestComputeAllKinds(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for kind := Kind(0); kind < numKinds; kind++ {
		for _, shape := range [][4]int{{1, 2, 1, 1}, {2, 19, 3, 17}, {1, 5, 8, 9}, {3, 1, 2, 2}} {
			n, k, h, w := shape[0], shape[1], shape[2], shape[3]
			if kind == UNO && k < 2 {
				continue // needs an inlier and the negative channel (TestUNOErrors)
			}
			data := randLogits(r, n, k, h*w, 3)
			T := float32(1.5)
			got, err := Compute(kind, tensor.FromData(data, n, k, h, w), T)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Shape) != 3 || got.Shape[0] != n || got.Shape[1] != h || got.Shape[2] != w {
				t.Fatalf("%v: shape %v", kind, got.Shape)
			}
			l := make([]float64, k)
			for img := 0; img < n; img++ {
				for i := 0; i < h*w; i++ {
					for c := range l {
						l[c] = float64(data[(img*k+c)*h*w+i])
					}
					want := ref64(kind, l, float64(T))
					g := float64(got.Data[img*h*w+i])
					if math.Abs(g-want) > 2e-6*math.Max(1, math.Abs(want)) {
						t.Fatalf("%v %v pixel %d/%d: %v, want %v", kind, shape, img, i, g, want)
					}
				}
			}
		}
	}
}

// Anomalies are simulated by flat logits and inliers by peaked ones: every
// score must rank the flat pixels higher (orientation check).
func TestOrientation(t *testing.T) {
	const k, hw = 19, 64
	data := make([]float32, k*hw)
	labels := make([]uint8, hw)
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < hw; i++ {
		flat := i%2 == 0
		for c := 0; c < k; c++ {
			v := float32(r.NormFloat64() * 0.1)
			if !flat && c == i%k {
				v += 8
			}
			data[c*hw+i] = v
		}
		if flat {
			labels[i] = 1
		}
	}
	lt := tensor.FromData(data, 1, k, 1, hw)
	for _, name := range ScoreNames() {
		sp, _ := ParseScore(name)
		sc, ok := sp.Scorer()
		if !ok {
			continue
		}
		kind := sc.Kind
		if kind == RbA {
			// RbA reads the logits' signs, not their spread: flat logits
			// near 0 are not "rejected by all" (TestRbAByHand orders
			// rejected, claimed and ambiguous pixels).
			continue
		}
		s, err := sc.Score(lt)
		if err != nil {
			t.Fatal(err)
		}
		res, err := metrics.Exact(s.Data, labels, 255)
		if err != nil {
			t.Fatal(err)
		}
		if res.AUROC != 1 {
			t.Errorf("%v: AUROC %v on flat-vs-peaked pixels, want 1", kind, res.AUROC)
		}
	}
}

func TestComputeErrors(t *testing.T) {
	good := tensor.New(1, 3, 2, 2)
	if _, err := Compute(NFlowJS, tensor.New(3, 2, 2), 2); err == nil {
		t.Error("3-D logits accepted")
	}
	if _, err := Compute(MSP, good, 0); err == nil {
		t.Error("T = 0 accepted")
	}
	if _, err := Compute(Kind(99), good, 1); err == nil {
		t.Error("unknown kind accepted")
	}
	if err := ComputeInto(Entropy, make([]float32, 3), good.Data, 1, 3, 4, 1); err == nil {
		t.Error("short output accepted")
	}
	if _, err := ParseKind("nope"); err == nil {
		t.Error("unknown name parsed")
	}
	for kind := Kind(0); kind < numKinds; kind++ {
		if k, err := ParseKind(kind.String()); err != nil || k != kind {
			t.Errorf("ParseKind(%q) = %v, %v", kind.String(), k, err)
		}
	}
}

func TestSML(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const k, hw = 4, 500
	train := tensor.FromData(randLogits(r, 2, k, hw, 2), 2, k, 1, hw)
	fit := NewSMLFit(k)
	if err := fit.Add(train); err != nil {
		t.Fatal(err)
	}
	sml, err := fit.Finish()
	if err != nil {
		t.Fatal(err)
	}
	// Reference statistics in float64.
	cnt := make([]float64, k)
	sum := make([]float64, k)
	sq := make([]float64, k)
	for img := 0; img < 2; img++ {
		for i := 0; i < hw; i++ {
			best, arg := math.Inf(-1), 0
			for c := 0; c < k; c++ {
				if v := float64(train.Data[(img*k+c)*hw+i]); v > best {
					best, arg = v, c
				}
			}
			cnt[arg]++
			sum[arg] += best
			sq[arg] += best * best
		}
	}
	for c := 0; c < k; c++ {
		mean := sum[c] / cnt[c]
		std := math.Sqrt(sq[c]/cnt[c] - mean*mean)
		if math.Abs(float64(sml.Mean[c])-mean) > 1e-5 || math.Abs(float64(sml.Std[c])-std) > 1e-5 {
			t.Fatalf("class %d: mean/std %v/%v, want %v/%v", c, sml.Mean[c], sml.Std[c], mean, std)
		}
	}
	test := tensor.FromData(randLogits(r, 1, k, 10, 2), 1, k, 1, 10)
	s, err := sml.Score(test)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		best, arg := float32(math.Inf(-1)), 0
		for c := 0; c < k; c++ {
			if v := test.Data[c*10+i]; v > best {
				best, arg = v, c
			}
		}
		want := -(best - sml.Mean[arg]) / sml.Std[arg]
		if math.Abs(float64(s.Data[i]-want)) > 1e-5 {
			t.Fatalf("pixel %d: %v, want %v", i, s.Data[i], want)
		}
	}
	if _, err := sml.Score(tensor.New(1, 3, 1, 1)); err == nil {
		t.Error("class-count mismatch accepted")
	}
}

// RbA by hand: tanh(atanh(0.5)) = 0.5, tanh(0) = 0, and logits far below
// zero (every class rejects) give K.
func TestRbAByHand(t *testing.T) {
	a := float32(math.Atanh(0.5))
	// 3 classes, 4 pixels (planes of 4 values).
	logits := []float32{
		a, 0, -30, 40, // class 0
		a, 0, -30, -40, // class 1
		-a, 0, -30, -40, // class 2
	}
	got, err := Compute(RbA, tensor.FromData(logits, 1, 3, 1, 4), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{-0.5, 0, 3, 1}
	for i, w := range want {
		if math.Abs(float64(got.Data[i]-w)) > 1e-6 {
			t.Errorf("pixel %d: rba %v, want %v", i, got.Data[i], w)
		}
	}
}
