package serve

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nflowjs/nflowjs/infer/infertest"
)

// TestSlowUploadersHoldNoSlot: clients sending their body at a trickle, more
// of them than there are prediction slots, must not lock out the others.
// Normal clients get 200 throughout; the slow ones get 408 once their upload
// time is up.
func TestSlowUploadersHoldNoSlot(t *testing.T) {
	const slow, limit = 4, 2
	const upload = 700 * time.Millisecond
	s := newTestServer(t, &infertest.ChannelModel{Delay: time.Millisecond}, f32(-0.05),
		Config{MaxConcurrent: limit, UploadTimeout: upload}, nil)
	addr := serveLoopback(t, s)
	body := infertest.PNG(infertest.Scene(48, 24, 20, 10, 6))

	slowCodes := make([]int, slow)
	var wg sync.WaitGroup
	for i := range slow {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slowCodes[i] = slowPost(t, addr, body, 50*time.Millisecond)
		}()
	}
	// Normal clients, while the slow ones trickle: every one must succeed.
	time.Sleep(100 * time.Millisecond)
	client := &http.Client{Timeout: 10 * time.Second}
	start := time.Now()
	n := 0
	for time.Since(start) < upload {
		resp, err := client.Post("http://"+addr+"/v1/predict", "image/png", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("normal client got %d while %d clients upload slowly", resp.StatusCode, slow)
		}
		n++
	}
	wg.Wait()
	for i, c := range slowCodes {
		if c != http.StatusRequestTimeout {
			t.Errorf("slow client %d got %d, want 408", i, c)
		}
	}
	t.Logf("%d normal predictions succeeded beside %d slow uploaders", n, slow)
}

// slowPost sends a prediction's body one byte per gap and returns the
// status code of the answer.
func slowPost(t *testing.T, addr string, body []byte, gap time.Duration) int {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return -1
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "POST /v1/predict HTTP/1.1\r\nHost: %s\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n", addr, len(body))
	go func() {
		for _, b := range body {
			if _, err := conn.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(gap)
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Errorf("slow client: %v", err)
		return -1
	}
	resp.Body.Close()
	return resp.StatusCode
}
