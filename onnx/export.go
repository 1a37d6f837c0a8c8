package onnx

import (
	"fmt"
	"math"
	"strings"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// Options select what Export writes.
type Options struct {
	H, W int // input size (fixed)
	// Score names the anomaly score ("" = the bundle's); Temperature > 0
	// replaces its temperature. Exportable: js, msp, maxlogit, and uno
	// for a model with a negative class.
	Score       string
	Temperature float32
}

// Export returns the ONNX model of bundle b.
func Export(b *seg.Bundle, o Options) ([]byte, error) {
	if o.H < 1 || o.W < 1 {
		return nil, fmt.Errorf("onnx: export size %dx%d", o.H, o.W)
	}
	name := o.Score
	if name == "" {
		name = b.Info.Score
	}
	spec, err := ood.ParseScore(name)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	t := spec.Temperature()
	if spec.Name == b.Info.Score && !strings.Contains(name, "@") {
		t = b.Info.Temperature
	}
	if o.Temperature > 0 {
		t = o.Temperature
	}
	g := newGraph()
	tr := &tracer{g: g, names: map[*autograd.Var]string{}, created: map[*autograd.Var]bool{}, consts: map[*tensor.Tensor]string{}}
	x := autograd.Const(tensor.New(1, 3, o.H, o.W))
	tr.names[x] = "image"
	g.names["image"] = 1
	nn.Eval(b.Model)
	// A UNO head's K+1 outputs are traced whole; the graph slices the K
	// inlier logits off them (the "logits" output) and scores either.
	neg := b.Model.HasNegativeClass()
	if spec.Def().NegativeClass && !neg {
		return nil, fmt.Errorf("onnx: score %s needs a model with a negative class (train joint --head uno)", spec.Name)
	}
	forward := b.Model.Forward
	if neg {
		forward = b.Model.ForwardAll
	}
	var logits *autograd.Var
	func() {
		defer autograd.NoGrad()()
		defer autograd.Trace(tr)()
		logits = forward(x)
	}()
	if tr.err != nil {
		return nil, tr.err
	}
	ln, ok := tr.names[logits]
	if !ok {
		return nil, fmt.Errorf("onnx: the forward pass produced its logits outside the traced ops")
	}
	k := b.Info.Config.NumClasses
	all := ln
	if neg {
		ln = g.add("Slice", []string{all, g.constInts("starts", 0), g.constInts("ends", int64(k)), g.constInts("axes", 1)})
	}
	g.output("logits", ln)
	var score string
	if spec.Def().NegativeClass {
		score = unoGraph(g, all, k)
	} else if score, err = scoreGraph(g, "logits", spec, k, t); err != nil {
		return nil, err
	}
	g.output("score", score)
	dims := []int64{1, 3, int64(o.H), int64(o.W)}
	g.inputs = []valueInfo{{name: "image", dims: dims}}
	g.outputs = []valueInfo{{name: "logits", dims: []int64{1, int64(k), int64(o.H), int64(o.W)}},
		{name: "score", dims: []int64{1, 1, int64(o.H), int64(o.W)}}}
	g.meta = [][2]string{
		{"score", spec.Name}, {"temperature", fmt.Sprint(t)}, {"classes", strings.Join(b.Info.Classes, ",")},
		{"mean", fmt.Sprint(b.Info.Mean)}, {"std", fmt.Sprint(b.Info.Std)},
		{"input", "RGB/255 normalised by mean and std, 1x3xHxW"},
	}
	if thr := b.Info.Threshold; thr != nil && spec.Name == b.Info.Score && t == b.Info.Temperature {
		g.meta = append(g.meta, [2]string{"threshold", fmt.Sprint(*thr)}, [2]string{"threshold_rule", "score > threshold is anomalous"})
	}
	return g.Marshal("nflowjs", "nflowjs"), nil
}

// unoGraph appends the uno score of the K+1 outputs all: with p their
// softmax, p_{K+1} − max_{k≤K} p_k (package ood's UNO).
func unoGraph(g *Graph, all string, k int) string {
	p := g.add("Softmax", []string{all}, attr{"axis", int64(1)})
	in := g.add("Slice", []string{p, g.constInts("starts", 0), g.constInts("ends", int64(k)), g.constInts("axes", 1)})
	negp := g.add("Slice", []string{p, g.constInts("starts", int64(k)), g.constInts("ends", int64(k+1)), g.constInts("axes", 1)})
	mx := g.add("ReduceMax", []string{in}, attr{"axes", []int64{1}}, attr{"keepdims", int64(1)})
	return g.add("Sub", []string{negp, mx})
}

// scoreGraph appends the anomaly score of logits (higher = more anomalous,
// as package ood computes it) and returns its tensor's name.
func scoreGraph(g *Graph, logits string, spec ood.ScoreSpec, k int, t float32) (string, error) {
	switch spec.Name {
	case "js":
		axes := g.constInts("axes", 1)
		z := g.add("Div", []string{logits, g.scalar(t)})
		p := g.add("Softmax", []string{z}, attr{"axis", int64(1)})
		u := float32(1) / float32(k)
		pu := g.add("Add", []string{p, g.scalar(u)})
		logPU := g.add("Log", []string{pu})
		// p·(ln 2p − ln(p+u)), with p clamped inside the log so p = 0 gives 0.
		lp := g.add("Log", []string{g.add("Max", []string{p, g.scalar(math.SmallestNonzeroFloat32)})})
		a := g.add("Mul", []string{p, g.add("Sub", []string{g.add("Add", []string{lp, g.scalar(float32(math.Ln2))}), logPU})})
		// u·(ln 2u − ln(p+u))
		bterm := g.add("Mul", []string{g.scalar(u), g.add("Sub", []string{g.scalar(float32(math.Log(2 * float64(u)))), logPU})})
		sum := g.add("ReduceSum", []string{g.add("Add", []string{a, bterm}), axes}, attr{"keepdims", int64(1)})
		return g.add("Mul", []string{sum, g.scalar(-0.5)}), nil
	case "msp":
		z := g.add("Div", []string{logits, g.scalar(t)})
		p := g.add("Softmax", []string{z}, attr{"axis", int64(1)})
		mx := g.add("ReduceMax", []string{p}, attr{"axes", []int64{1}}, attr{"keepdims", int64(1)})
		return g.add("Neg", []string{mx}), nil
	case "maxlogit":
		mx := g.add("ReduceMax", []string{logits}, attr{"axes", []int64{1}}, attr{"keepdims", int64(1)})
		return g.add("Neg", []string{mx}), nil
	}
	return "", fmt.Errorf("onnx: score %q is not exportable (js, msp, maxlogit)", spec.Name)
}

// tracer turns traced autograd ops into ONNX nodes.
type tracer struct {
	g       *Graph
	names   map[*autograd.Var]string
	created map[*autograd.Var]bool
	consts  map[*tensor.Tensor]string
	err     error
}

func (t *tracer) Created(v *autograd.Var) { t.created[v] = true }

// input names a Var: an earlier op's output, or a parameter or constant
// (an initializer); an op output nobody traced is an unsupported op.
func (t *tracer) input(op string, v *autograd.Var) string {
	if n, ok := t.names[v]; ok {
		return n
	}
	if t.created[v] {
		t.fail(fmt.Errorf("onnx: an op without export support produced an input of %s (shape %v)", op, v.Value.Shape))
		return ""
	}
	return t.constant(v.Value)
}

func (t *tracer) constant(x *tensor.Tensor) string {
	if n, ok := t.consts[x]; ok {
		return n
	}
	dims := make([]int64, len(x.Shape))
	for i, d := range x.Shape {
		dims[i] = int64(d)
	}
	n := t.g.constFloats("w", dims, x.Data)
	t.consts[x] = n
	return n
}

func (t *tracer) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

func ints(v ...int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func (t *tracer) Op(op string, out *autograd.Var, in []*autograd.Var, attrs map[string]any) {
	if t.err != nil {
		return
	}
	names := make([]string, 0, len(in))
	for _, v := range in {
		if v != nil {
			names = append(names, t.input(op, v))
		}
	}
	if t.err != nil {
		return
	}
	g := t.g
	var res string
	switch op {
	case "Conv", "DepthwiseConv":
		o := attrs["opts"].(tensor.ConvOpts)
		w := in[1].Value
		k := w.Shape[2]
		s, p, d := max(o.Stride, 1), o.Pad, max(o.Dilation, 1)
		group := int64(1)
		if op == "DepthwiseConv" {
			group = int64(w.Shape[0])
		}
		res = g.add("Conv", names, attr{"kernel_shape", ints(k, k)}, attr{"strides", ints(s, s)},
			attr{"pads", ints(p, p, p, p)}, attr{"dilations", ints(d, d)}, attr{"group", group})
	case "BatchNorm":
		if attrs["train"].(bool) {
			t.fail(fmt.Errorf("onnx: batch norm in training mode"))
			return
		}
		mean, vr := t.constant(attrs["mean"].(*tensor.Tensor)), t.constant(attrs["var"].(*tensor.Tensor))
		if len(names) != 3 {
			t.fail(fmt.Errorf("onnx: batch norm without affine parameters"))
			return
		}
		res = g.add("BatchNormalization", append(names, mean, vr), attr{"epsilon", attrs["eps"].(float32)})
	case "Relu", "Sigmoid", "HardSwish", "Add":
		res = g.add(op, names)
	case "HardSigmoid":
		res = g.add(op, names, attr{"alpha", float32(1) / 6}, attr{"beta", float32(0.5)})
	case "ScaleChannels":
		res = g.add("Mul", names)
	case "Concat":
		res = g.add("Concat", names, attr{"axis", int64(1)})
	case "MaxPool", "AveragePool":
		k, s, p := attrs["k"].(int), attrs["stride"].(int), attrs["pad"].(int)
		if s == 0 {
			s = k
		}
		as := []attr{{"kernel_shape", ints(k, k)}, {"strides", ints(s, s)}, {"pads", ints(p, p, p, p)}}
		if op == "AveragePool" {
			as = append(as, attr{"count_include_pad", int64(1)})
		}
		res = g.add(op, names, as...)
	case "AdaptiveAvgPool":
		oh, ow := attrs["oh"].(int), attrs["ow"].(int)
		_, _, h, w := in[0].Value.NCHW()
		switch {
		case oh == 1 && ow == 1:
			res = g.add("GlobalAveragePool", names)
		case h%oh == 0 && w%ow == 0:
			res = g.add("AveragePool", names, attr{"kernel_shape", ints(h/oh, w/ow)}, attr{"strides", ints(h/oh, w/ow)})
		default:
			t.fail(fmt.Errorf("onnx: adaptive pooling of %dx%d to %dx%d has unequal bins; export at a size that divides evenly (e.g. a multiple of 256)", h, w, oh, ow))
			return
		}
	case "Resize":
		n, c, _, _ := out.Value.NCHW()
		mode := "pytorch_half_pixel"
		if attrs["aligned"].(bool) {
			mode = "align_corners"
		}
		sizes := g.constInts("sizes", ints(n, c, attrs["oh"].(int), attrs["ow"].(int))...)
		res = g.add("Resize", []string{names[0], "", "", sizes}, attr{"mode", "linear"},
			attr{"coordinate_transformation_mode", mode})
	case "Pad":
		pads := g.constInts("pads", ints(0, 0, attrs["top"].(int), attrs["left"].(int), 0, 0, attrs["bottom"].(int), attrs["right"].(int))...)
		res = g.add("Pad", []string{names[0], pads, g.scalar(attrs["value"].(float32))}, attr{"mode", "constant"})
	case "Crop":
		top, left, h, w := attrs["top"].(int), attrs["left"].(int), attrs["h"].(int), attrs["w"].(int)
		res = g.add("Slice", []string{names[0], g.constInts("starts", int64(top), int64(left)),
			g.constInts("ends", int64(top+h), int64(left+w)), g.constInts("axes", 2, 3)})
	default:
		t.fail(fmt.Errorf("onnx: op %s has no export", op))
		return
	}
	t.names[out] = res
}
