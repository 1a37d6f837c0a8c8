package experiment

// Report collects the results of a run's finished steps (dir, profile p,
// suite) and writes dir/REPORT.md, dir/results.json and the figures, also
// after a failed run (with what finished).
func Report(dir string, p Profile, suite string, sum *Summary) (*Results, error) {
	res, err := Collect(dir, p, suite, sum)
	if err != nil {
		return nil, err
	}
	figs, err := BuildFigures(dir, res, sum)
	if err != nil {
		return nil, err
	}
	if err := WriteReport(dir, res, figs); err != nil {
		return nil, err
	}
	return res, nil
}

// NothingRan reports whether every step is missing or pending: a preflight
// failure, with nothing to report.
func (s *Summary) NothingRan() bool {
	for _, st := range s.Steps {
		if st.Status != StatusMissing && st.Status != StatusPending {
			return false
		}
	}
	return true
}
