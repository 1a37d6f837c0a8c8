package main

import (
	"fmt"
	"strconv"
	"strings"
)

// parseSize parses the "HxW" of --size and --crop flags (e.g. 128x256);
// with square, a single "H" means H×H. flag names the flag in the error.
func parseSize(flag, s string, square bool) (h, w int, err error) {
	hs, ws, found := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "x")
	if !found && square {
		ws, found = hs, true
	}
	if found {
		h, err = strconv.Atoi(hs)
		if err == nil {
			w, err = strconv.Atoi(ws)
		}
	}
	if !found || err != nil || h <= 0 || w <= 0 {
		want := "HxW"
		if square {
			want = "H or HxW"
		}
		return 0, 0, fmt.Errorf("%s %q: want %s with positive integers, e.g. 128x256", flag, s, want)
	}
	return h, w, nil
}
