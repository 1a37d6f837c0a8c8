package experiment

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemoSummary(t *testing.T) {
	res, err := ReadResults(filepath.Join("testdata", "results_fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res.WriteDemoSummary(&out, "road", "demo-dir", 0)
	for _, want := range []string{"SHORT run", "stage-1 model, max-softmax (MSP)     10.5%   59.5%   80.0%   70.0%",
		"NFlowJS model, JS score (T=2)        30.5%   19.5%   95.0%   69.5%", "AUROC max-softmax 40.0%, NFlowJS 99.0%",
		filepath.Join("demo-dir", "REPORT.md")} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "joint-road-rkl") {
		t.Errorf("summary offers a failed joint run as the NFlowJS model:\n%s", out.String())
	}
}
