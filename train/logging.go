package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/nflowjs/nflowjs/internal/atomicfile"
)

// LogFile is the name of the per-epoch JSON-lines log in a run directory.
const LogFile = "log.jsonl"

// Logger appends JSON objects, one per line, to a file. Every Write is
// flushed and synced so that a killed run keeps every completed line.
type Logger struct {
	f *os.File
}

// OpenLog opens (creating) path for appending. If keep is not nil the
// existing lines are filtered first (atomically): a resumed run drops the
// rows of epochs it is about to redo.
func OpenLog(path string, keep func(row map[string]any) bool) (*Logger, error) {
	if keep != nil {
		rows, err := ReadLog(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		var buf bytes.Buffer
		for _, r := range rows {
			if keep(r) {
				b, _ := json.Marshal(r)
				buf.Write(append(b, '\n'))
			}
		}
		if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return &Logger{f: f}, nil
}

// Write appends v as one JSON line. Non-finite float64 values in a
// map[string]any become null (encoding/json rejects them).
func (l *Logger) Write(v any) error {
	if m, ok := v.(map[string]any); ok {
		v = finiteOrNull(m)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("train: log: %w", err)
	}
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("train: log: %w", err)
	}
	return l.f.Sync()
}

// Close closes the file.
func (l *Logger) Close() error { return l.f.Close() }

func finiteOrNull(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			out[k] = nil
			continue
		}
		out[k] = v
	}
	return out
}

// ReadLog reads every JSON line of path (numbers as float64).
func ReadLog(path string) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("train: %s line %d: %w", path, n, err)
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}

// Progress is a progress bar over the steps of one epoch that shows the
// epoch, the step count, the running loss, images/s and the ETA of the
// epoch and of the whole run. A nil writer gives a silent bar.
type Progress struct {
	bar         *progressbar.ProgressBar
	epoch       int
	epochs      int
	steps       int
	done        int
	images      int
	start       time.Time
	remainAfter int // steps of the run after this epoch
}

// NewProgress starts the bar of epoch (1-based) of epochs, with steps
// steps; remainingSteps counts the steps of later epochs (for the run ETA).
func NewProgress(w io.Writer, epoch, epochs, steps, remainingSteps int) *Progress {
	if w == nil {
		w = io.Discard
	}
	p := &Progress{epoch: epoch, epochs: epochs, steps: steps, start: time.Now(), remainAfter: remainingSteps}
	p.bar = progressbar.NewOptions(steps,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch, epochs)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("step"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(20),
		progressbar.OptionThrottle(250*time.Millisecond),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	return p
}

// Step records one finished step of n images with the given loss.
func (p *Progress) Step(n int, loss float64) {
	p.done++
	p.images += n
	el := time.Since(p.start).Seconds()
	ips := float64(p.images) / max(el, 1e-9)
	perStep := el / float64(p.done)
	eta := time.Duration(perStep * float64(p.steps-p.done+p.remainAfter) * float64(time.Second)).Round(time.Second)
	p.bar.Describe(fmt.Sprintf("epoch %d/%d loss %.4f %.1f img/s run ETA %v", p.epoch, p.epochs, loss, ips, eta))
	_ = p.bar.Add(1)
}

// ImagesPerSecond is the throughput of the epoch so far.
func (p *Progress) ImagesPerSecond() float64 {
	return float64(p.images) / max(time.Since(p.start).Seconds(), 1e-9)
}

// Finish completes the bar.
func (p *Progress) Finish() { _ = p.bar.Finish() }
