// Package npy reads and writes NumPy .npy files of float32, float16 and
// uint8 arrays (C order, little-endian), the exchange format of `nflowjs metrics`
// and of score and logit maps compared with other frameworks.
//
// The reader parses the header itself (format versions 1.0, 2.0 and 3.0)
// and checks it against the file before allocating: a damaged or hostile
// file gets an error naming the file and the problem, never a panic or an
// allocation its size cannot back.
package npy
