package checkpoint

import "fmt"

// FormatError reports a file that is not valid safetensors.
type FormatError struct {
	Path   string
	Reason string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("checkpoint: %s: invalid safetensors file: %s", e.Path, e.Reason)
}

// UnsupportedError reports a valid file with a tensor this package cannot
// convert to float32 (boolean, 8/16-bit integer and unsigned dtypes).
type UnsupportedError struct {
	Path, Tensor, DType string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("checkpoint: %s: tensor %q has dtype %s; only F32, F16, BF16, F64, I64 and I32 can be loaded", e.Path, e.Tensor, e.DType)
}

// MismatchError reports a tensor that does not fit the model in LoadInto:
// missing from the file, unexpected in it, or of the wrong shape.
type MismatchError struct {
	Path   string
	Tensor string
	Reason string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("checkpoint: %s: tensor %q %s", e.Path, e.Tensor, e.Reason)
}
