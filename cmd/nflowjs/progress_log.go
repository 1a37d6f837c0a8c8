package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progressLogInterval is how often a progress bar's state becomes a log
// line when stderr is not a terminal.
const progressLogInterval = 10 * time.Second

// frameLogger turns the carriage-return frames of progress bars into
// periodic log lines, for stderr redirected to a file or a pipe: a bar
// redraws itself many times a second with "\r", which a terminal
// overwrites but a log file keeps (23 KB of frames for one demo step).
// Ordinary lines ending in "\n" pass through at once; of the frames, the
// latest is written as a line at most every interval, and the last one
// when a line follows or on Flush, so the log still shows where a bar
// ended.
type frameLogger struct {
	mu       sync.Mutex
	w        io.Writer
	interval time.Duration
	now      func() time.Time
	cur      []byte // text since the last \r or \n
	pending  string // latest frame not yet written
	last     time.Time
}

func newFrameLogger(w io.Writer, interval time.Duration) *frameLogger {
	return &frameLogger{w: w, interval: interval, now: time.Now}
}

// cleanFrame removes ANSI escape sequences and surrounding blanks.
func cleanFrame(b []byte) string {
	var out strings.Builder
	for i := 0; i < len(b); i++ {
		if b[i] == 0x1b && i+1 < len(b) && b[i+1] == '[' {
			j := i + 2
			for j < len(b) && (b[j] < 0x40 || b[j] > 0x7e) {
				j++
			}
			i = j
			continue
		}
		out.WriteByte(b[i])
	}
	return strings.TrimSpace(out.String())
}

func (f *frameLogger) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out bytes.Buffer
	for _, c := range p {
		switch c {
		case '\r':
			if fr := cleanFrame(f.cur); fr != "" {
				f.pending = fr
				if t := f.now(); t.Sub(f.last) >= f.interval {
					out.WriteString(fr + "\n")
					f.pending, f.last = "", t
				}
			}
			// A blank frame ("\r" + spaces + "\r") is a bar clearing its
			// line, which it does before every redraw as well as on
			// finish, so it writes nothing: the pending frame is written
			// when its interval ends, before the next ordinary line, or
			// on Flush.
			f.cur = f.cur[:0]
		case '\n':
			if line := cleanFrame(f.cur); line != "" {
				f.flushPending(&out)
				out.Write(f.cur)
				out.WriteByte('\n')
			} else {
				f.flushPending(&out)
			}
			f.cur = f.cur[:0]
		default:
			f.cur = append(f.cur, c)
		}
	}
	if out.Len() > 0 {
		if _, err := f.w.Write(out.Bytes()); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (f *frameLogger) flushPending(out *bytes.Buffer) {
	if f.pending != "" {
		out.WriteString(f.pending + "\n")
		f.pending, f.last = "", f.now()
	}
}

// Flush writes the last pending frame and any unterminated text.
func (f *frameLogger) Flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out bytes.Buffer
	if fr := cleanFrame(f.cur); fr != "" {
		f.pending = fr
	}
	f.flushPending(&out)
	f.cur = f.cur[:0]
	_, _ = f.w.Write(out.Bytes())
}

// stderrForProgress returns the writer commands use as stderr: os.Stderr
// itself on a terminal, otherwise a frameLogger over it (and a flush to
// call before exit).
func stderrForProgress() (io.Writer, func()) {
	if term.IsTerminal(int(os.Stderr.Fd())) {
		return os.Stderr, func() {}
	}
	fl := newFrameLogger(os.Stderr, progressLogInterval)
	return fl, fl.Flush
}
