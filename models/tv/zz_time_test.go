package tv

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

func TestZZTime(t *testing.T) {
	m, _ := New("deeplabv3_mobilenet_v3_large", 21, rand.New(rand.NewPCG(1, 1)))
	nn.Eval(m)
	defer autograd.NoGrad()()
	x := autograd.Const(tensor.New(1, 3, 512, 1024))
	for it := 0; it < 4; it++ {
		t0 := time.Now()
		_, y := m.mobile.forward(x)
		t1 := time.Now()
		layers := m.classifier.Layers
		z := layers[0].Forward(y)
		t2 := time.Now()
		for _, l := range layers[1:] {
			z = l.Forward(z)
		}
		t3 := time.Now()
		t.Logf("backbone %v aspp %v rest %v", t1.Sub(t0), t2.Sub(t1), t3.Sub(t2))
	}
}
