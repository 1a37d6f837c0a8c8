package experiment

import (
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/nflowjs/nflowjs/internal/progress"
)

// StepBar drives a progress bar over a suite's steps (the demo's display).
// Every second it also shows the running step's latest log line (its
// epoch, step or progress-bar state), so a long step shows where it is.
type StepBar struct {
	bar   *progressbar.ProgressBar
	start time.Time
	done  chan struct{}
	mu    sync.Mutex
	desc  string
	dir   string // the running step's directory
}

func NewStepBar(w io.Writer, total int) *StepBar {
	b := &StepBar{start: time.Now(), done: make(chan struct{})}
	b.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(20),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-b.done:
				return
			case <-t.C:
				b.describe()
			}
		}
	}()
	return b
}

// Event is a Runner.OnStep callback: it advances the bar.
func (b *StepBar) Event(ev Event) {
	if ev.Done {
		b.bar.Set(ev.Index + 1)
		return
	}
	b.mu.Lock()
	b.desc, b.dir = describe(ev.Result.Step), ev.Result.Dir
	b.mu.Unlock()
	b.bar.Set(ev.Index)
	b.describe()
}

// describe shows the step, its latest log line and the elapsed time.
func (b *StepBar) describe() {
	b.mu.Lock()
	desc, dir := b.desc, b.dir
	b.mu.Unlock()
	if dir != "" {
		if l := progress.LastLine(filepath.Join(dir, LogFile), 60); l != "" {
			desc += ": " + l
		}
	}
	b.bar.Describe(fmt.Sprintf("%s  [%s elapsed]", desc, time.Since(b.start).Round(time.Second)))
}

// Finish stops the bar.
func (b *StepBar) Finish() {
	close(b.done)
	b.bar.Finish()
}

// describeStep is a human description of a step for progress displays.
func describe(s *Step) string {
	m := s.Meta
	switch m["kind"] {
	case KindData:
		return "generating the " + m["dataset"] + " benchmark"
	case KindClosed:
		return "training the segmentation model (stage 1) on " + m["dataset"]
	case KindFlow:
		return "pre-training the normalizing flow on " + m["dataset"]
	case KindGAN:
		return "pre-training the GAN on " + m["dataset"]
	case KindJoint:
		return "joint training (" + m["model"] + ") on " + m["dataset"]
	case KindCalib:
		return "calibrating the " + m["model"] + " model's threshold"
	case KindEval:
		return "evaluating the " + m["model"] + " model on " + m["dataset"] + " test"
	case KindPredict:
		return "writing heatmaps of the " + m["model"] + " model"
	case KindToy:
		return "training the 2-D toy (Figure 2)"
	}
	return s.Name
}
