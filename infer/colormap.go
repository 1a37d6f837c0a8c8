package infer

import "math"

// inferno is matplotlib's "inferno" colour map (Smith & van der Walt,
// perceptually uniform, monotonic in lightness, readable in gray scale and
// by colour-blind viewers) sampled at 256 levels. It is evaluated from the
// sixth-degree polynomial fit of each sRGB channel published with the map's
// shader ports (Matt Zucconi, 2019), which stays within about 4/255 of the
// reference table; storing the seven coefficients avoids a 768-entry table.
var inferno = func() (lut [256][3]uint8) {
	c := [7][3]float64{
		{0.0002189403691192265, 0.001651004631001012, -0.01948089843709184},
		{0.1065134194856116, 0.5639564367884091, 3.932712388889277},
		{11.60249308247187, -3.972853965665698, -15.9423941062914},
		{-41.70399613139459, 17.43639888205313, 44.35414519872813},
		{77.162935699427, -33.40235894210092, -81.80730925738993},
		{-71.31942824499214, 32.62606426397723, 73.20951985803202},
		{25.13112622477341, -12.24266895238567, -23.07032500287172},
	}
	for i := range lut {
		t := float64(i) / 255
		for ch := 0; ch < 3; ch++ {
			// Horner: c0 + t(c1 + t(c2 + ...)).
			v := c[6][ch]
			for d := 5; d >= 0; d-- {
				v = v*t + c[d][ch]
			}
			lut[i][ch] = uint8(math.Round(255 * min(1, max(0, v))))
		}
	}
	return lut
}()

// Inferno returns the colour of t ∈ [0, 1] (clamped; NaN maps to 0).
func Inferno(t float64) [3]uint8 {
	if !(t > 0) {
		return inferno[0]
	}
	if t >= 1 {
		return inferno[255]
	}
	return inferno[int(t*255+0.5)]
}
