package metrics

import "sort"

func sortSlice[T any](a []T, less func(x, y T) bool) {
	sort.SliceStable(a, func(i, j int) bool { return less(a[i], a[j]) })
}
