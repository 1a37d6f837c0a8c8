// Package convention holds the data conventions that the dataset readers
// and the model bundle share, so that models/seg need not import dataset
// (its decoders and readers) for four values: the input normalisation and
// the label values of void and anomalous pixels. Package dataset exports
// them as DefaultMean, DefaultStd, DefaultIgnoreLabel and
// DefaultAnomalyLabel.
package convention

// Label values of void pixels (excluded from every metric) and anomalous
// (OOD) pixels in label maps.
const (
	IgnoreLabel  = 255
	AnomalyLabel = 254
)

// Mean and Std are the ImageNet statistics that normalise input images:
// (v/255 − Mean[c]) / Std[c].
var (
	Mean = [3]float32{0.485, 0.456, 0.406}
	Std  = [3]float32{0.229, 0.224, 0.225}
)
