package autograd

// Tracer observes the ops of a forward pass, for exporting it to another
// format (package onnx). Op is called by every op that supports export,
// with its output, its Var inputs and its attributes; Created is called by
// NewOp for every op output, so a tracer can tell an op it was not told
// about (unsupported) from a parameter or constant.
type Tracer interface {
	Op(op string, out *Var, in []*Var, attrs map[string]any)
	Created(v *Var)
}

// tracer is the installed tracer; tracing is for a single goroutine.
var tracer Tracer

// Trace installs t until the returned function is called.
func Trace(t Tracer) (restore func()) {
	prev := tracer
	tracer = t
	return func() { tracer = prev }
}

// Tracing reports whether a tracer is installed (inference fusions stay
// off then, so that an export sees the model's own ops).
func Tracing() bool { return tracer != nil }
