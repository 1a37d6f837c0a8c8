// Package pth reads PyTorch checkpoints — the files torch.save writes,
// in its zip format (PyTorch ≥ 1.6) or the older one — without executing
// anything: the pickle inside is interpreted by a small virtual machine
// that knows only the opcodes and the globals a state dict needs
// (collections.OrderedDict, torch's tensor and parameter rebuilders and
// storage types, and NumPy scalars for the metadata training scripts keep
// beside the weights). Any other global — os.system, a model class, a
// lambda — is refused with an error naming it, before anything could run,
// because nothing ever runs: the package never calls Python.
//
// Read returns the state dict's floating-point tensors as float32 (float16,
// bfloat16 and float64 converted), finds the dict inside training
// checkpoints ({"state_dict": ...}, {"model": ...}), strips DataParallel's
// "module." prefix, and lists integer tensors (BatchNorm's
// num_batches_tracked) apart.
package pth
