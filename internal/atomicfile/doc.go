// Package atomicfile is the one way nflowjs writes a file that must never be
// seen half-written: checkpoints, bundles, logs' companions, predictions,
// figures and the experiment harness's markers.
//
// A file is written to a hidden temporary ".NAME.tmp-*" in the same
// directory, made 0644 (os.CreateTemp makes 0600 files; run directories
// are shared), synced, closed and renamed over NAME; the directory is then
// synced so the rename survives a power cut. A reader, or a run killed at
// any instant, sees the old file or the new one. The temporaries a kill
// leaves behind are removed by RemoveTemps when a run resumes.
package atomicfile
