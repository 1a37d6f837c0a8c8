// Package checkpoint saves and loads named float32 tensors in the
// safetensors format (https://github.com/huggingface/safetensors), the
// format PyTorch and the Hugging Face ecosystem exchange weights in.
//
// # Format
//
// A file is an 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
// {string: string}}, then the raw little-endian tensor data. Parsing and
// layout are done by github.com/nlpodyssey/safetensors; this package adds
// the checks that make a bad file fail with one clear message before the
// library sees it, converts dtypes and validates against a model.
//
// Save writes F32. Load also reads F16, BF16, F64, I64 and I32 tensors,
// converting them to float32 (F16 and BF16 exactly; the others rounding to
// nearest), so state dicts saved by PyTorch, whose BatchNorm
// num_batches_tracked is I64, load too.
// F32 data round-trips bit for bit, NaN payloads and −0 included.
//
// # Atomicity
//
// Save writes to a temporary file in the destination directory, fsyncs it
// and renames it over the destination, so a crash leaves either the old
// checkpoint or the new one, never half of one.
//
// # Errors
//
// Load and LoadInto never panic on file contents. Malformed files give a
// *FormatError, unsupported dtypes an *UnsupportedError, and a file that
// does not fit a model a *MismatchError naming the tensor; all messages
// start with "checkpoint:" and name the file. The whole file is read into
// memory: checkpoints of the models here are tens of megabytes.
package checkpoint
