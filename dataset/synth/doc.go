// Package synth generates nflowjs's procedural dense-OOD benchmarks: hard,
// fully labelled, deterministic stand-ins for StreetHazards (road), BSB
// aerial OOD (aerial) and the paper's 2-D toy example (toy2d).
//
// # Output
//
// Generate writes the generic dataset format of package dataset:
//
//	OUT/dataset.json                  classes, colours, ignore 255, anomaly 254, generator settings
//	OUT/<split>/images/<id>.png       8-bit RGB
//	OUT/<split>/labels/<id>.png       8-bit gray: class id, 254 anomaly, 255 void
//	OUT/<split>/depth/<id>.png        road only: 16-bit gray, centimetres along the optical axis, 0 = sky/void
//	OUT/<split>/anomalies.json        val and test: the anomaly categories in each image
//
// toy2d writes OUT/<split>.csv (x,y,label) instead of images.
//
// # Road
//
// Scenes are ray-cast from a pinhole camera (horizontal field of view 55-85°,
// height 1.2-1.9 m, horizon at 36-50 % of the image height) over a flat
// ground plane. The road follows xc(Z) = x0 + tY·Z + k·Z² (lateral offset,
// yaw, curvature); lanes, dashed or solid markings, zebra crossings,
// kerbs and sidewalks are classified on the ground plane, and buildings (with
// window grids and visible end walls), walls, see-through fences, hedges and
// forest edges are vertical surfaces parallel to the road, intersected per
// image column in closed form. Trees, cars and vans (seen from behind or in
// front), pedestrians, lamp posts and traffic signs are upright sprites at a
// single depth. Everything is composited with a z-buffer, which is also the
// depth map, so depth is exact: ground at row v lies at Z = f·hc/(v−v0).
// Scenes vary in type (rural, suburban, urban), palette, weather (sunny with
// cast shadows, overcast, dusk), fog, exposure, white balance, vignetting,
// blur and sensor noise; a quarter show the ego vehicle's bonnet as void.
//
// val and test images contain 1-3 anomalies standing on or beside the road
// at 5-50 m (log-uniform), scaled by perspective, occluded correctly and
// rejected if fewer than max(4, H·W/2500) pixels stay visible. val uses
// crates, tyres and barrels; test uses animals, rocks and debris piles, so
// thresholds calibrated on val have never seen a test category. Every part
// of an anomaly reuses a material (colour and texture) of the same scene's
// inlier palette: asphalt, pavement, terrain, poles, buildings, walls,
// fences, vegetation, car paint, sign faces.
//
// # Aerial
//
// Top-down tiles at 0.35-0.6 m per pixel with the 12 inlier classes of
// BSB-aerial-OOD: a rectilinear street grid with sidewalks and markings,
// permeable ground (grass, bare soil, trees), lakes with noisy shorelines,
// houses with gable roofs and pools, apartment slabs, commercial buildings
// and blocks with rooftop equipment, small constructions, sports courts,
// soccer fields and vehicles, all with sun shadows. Test tiles always hold a
// lake with boats and harbours (piers, some T-shaped, with moored boats) as in
// the paper; val tiles contain shipping containers and storage tanks, a
// disjoint land-based pair. Roof, street, soil and water materials are
// reused for the anomalies.
//
// # Determinism
//
// Each image has its own PCG random stream derived from (seed, kind, split,
// index), so the output is byte-identical for a seed regardless of worker
// count or order. Bytes are reproducible for a given binary; builds for
// another architecture (or GOAMD64 level) may fuse multiply-adds and round
// differently.
//
// # Errors
//
// Invalid configurations return errors prefixed "synth: "; nothing panics on
// user input.
package synth
