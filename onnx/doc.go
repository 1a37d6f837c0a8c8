// Package onnx exports nflowjs model bundles to ONNX, for deployment
// with ONNX Runtime or any other ONNX engine: the graph takes the
// normalised 1×3×H×W image (input "image") and gives "logits" (1×K×H×W)
// and "score" (1×1×H×W, the bundle's anomaly score with its temperature,
// e.g. −JS(U, softmax(l/T))); the calibrated threshold, the score, the
// classes and the normalisation travel in metadata_props.
//
// The graph is recorded by tracing the model's own forward pass
// (autograd.Trace) on an input of the export size, so every architecture
// nflowjs runs — its own presets and the imported torchvision and NVIDIA
// networks — exports without a second description of the network that
// could drift from the first. Sizes are therefore fixed at export time
// (an LDN's spatial pyramid pooling bins depend on the input size); an
// op the exporter does not know is an error, never a silently constant
// tensor. The protobuf is written by hand (proto.go): opset 17, IR 8.
package onnx
