// Package fleet scores and evaluates a fleet's images on Apache Beam: a
// pipeline that reads image (and label) paths, runs an nflowjs model
// bundle on each (loaded once per worker), writes the per-image outputs
// `nflowjs predict` writes, combines per-frame statistics into the
// dataset's pixel metrics with a CombineFn, keeps the N most anomalous
// frames for mining, and sends every element it cannot process to a
// dead-letter list with the reason.
//
// The per-frame statistics are metrics.Accumulator values: exact score
// counts (protocol exact) or the SegmentMeIfYouCan bins (smiyc,
// smiyc-uniform). They merge exactly, so the dataset metrics do not depend
// on how the runner shards the work: a run on Beam's embedded Prism runner
// gives `nflowjs eval`'s numbers, and 1, 2 or 7 shards give the same bits.
//
// The package lives in its own Go module (github.com/nflowjs/nflowjs/beam)
// so the Beam SDK and its dependencies stay out of the nflowjs binary.
package fleet
