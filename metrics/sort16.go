package metrics

// sortScratch holds the buffers of sortU16, reused across buckets.
type sortScratch struct {
	tmp []uint16
	cnt []uint32
}

const (
	insertionMax = 48
	radixMax     = 1 << 14
)

func newSortScratch() *sortScratch {
	return &sortScratch{tmp: make([]uint16, radixMax), cnt: make([]uint32, 1<<16)}
}

// sort sorts a ascending. Buckets are mostly small, so the method depends on
// the length: insertion sort, a two-pass byte radix sort, or a counting sort
// whose 65536-entry scan is amortised by the length.
func (s *sortScratch) sort(a []uint16) {
	switch n := len(a); {
	case n <= insertionMax:
		for i := 1; i < n; i++ {
			v := a[i]
			j := i
			for j > 0 && a[j-1] > v {
				a[j] = a[j-1]
				j--
			}
			a[j] = v
		}
	case n <= radixMax:
		var c0, c1 [257]uint32
		for _, v := range a {
			c0[v&0xff+1]++
			c1[v>>8+1]++
		}
		for i := 1; i < 257; i++ {
			c0[i] += c0[i-1]
			c1[i] += c1[i-1]
		}
		t := s.tmp[:n]
		for _, v := range a {
			t[c0[v&0xff]] = v
			c0[v&0xff]++
		}
		for _, v := range t {
			a[c1[v>>8]] = v
			c1[v>>8]++
		}
	default:
		cnt := s.cnt
		for _, v := range a {
			cnt[v]++
		}
		k := 0
		for v := range cnt {
			c := cnt[v]
			for ; c > 0; c-- {
				a[k] = uint16(v)
				k++
			}
			cnt[v] = 0
		}
	}
}
