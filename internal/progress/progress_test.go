package progress

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFrameLogger(t *testing.T) {
	var buf bytes.Buffer
	fl := NewLogWriter(&buf, 10*time.Second)
	clock := time.Unix(1000, 0)
	fl.now = func() time.Time { return clock }
	write := func(s string) {
		if _, err := fl.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	write("starting\n")
	// A frame is complete when the next "\r" arrives. The first is written
	// at once; those within 10 s of it are held back, and the latest held
	// one is written when the interval has passed (step 3, completed 26 s
	// later), when an ordinary line follows (step 10) or on Flush.
	for i, f := range []string{"\r 10% |##   | step 1", "\r 20% |###  | step 2", "\r 30% |#### | step 3"} {
		write(f)
		clock = clock.Add(time.Second * time.Duration(i+1))
	}
	clock = clock.Add(20 * time.Second)
	write("\r\x1b[K 90% |#####| step 9\r")
	write("\r 95% |#####| step 10")
	write("\rdone in 3s\n")
	write("\r 97% cleared")
	write("\r          \r")
	write("table\n")
	write("\r 99% tail")
	fl.Flush()
	got := buf.String()
	want := "starting\n10% |##   | step 1\n30% |#### | step 3\n95% |#####| step 10\ndone in 3s\n97% cleared\ntable\n99% tail\n"
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	if strings.Contains(got, "\r") {
		t.Error("carriage return leaked")
	}
}

// TestFrameLoggerRedraws feeds the byte sequence progressbar writes to a
// non-terminal: before every redraw it clears the line with "\r", blanks
// and "\r". Those clears must not turn every frame into a line.
func TestFrameLoggerRedraws(t *testing.T) {
	var buf bytes.Buffer
	fl := NewLogWriter(&buf, 10*time.Second)
	clock := time.Unix(1000, 0)
	fl.now = func() time.Time { return clock }
	blank := "\r" + strings.Repeat(" ", 40) + "\r"
	for i := range 100 {
		if _, err := fl.Write([]byte(blank)); err != nil {
			t.Fatal(err)
		}
		if _, err := fl.Write([]byte("\r" + strings.Repeat("#", i/10) + " step " + string(rune('0'+i%10)))); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Second / 2) // 100 frames in 50 s
	}
	fl.Flush()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	// One line at the start, one per 10 s, and the last frame on Flush.
	if len(lines) < 5 || len(lines) > 7 {
		t.Fatalf("%d lines for 100 redraws over 50 s, want about 6:\n%s", len(lines), buf.String())
	}
	if last := lines[len(lines)-1]; last != "######### step 9" {
		t.Errorf("last line %q, want the last frame", last)
	}
}

// TestLastLogLine: the demo's step bar shows a running step's latest log
// line: the text after the last carriage return, blanks and escape codes
// dropped, truncated; nothing for a missing file.
func TestLastLogLine(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "log.txt")
	if got := LastLine(p, 20); got != "" {
		t.Errorf("missing file: %q", got)
	}
	if err := os.WriteFile(p, []byte("epoch 1/40 loss 0.9\nepoch 2/40 loss 0.8\n\r 40% |###  | step 3\r\x1b[K\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := LastLine(p, 60); got != "40% |###  | step 3" {
		t.Errorf("got %q", got)
	}
	if got := LastLine(p, 8); got != "40% |##…" {
		t.Errorf("truncated: %q", got)
	}
}
