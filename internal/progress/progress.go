// Package progress makes progress bars usable in logs: LogWriter turns the
// carriage-return frames of a bar into periodic log lines when stderr is
// not a terminal, and LastLine reads the latest state a step's log shows.
package progress

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Interval is how often a progress bar's state becomes a log
// line when stderr is not a terminal.
const Interval = 10 * time.Second

// LogWriter turns the carriage-return frames of progress bars into
// periodic log lines, for stderr redirected to a file or a pipe: a bar
// redraws itself many times a second with "\r", which a terminal
// overwrites but a log file keeps (23 KB of frames for one demo step).
// Ordinary lines ending in "\n" pass through at once; of the frames, the
// latest is written as a line at most every interval, and the last one
// when a line follows or on Flush, so the log still shows where a bar
// ended.
type LogWriter struct {
	mu       sync.Mutex
	w        io.Writer
	interval time.Duration
	now      func() time.Time
	cur      []byte // text since the last \r or \n
	pending  string // latest frame not yet written
	last     time.Time
}

// NewLogWriter returns a LogWriter over w writing a frame at most every
// interval.
func NewLogWriter(w io.Writer, interval time.Duration) *LogWriter {
	return &LogWriter{w: w, interval: interval, now: time.Now}
}

// CleanFrame removes ANSI escape sequences and surrounding blanks.
func CleanFrame(b []byte) string {
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

func (f *LogWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out bytes.Buffer
	for _, c := range p {
		switch c {
		case '\r':
			if fr := CleanFrame(f.cur); fr != "" {
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
			if line := CleanFrame(f.cur); line != "" {
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

func (f *LogWriter) flushPending(out *bytes.Buffer) {
	if f.pending != "" {
		out.WriteString(f.pending + "\n")
		f.pending, f.last = "", f.now()
	}
}

// Flush writes the last pending frame and any unterminated text.
func (f *LogWriter) Flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out bytes.Buffer
	if fr := CleanFrame(f.cur); fr != "" {
		f.pending = fr
	}
	f.flushPending(&out)
	f.cur = f.cur[:0]
	_, _ = f.w.Write(out.Bytes())
}

// Stderr returns the writer commands use as stderr: os.Stderr itself on a
// terminal, otherwise a LogWriter over it (and a flush to call before
// exit).
func Stderr() (io.Writer, func()) {
	if term.IsTerminal(int(os.Stderr.Fd())) {
		return os.Stderr, func() {}
	}
	fl := NewLogWriter(os.Stderr, Interval)
	return fl, fl.Flush
}

// LastLine returns the last non-blank line of a log file (the text
// after its last carriage return, escape codes dropped), at most width
// runes; "" if there is none or the file cannot be read.
func LastLine(path string, width int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const tailBytes = 1024
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	buf := make([]byte, min(st.Size(), tailBytes))
	if _, err := f.ReadAt(buf, st.Size()-int64(len(buf))); err != nil {
		return ""
	}
	lines := strings.Split(strings.ReplaceAll(string(buf), "\r", "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(CleanFrame([]byte(lines[i]))); l != "" && (i > 0 || len(buf) < tailBytes) {
			if r := []rune(l); len(r) > width {
				l = string(r[:width-1]) + "…"
			}
			return l
		}
	}
	return ""
}
