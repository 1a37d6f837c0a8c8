package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
)

// LoaderConfig configures a Loader.
type LoaderConfig struct {
	// BatchSize is the number of samples per batch (>= 1).
	BatchSize int
	// Workers decode and augment in parallel (default runtime.NumCPU()).
	// Results do not depend on it.
	Workers int
	// Prefetch is how many batches may be in flight or ready ahead of the
	// consumer (default 2). Memory is bounded by about Prefetch batches of
	// decoded samples.
	Prefetch int
	// Shuffle permutes the samples every epoch with a permutation drawn from
	// Seed and the epoch number.
	Shuffle bool
	// DropLast drops a final batch smaller than BatchSize.
	DropLast bool
	// Seed drives shuffling and augmentation.
	Seed uint64
	// Augment, if non-nil, is applied to every sample. Batching needs equal
	// sizes, so without a crop all samples must share one size.
	Augment *Augment
	// Mean and Std normalise the images: (v/255 - Mean[c]) / Std[c]. Zero
	// values select DefaultMean and DefaultStd (ImageNet).
	Mean, Std [3]float32
	// Cache keeps every decoded (not augmented) sample in memory after its
	// first use, so later epochs skip file reading and PNG decoding, which
	// dominate loading time. Memory grows to about 8 bytes per pixel of the
	// split (RGB + label + float32 depth): use it for small datasets such
	// as the procedural benchmarks.
	Cache bool
}

// Batch is a minibatch in NCHW layout.
type Batch struct {
	N, H, W int
	// Images holds N×3×H×W normalised values.
	Images []float32
	// Labels holds N×H×W labels in the generic encoding.
	Labels []uint8
	// Depth holds N×H×W metres (0 = unknown), or nil if the split has none.
	Depth []float32
	// IDs and Indices identify the samples (Indices index the Split).
	IDs     []string
	Indices []int
}

// Loader yields batches of a Split, decoding and augmenting on background
// goroutines. For a given Seed and epoch the batches (order, crops, flips,
// values) are identical whatever the number of workers.
type Loader struct {
	split *Split
	cfg   LoaderConfig
	cache []atomic.Pointer[Sample] // with cfg.Cache; samples are never mutated
}

