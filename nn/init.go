package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/tensor"
)

// Nonlinearity selects the gain of Gain (torch.nn.init.calculate_gain).
type Nonlinearity int

// Nonlinearities known to Gain.
const (
	GainLinear Nonlinearity = iota // also conv layers without activation: gain 1
	GainSigmoid
	GainTanh
	GainReLU
	GainLeakyReLU
)

// Gain returns the recommended gain for a nonlinearity: 1 for linear and
// sigmoid, 5/3 for tanh, √2 for ReLU and √(2/(1+slope²)) for leaky ReLU.
func Gain(nl Nonlinearity, slope float64) float64 {
	switch nl {
	case GainTanh:
		return 5.0 / 3
	case GainReLU:
		return math.Sqrt2
	case GainLeakyReLU:
		return math.Sqrt(2 / (1 + slope*slope))
	}
	return 1
}

// Fans returns PyTorch's fan_in and fan_out of a weight shape: dimension 1
// and dimension 0, each times the receptive field (the product of the
// remaining dimensions). For a ConvTranspose2d weight [Ci,Co,KH,KW] fan_in
// is therefore Co·KH·KW, as in torch.
func Fans(shape []int) (fanIn, fanOut int) {
	if len(shape) < 2 {
		panic(fmt.Sprintf("nn.Fans: need at least 2 dimensions, have shape %v", shape))
	}
	rf := 1
	for _, d := range shape[2:] {
		rf *= d
	}
	return shape[1] * rf, shape[0] * rf
}

// Uniform fills t from U(lo, hi).
func Uniform(rng *rand.Rand, t *tensor.Tensor, lo, hi float64) {
	for i := range t.Data {
		t.Data[i] = float32(lo + (hi-lo)*rng.Float64())
	}
}

// Normal fills t from N(mean, std²).
func Normal(rng *rand.Rand, t *tensor.Tensor, mean, std float64) {
	for i := range t.Data {
		t.Data[i] = float32(mean + std*rng.NormFloat64())
	}
}

// KaimingUniform fills t from U(−b, b) with b = gain·√(3/fan) (He et al.,
// arXiv:1502.01852), torch's kaiming_uniform_ with mode fan_in when fan is
// the fan-in. PyTorch's default layer init is gain = Gain(GainLeakyReLU, √5),
// i.e. b = 1/√fan_in.
func KaimingUniform(rng *rand.Rand, t *tensor.Tensor, fan int, gain float64) {
	b := gain * math.Sqrt(3/float64(fan))
	Uniform(rng, t, -b, b)
}

// KaimingNormal fills t from N(0, (gain/√fan)²), torch's kaiming_normal_
// (use Gain(GainReLU, 0) and fan_out for ResNet-style conv init).
func KaimingNormal(rng *rand.Rand, t *tensor.Tensor, fan int, gain float64) {
	Normal(rng, t, 0, gain/math.Sqrt(float64(fan)))
}

// XavierUniform fills t from U(−b, b), b = gain·√(6/(fan_in+fan_out))
// (Glorot & Bengio, AISTATS 2010).
func XavierUniform(rng *rand.Rand, t *tensor.Tensor, gain float64) {
	in, out := Fans(t.Shape)
	b := gain * math.Sqrt(6/float64(in+out))
	Uniform(rng, t, -b, b)
}

// XavierNormal fills t from N(0, gain²·2/(fan_in+fan_out)).
func XavierNormal(rng *rand.Rand, t *tensor.Tensor, gain float64) {
	in, out := Fans(t.Shape)
	Normal(rng, t, 0, gain*math.Sqrt(2/float64(in+out)))
}

// Zeros sets t to 0.
func Zeros(t *tensor.Tensor) { t.Zero() }

// Ones sets t to 1.
func Ones(t *tensor.Tensor) { t.Fill(1) }

// defaultInit is PyTorch's reset_parameters for Conv and Linear layers:
// weight ~ kaiming_uniform_(a=√5) = U(±1/√fan_in), bias ~ U(±1/√fan_in).
func defaultInit(rng *rand.Rand, w, b *tensor.Tensor) {
	fanIn, _ := Fans(w.Shape)
	KaimingUniform(rng, w, fanIn, Gain(GainLeakyReLU, math.Sqrt(5)))
	if b != nil && fanIn > 0 {
		bound := 1 / math.Sqrt(float64(fanIn))
		Uniform(rng, b, -bound, bound)
	}
}
