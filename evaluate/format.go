package evaluate

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Row is one line of the JSON list printed by `nflowjs eval --json`: a
// score's metrics with the split's segmentation metrics repeated, so every
// element stands alone.
type Row struct {
	Model           string   `json:"model,omitempty"`
	Dataset         string   `json:"dataset"`
	Split           string   `json:"split"`
	Protocol        string   `json:"protocol"`
	Score           string   `json:"score"`
	Detail          string   `json:"detail"`
	AP              float64  `json:"ap"`
	FPR95           float64  `json:"fpr95"`
	AUROC           float64  `json:"auroc"`
	MIoU            float64  `json:"miou"`
	OpenMIoU        *float64 `json:"open_miou,omitempty"`
	Threshold       *float32 `json:"threshold,omitempty"`
	ThresholdSource string   `json:"threshold_source,omitempty"`
	FlaggedFraction *float64 `json:"flagged_fraction,omitempty"`
	OverFlagged     int      `json:"over_flagged_images,omitempty"`
	Images          int      `json:"images"`
	Pixels          int64    `json:"pixels"`
	Anomalies       int64    `json:"anomaly_pixels"`
	MsPerImage      float64  `json:"ms_per_image"`
	// Explain is the score's Explanation (eval --explain).
	Explain *Explanation `json:"explain,omitempty"`
	// ForwardMsPerImage is the shared plain forward pass per image (the
	// same in every row of a report).
	ForwardMsPerImage float64 `json:"forward_ms_per_image"`
}

// Rows flattens a report into one Row per score. A report without scores
// gives one row with the segmentation metrics only.
func (r *Report) Rows() []Row {
	base := Row{Model: r.Model, Dataset: r.Dataset, Split: r.Split, Protocol: r.Protocol, MIoU: r.MIoU,
		Images: r.Images, Pixels: r.Pixels, Anomalies: r.Anomalies, ForwardMsPerImage: r.ForwardMsPerImage}
	if len(r.Scores) == 0 {
		return []Row{base}
	}
	out := make([]Row, len(r.Scores))
	for i, s := range r.Scores {
		row := base
		row.Score, row.Detail = s.Score, s.Detail
		row.AP, row.FPR95, row.AUROC = s.AP, s.FPR95, s.AUROC
		row.OpenMIoU, row.Threshold, row.ThresholdSource = s.OpenMIoU, s.Threshold, s.ThresholdSource
		row.FlaggedFraction, row.OverFlagged = s.FlaggedFraction, s.OverFlagged
		row.MsPerImage, row.Explain = s.MsPerImage, s.Explain
		out[i] = row
	}
	return out
}

// WriteTable prints the report as a table: AP, FPR95 and AUROC (in %) per
// score, the open-mIoU of each score's outlier-aware segmentation, and the
// closed-set mIoU.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d images, %d pixels, %d anomaly pixels (%s protocol, %s metrics)\n",
		r.Dataset, r.Split, r.Images, r.Pixels, r.Anomalies, r.Protocol, r.Engine)
	if r.Model != "" {
		fmt.Fprintf(&b, "model %s, forward pass %.1f ms/image\n", r.Model, r.ForwardMsPerImage)
	}
	fmt.Fprintf(&b, "closed-set mIoU %.2f%%\n", 100*r.MIoU)
	if len(r.Scores) > 0 {
		if r.CalibSplit != "" {
			fmt.Fprintf(&b, "open-mIoU thresholds calibrated on %s at TPR %g\n", r.CalibSplit, r.TPR)
		}
		b.WriteByte('\n')
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "score\tAP\tFPR95\tAUROC\topen-mIoU\tms/img\tdetail\t")
		for _, s := range r.Scores {
			open := "-"
			if s.OpenMIoU != nil {
				open = fmt.Sprintf("%.2f", 100**s.OpenMIoU)
			}
			fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%s\t%.1f\t%s\t\n", s.Score, 100*s.AP, 100*s.FPR95, 100*s.AUROC, open, s.MsPerImage, s.Detail)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, s := range r.Scores {
			if e := s.Explain; e != nil {
				writeExplanation(&b, s.Score, s.FPR95, e)
			}
		}
		for _, s := range r.Scores {
			if s.OverFlagged > 0 {
				fmt.Fprintf(&b, "warning: %s: the threshold (%s) flags %.1f%% of all pixels and more than half of %d of %d images: "+
					"the score does not separate these images from the calibration inliers\n",
					s.Score, s.ThresholdSource, 100**s.FlaggedFraction, s.OverFlagged, r.Images)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeExplanation prints an Explanation in three lines.
func writeExplanation(b *strings.Builder, score string, fpr95 float64, e *Explanation) {
	fmt.Fprintf(b, "\n%s at 95%% TPR (threshold %.4g): FPR %.1f%% — on label boundaries (±%d px, %.1f%% of inlier pixels) %.1f%%, inside regions %.1f%%; %.1f%% of the false positives are on boundaries\n",
		score, e.Threshold, 100*fpr95, e.EdgeRadius, 100*e.InlierEdgeShare, 100*e.FPREdge, 100*e.FPRInterior, 100*e.FPEdgeShare)
	fmt.Fprintf(b, "  false positives by class:%s\n", shares(e.FPByClass, true))
	fmt.Fprintf(b, "  missed anomaly pixels (the hardest 5%%): %.1f%% on boundaries; predicted as%s\n", 100*e.MissedEdgeShare, shares(e.MissedAs, false))
}

// shares lists the first four class shares ("car 41% (FPR 3.2%), …").
func shares(cs []ClassShare, rate bool) string {
	var b strings.Builder
	for i, c := range cs {
		if c.Share < 0.005 {
			break // sorted: the rest round to 0%
		}
		if i == 4 {
			b.WriteString(", …")
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %s %.0f%%", c.Class, 100*c.Share)
		if rate {
			fmt.Fprintf(&b, " (FPR %.1f%%)", 100*c.Rate)
		}
	}
	return b.String()
}
