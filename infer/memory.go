package infer

import (
	"bufio"
	"fmt"
	"image"
	"os"
	"strconv"
	"strings"

	"github.com/nflowjs/nflowjs/dataset"
)

// BytesPerPixel is the peak memory of one prediction per input pixel:
// measured as the slope of `nflowjs predict`'s peak RSS between a 2048² and
// a 4096² image with the tiny preset (logits at 1/2 resolution, 13
// classes): 339 B/pixel (1.43 GB and 5.59 GB). Larger presets need more.
const BytesPerPixel = 350

// MemoryPixelCap returns the largest image, in pixels, that concurrent
// predictions can each take within half of the memory available now
// (MemAvailable, or the cgroup's memory limit if lower), at BytesPerPixel,
// and at most dataset.MaxPixels. It is dataset.MaxPixels where the
// available memory cannot be read.
func MemoryPixelCap(concurrent int) int {
	avail, ok := availableMemory()
	if !ok {
		return dataset.MaxPixels
	}
	return pixelCap(avail, max(concurrent, 1))
}

func pixelCap(avail uint64, concurrent int) int {
	n := avail / 2 / uint64(concurrent) / BytesPerPixel
	return int(min(n, dataset.MaxPixels))
}

// availableMemory reads MemAvailable from /proc/meminfo, lowered to the
// cgroup v2 limit (memory.max − memory.current) when one is set.
func availableMemory() (uint64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var avail uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, false
			}
			avail = kb << 10
		}
	}
	if avail == 0 {
		return 0, false
	}
	limit, err1 := readUint("/sys/fs/cgroup/memory.max")
	used, err2 := readUint("/sys/fs/cgroup/memory.current")
	if err1 == nil && err2 == nil && limit > used {
		avail = min(avail, limit-used)
	}
	return avail, true
}

func readUint(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64) // "max" fails: no limit
}

// CheckPixels refuses an image of w×h pixels over the cap, naming the
// memory it would need. The error wraps ErrInput.
func CheckPixels(w, h, maxPixels int) error {
	if n := w * h; n > maxPixels {
		return fmt.Errorf("%w: image is %dx%d = %.1f Mpixel; predicting it needs about %.1f GiB (%d B/pixel), over the cap of %.1f Mpixel "+
			"(half the available memory, or --max-pixels); downscale or crop it", ErrInput, w, h, float64(n)/(1<<20),
			float64(n)*BytesPerPixel/(1<<30), BytesPerPixel, float64(maxPixels)/(1<<20))
	}
	return nil
}

// CheckImageFile reads only the header of an image file and applies
// CheckPixels, so an oversized image is refused before it is decoded.
func CheckImageFile(path string, maxPixels int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(bufio.NewReader(f))
	if err != nil {
		return nil // the decoder names the problem
	}
	if err := CheckPixels(cfg.Width, cfg.Height, maxPixels); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
