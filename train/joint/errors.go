package joint

import "errors"

// ErrConfig is wrapped by every invalid-configuration error of this package.
var ErrConfig = errors.New("joint: invalid config")
