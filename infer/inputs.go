package infer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ImageExts are the extensions ExpandInputs picks up from directories.
var ImageExts = []string{".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"}

// ExpandInputs lists the image files of args (the inputs of predict): files as given, directories
// by their image files (sorted, not recursive, so a dataset split's
// labels/ beside images/ are never taken for inputs). Problems are
// returned per argument so the rest can still run.
func ExpandInputs(args []string) (files []string, problems []error, anyDir bool) {
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", a, errors.Unwrap(err)))
			continue
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		anyDir = true
		entries, err := os.ReadDir(a)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		n := 0
		for _, e := range entries {
			if e.Type().IsRegular() && slices.Contains(ImageExts, strings.ToLower(filepath.Ext(e.Name()))) {
				files = append(files, filepath.Join(a, e.Name()))
				n++
			}
		}
		if n == 0 {
			problems = append(problems, fmt.Errorf("%s: no images (%s) in this directory", a, strings.Join(ImageExts, " ")))
		}
	}
	return files, problems, anyDir
}

// OutputBase returns a file base name for path that no earlier input used
// (inputs from different directories may share a name).
func OutputBase(path string, used map[string]bool) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	b := base
	for i := 2; used[b]; i++ {
		b = fmt.Sprintf("%s-%d", base, i)
	}
	used[b] = true
	return b
}