// NewLoader checks cfg and returns a loader over s.
func NewLoader(s *Split, cfg LoaderConfig) (*Loader, error) {
	if cfg.BatchSize < 1 {
		return nil, fmt.Errorf("dataset: loader: batch size %d < 1", cfg.BatchSize)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("dataset: loader: %w", err)
	}
	if s.Len() == 0 {
		return nil, fmt.Errorf("dataset: loader: split %s is empty", s.Name)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.Prefetch <= 0 {
		cfg.Prefetch = 2
	}
	if cfg.Mean == ([3]float32{}) {
		cfg.Mean = DefaultMean
	}
	if cfg.Std == ([3]float32{}) {
		cfg.Std = DefaultStd
	}
	for c, v := range cfg.Std {
		if v <= 0 {
			return nil, fmt.Errorf("dataset: loader: std[%d] = %g must be positive", c, v)
		}
	}
	if cfg.Augment != nil {
		if err := cfg.Augment.Validate(); err != nil {
			return nil, err
		}
	}
	l := &Loader{split: s, cfg: cfg}
	if cfg.Cache {
		l.cache = make([]atomic.Pointer[Sample], s.Len())
	}
	return l, nil
}

// Split returns the split the loader serves.
func (l *Loader) Split() *Split { return l.split }

// Order returns the sample indices of an epoch in the order they are served.
func (l *Loader) Order(epoch int) []int {
	n := l.split.Len()
	if !l.cfg.Shuffle {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	r := rand.New(rand.NewPCG(splitmix64(l.cfg.Seed), splitmix64(uint64(epoch)^0x5851f42d4c957f2d)))
	return r.Perm(n)
}

// NumBatches returns the number of batches per epoch.
func (l *Loader) NumBatches() int {
	n, b := l.split.Len(), l.cfg.BatchSize
	if l.cfg.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Iter serves the batches of one epoch. Call Close when done (also after an
// error or early exit) to stop the workers.
type Iter struct {
	ctx     context.Context
	cancel  context.CancelFunc
	pending chan *pendingBatch
	sem     chan struct{}
	wg      sync.WaitGroup
	err     error
}

type pendingBatch struct {
	indices []int
	done    sync.WaitGroup
	items   []loaded
}

type loaded struct {
	img    []float32
	labels []uint8
	depth  []float32
	w, h   int
	id     string
	err    error
}

type job struct {
	pb    *pendingBatch
	slot  int
	index int
}

// Epoch starts serving epoch (0-based). ctx cancels the workers.
func (l *Loader) Epoch(ctx context.Context, epoch int) *Iter {
	ctx, cancel := context.WithCancel(ctx)
	it := &Iter{
		ctx:     ctx,
		cancel:  cancel,
		pending: make(chan *pendingBatch, l.cfg.Prefetch),
		sem:     make(chan struct{}, l.cfg.Prefetch),
	}
	order := l.Order(epoch)
	nb := l.NumBatches()
	jobs := make(chan job, l.cfg.Workers)
	for w := 0; w < l.cfg.Workers; w++ {
		it.wg.Add(1)
		go func() {
			defer it.wg.Done()
			for j := range jobs {
				j.pb.items[j.slot] = l.loadOne(j.index, epoch)
				j.pb.done.Done()
			}
		}()
	}
	it.wg.Add(1)
	go func() { // dispatcher: batches in order, at most Prefetch in flight
		defer it.wg.Done()
		defer close(jobs)
		defer close(it.pending)
		for k := 0; k < nb; k++ {
			select {
			case it.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			idx := order[k*l.cfg.BatchSize : min((k+1)*l.cfg.BatchSize, len(order))]
			pb := &pendingBatch{indices: idx, items: make([]loaded, len(idx))}
			pb.done.Add(len(idx))
			it.pending <- pb // never blocks: capacity = Prefetch = sem capacity
			for s, i := range idx {
				select {
				case jobs <- job{pb: pb, slot: s, index: i}:
				case <-ctx.Done():
					for ; s < len(idx); s++ {
						pb.items[s].err = ctx.Err()
						pb.done.Done()
					}
					return
				}
			}
		}
	}()
	return it
}

// loadOne decodes, augments and normalises one sample.
func (l *Loader) loadOne(index, epoch int) loaded {
	var s *Sample
	if l.cache != nil {
		s = l.cache[index].Load()
	}
	if s == nil {
		var err error
		s, err = l.split.Load(index)
		if err != nil {
			return loaded{err: err}
		}
		if l.cache != nil {
			l.cache[index].Store(s)
		}
	}
	if a := l.cfg.Augment; a != nil {
		s = a.Apply(s, sampleRNG(l.cfg.Seed, epoch, index), uint8(l.split.Meta.IgnoreLabel))
	}
	img := make([]float32, 3*s.Image.W*s.Image.H)
	writeCHW(img, s.Image, l.cfg.Mean, l.cfg.Std)
	return loaded{img: img, labels: s.Labels, depth: s.Depth, w: s.Image.W, h: s.Image.H, id: s.ID}
}

// Next returns the next batch, io.EOF after the last one, or the context's
// error if it was cancelled.
func (it *Iter) Next() (*Batch, error) {
	if it.err != nil {
		return nil, it.err
	}
	pb, ok := <-it.pending
	if !ok {
		// The dispatcher stops early only on cancellation; do not let a
		// cut-short epoch look complete.
		it.err = io.EOF
		if err := it.ctx.Err(); err != nil {
			it.err = err
		}
		return nil, it.err
	}
	pb.done.Wait()
	<-it.sem
	b, err := assemble(pb)
	if err != nil {
		it.err = err
		return nil, err
	}
	return b, nil
}

// assemble copies the samples of a finished batch into contiguous buffers.
func assemble(pb *pendingBatch) (*Batch, error) {
	for _, it := range pb.items {
		if it.err != nil {
			return nil, it.err
		}
	}
	f := pb.items[0]
	b := &Batch{N: len(pb.items), H: f.h, W: f.w, Indices: pb.indices}
	hw := f.w * f.h
	b.Images = make([]float32, b.N*3*hw)
	b.Labels = make([]uint8, b.N*hw)
	if f.depth != nil {
		b.Depth = make([]float32, b.N*hw)
	}
	for i, it := range pb.items {
		if it.w != f.w || it.h != f.h {
			return nil, fmt.Errorf("dataset: loader: %s is %dx%d but %s is %dx%d; set a crop to batch samples of different sizes",
				it.id, it.w, it.h, f.id, f.w, f.h)
		}
		if (it.depth == nil) != (f.depth == nil) {
			return nil, errors.New("dataset: loader: some samples have depth and some do not")
		}
		copy(b.Images[i*3*hw:], it.img)
		copy(b.Labels[i*hw:], it.labels)
		if b.Depth != nil {
			copy(b.Depth[i*hw:], it.depth)
		}
		b.IDs = append(b.IDs, it.id)
	}
	return b, nil
}

// Close stops the workers and waits for them. It is safe to call twice.
func (it *Iter) Close() {
	it.cancel()
	for pb := range it.pending {
		pb.done.Wait()
		<-it.sem
	}
	it.wg.Wait()
	if it.err == nil {
		it.err = errors.New("dataset: loader: iterator closed")
	}
}
