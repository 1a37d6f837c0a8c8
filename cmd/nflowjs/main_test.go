package main

import (
	"os"
	"testing"
)

// testAsCLIEnv makes the test binary behave as the nflowjs command: the
// experiment harness runs every step as a subprocess of os.Executable(),
// which under `go test` is this test binary, so the harness can be tested
// end to end without building nflowjs first.
const testAsCLIEnv = "NFLOWJS_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(testAsCLIEnv) == "1" {
		main() // exits non-zero on error
		os.Exit(0)
	}
	os.Exit(m.Run())
}
