package experiment

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Suites lists the suites PaperSuite and DemoSuite build.
var Suites = []string{"paper", "demo"}

// Step kinds recorded in Step.Meta["kind"].
const (
	KindData    = "data"
	KindClosed  = "closed"
	KindFlow    = "flow"
	KindGAN     = "gan"
	KindJoint   = "joint"
	KindCalib   = "calibrate"
	KindEval    = "eval"
	KindPredict = "predict"
	KindToy     = "toy"
	KindCurves  = "curves"
)

// fashion-ood and its far-OOD split, which the results list as a
// benchmark of its own (the same models evaluated on test-far).
const (
	FashionOOD    = "fashion-ood"
	FashionOODFar = "fashion-ood-far"
	FarSplit      = "test-far"
)

// ModelClosed is the model name of the stage-1 (closed-set) model in step
// names and results; joint models are named by their variant.
const ModelClosed = "closed"

// EvalFile is the file an eval step's JSON is captured in.
const EvalFile = "eval.json"

// Temperatures are the JS-score temperatures of Table 10.
var Temperatures = []string{"1", "1.5", "2", "3"}

// jsAt returns the eval score name of the JS score at temperature T.
func jsAt(t string) string {
	if t == "2" {
		return "js" // eval's default T for js is 2
	}
	return "js@" + t
}

// closedScores and jointScores are the eval scores of each kind of model.
func scoresFor(model string, p Profile) []string {
	s := []string{"msp", "msp@10", "maxlogit", "entropy", "energy", "kl", "rkl", "js", "rba"}
	if model == VariantUNO {
		s = append(s, "uno")
	}
	if p.Temperatures {
		for _, t := range Temperatures {
			if t != "2" {
				s = append(s, jsAt(t))
			}
		}
	}
	if model == ModelClosed && p.ModelBaselines {
		mc := "mcdropout"
		if p.MCPasses > 0 {
			mc += "@" + strconv.Itoa(p.MCPasses)
		}
		s = append(s, "odin", mc, "react", "mahalanobis", "vim", "knn")
	}
	return s
}

func stepName(parts ...string) string { return strings.Join(parts, "-") }

func seedTag(seed uint64) string { return "s" + strconv.FormatUint(seed, 10) }

func itoa(n int) string { return strconv.Itoa(n) }

// auxFor returns the benchmark whose training images are the auxiliary
// "real" negatives of ds: the other domain, as the paper uses ADE20k (a
// different camera and scene type) for both road and aerial images.
func auxFor(ds string, datasets []string) string {
	for _, d := range datasets {
		if d != ds {
			return d
		}
	}
	return ""
}

// PaperSuite builds the plan that mirrors the paper's experiments: for each
// benchmark, generate it, train stage 1 and pre-train the flow per seed,
// train every joint variant, calibrate each model and evaluate it with all
// scores, write qualitative predictions, and run the 2-D toy.
func PaperSuite(p Profile) (*Plan, error) {
	if len(p.Datasets) == 0 || len(p.Seeds) == 0 {
		return nil, fmt.Errorf("experiment: profile %s has no datasets or seeds", p.Name)
	}
	plan := &Plan{Name: "paper/" + p.Name}
	for _, ds := range p.Datasets {
		spec, ok := p.Data[ds]
		if !ok {
			return nil, fmt.Errorf("experiment: profile %s has no data size for %s", p.Name, ds)
		}
		plan.Add(&Step{Name: stepName("data", ds), Args: []string{"data", "gen", ds, "--out", "{out}", "--seed", "1",
			"--train", itoa(spec.Train), "--val", itoa(spec.Val), "--test", itoa(spec.Test), "--size", spec.Size, "--quiet"},
			Meta: map[string]string{"kind": KindData, "dataset": ds}})
	}
	// Seeds outermost: a run stopped early has every benchmark's first
	// seed rather than all seeds of one benchmark.
	for _, seed := range p.Seeds {
		for _, ds := range p.Datasets {
			data := "{dep:" + stepName("data", ds) + "}"
			st := seedTag(seed)
			meta := func(kind, model string) map[string]string {
				return map[string]string{"kind": kind, "dataset": ds, "model": model, "seed": strconv.FormatUint(seed, 10)}
			}
			// With shared pre-training every seed's joint runs start from
			// the first seed's stage-1 model and flow.
			pre := seed
			if p.SharedPretraining {
				pre = p.Seeds[0]
			}
			closed := stepName("closed", ds, seedTag(pre))
			flow := stepName("flow", ds, seedTag(pre))
			if pre == seed {
				args := []string{"train", "closed", "--data", data, "--out", "{out}", "--seed", strconv.FormatUint(seed, 10),
					"--preset", p.Preset, "--epochs", itoa(p.ClosedEpochs), "--batch", itoa(p.ClosedBatch)}
				if p.ClosedStepsPerEpoch > 0 {
					args = append(args, "--steps-per-epoch", itoa(p.ClosedStepsPerEpoch))
				}
				if p.ClosedValLimit > 0 {
					args = append(args, "--val-limit", itoa(p.ClosedValLimit))
				}
				if p.OutputStride > 0 {
					args = append(args, "--output-stride", itoa(p.OutputStride))
				}
				plan.Add(&Step{Name: closed, Args: args, Resume: Resume{Flag: "--resume", Marker: "state.safetensors"},
					Meta: meta(KindClosed, ModelClosed)})

				plan.Add(&Step{Name: flow, Args: []string{"train", "flow", "--data", data, "--out", "{out}",
					"--seed", strconv.FormatUint(seed, 10), "--config", p.FlowConfig, "--preset", p.FlowPreset,
					"--steps", itoa(p.FlowSteps), "--batch", itoa(p.FlowBatch), "--crop", itoa(p.FlowCrop),
					"--val-crops", itoa(p.FlowValCrops)},
					Resume: Resume{Flag: "--resume", Marker: "state.safetensors"}, Meta: meta(KindFlow, "")})
				if slices.Contains(p.Variants, VariantGAN) {
					// The GAN negatives' generator: as many adversarial
					// steps as the flow's, on crops of the same side.
					plan.Add(&Step{Name: stepName("gan", ds, seedTag(pre)), Args: []string{"train", "gan", "--data", data, "--out", "{out}",
						"--seed", strconv.FormatUint(seed, 10), "--steps", itoa(p.FlowSteps), "--crop", itoa(max(8, p.FlowCrop/8*8))},
						Meta: meta(KindGAN, "")})
				}
			}

			var models []string
			if pre == seed {
				models = append(models, ModelClosed) // the stage-1 model is evaluated once per training
			}
			for _, v := range p.Variants {
				if seed != p.Seeds[0] && p.SeedVariants != nil && !slices.Contains(p.SeedVariants, v) {
					continue
				}
				extra, ok := variantArgs[v]
				if !ok {
					return nil, fmt.Errorf("experiment: profile %s: unknown variant %q", p.Name, v)
				}
				aux := auxFor(ds, p.Datasets)
				if v == VariantReal && aux == "" {
					continue // no other benchmark to draw real negatives from
				}
				args := []string{"train", "joint", "--seg", "{dep:" + closed + "}", "--flow", "{dep:" + flow + "}",
					"--data", data, "--out", "{out}", "--seed", strconv.FormatUint(seed, 10),
					"--steps", itoa(p.JointSteps), "--batch", itoa(p.JointBatch), "--no-progress"}
				if p.PatchMax > 0 {
					args = append(args, "--patch-min", itoa(p.PatchMin), "--patch-max", itoa(p.PatchMax))
				}
				if p.JointCheckpointEvery > 0 {
					args = append(args, "--checkpoint-every", itoa(p.JointCheckpointEvery))
				}
				if p.JointLR > 0 {
					args = append(args, "--lr", strconv.FormatFloat(p.JointLR, 'g', -1, 64))
				}
				if p.JointBackboneLR > 0 {
					args = append(args, "--backbone-lr", strconv.FormatFloat(p.JointBackboneLR, 'g', -1, 64))
				}
				if p.JointLambda > 0 {
					args = append(args, "--lambda", strconv.FormatFloat(p.JointLambda, 'g', -1, 64))
				}
				if p.JointFlowTemperature > 0 {
					args = append(args, "--flow-temperature", strconv.FormatFloat(p.JointFlowTemperature, 'g', -1, 64))
				}
				// Ablations keep the λ the NFlowJS run validated (one setting
				// changed at a time, and no pilots of their own); only the
				// other losses validate their own, as the paper does.
				if v != VariantNFlowJS && lambdaFromNFlowJS[v] && slices.Contains(p.Variants, VariantNFlowJS) && !slices.Contains(extra, "--lambda") {
					args = append(args, "--lambda", "from:{dep:"+stepName("joint", ds, VariantNFlowJS, st)+"}")
				}
				if v == VariantGAN {
					extra = append(slices.Clone(extra), "--gan", "{dep:"+stepName("gan", ds, seedTag(pre))+"}")
				}
				for _, a := range extra {
					args = append(args, strings.ReplaceAll(a, "{aux}", "{dep:"+stepName("data", aux)+"}/train/images"))
				}
				plan.Add(&Step{Name: stepName("joint", ds, v, st), Args: args,
					Resume: Resume{Flag: "--resume", Marker: "state.safetensors"}, Meta: meta(KindJoint, v)})
				models = append(models, v)
			}

			for _, m := range models {
				train := closed
				if m != ModelClosed {
					train = stepName("joint", ds, m, st)
				}
				calib := stepName("calib", ds, m, st)
				target := []string{"--tpr", "0.95"}
				if p.CalibFPR > 0 {
					target = []string{"--fpr", strconv.FormatFloat(p.CalibFPR, 'g', -1, 64)}
				}
				plan.Add(&Step{Name: calib, CopyFrom: train, CopyFiles: []string{"model.json", "model.safetensors"},
					Args: append([]string{"calibrate", "--model", "{out}", "--data", data, "--split", "val", "--quiet"}, target...),
					Meta: meta(KindCalib, m)})
				args := []string{"eval", "--model", "{dep:" + calib + "}", "--data", data, "--split", "test",
					"--scores", strings.Join(scoresFor(m, p), ","), "--json", "--quiet"}
				if p.EvalMaxImages > 0 {
					args = append(args, "--max-images", itoa(p.EvalMaxImages))
				}
				plan.Add(&Step{Name: stepName("eval", ds, m, st), Args: args, Stdout: EvalFile, Meta: meta(KindEval, m)})
				if ds == FashionOOD {
					// The far-OOD split, reported as a benchmark of its own.
					far := append([]string{}, args...)
					far[slices.Index(far, "test")] = FarSplit
					fm := meta(KindEval, m)
					fm["dataset"] = FashionOODFar
					plan.Add(&Step{Name: stepName("eval", FashionOODFar, m, st), Args: far, Stdout: EvalFile, Meta: fm})
				}
				if m == VariantNFlowJS && seed == p.Seeds[0] {
					plan.Add(&Step{Name: stepName("curves", ds, st),
						Args: []string{"experiment", "curves", "--before", "{dep:" + stepName("calib", ds, ModelClosed, seedTag(pre)) + "}",
							"--after", "{dep:" + calib + "}", "--flow", "{dep:" + flow + "}", "--data", data, "--out", "{out}"},
						Meta: map[string]string{"kind": KindCurves, "dataset": ds, "seed": strconv.FormatUint(seed, 10)}})
				}
				if p.Predict > 0 && seed == p.Seeds[0] && (m == ModelClosed || m == VariantNFlowJS) {
					plan.Add(&Step{Name: stepName("predict", ds, m, st), Optional: true,
						Args: []string{"predict", "--model", "{dep:" + calib + "}", data + "/test/images", "--out", "{out}", "--quiet"},
						Meta: meta(KindPredict, m)})
				}
			}
		}
	}
	if p.ToySteps > 0 {
		seeds := make([]string, len(p.Seeds))
		for i, s := range p.Seeds {
			seeds[i] = strconv.FormatUint(s, 10)
		}
		if len(seeds) < 3 && p.ToySteps >= 1000 {
			seeds = []string{"1", "2", "3"} // the toy is cheap: always a few seeds in the real profiles
		}
		plan.Add(&Step{Name: "toy", Args: []string{"experiment", "toy", "--out", "{out}", "--steps", itoa(p.ToySteps), "--seeds", strings.Join(seeds, ",")},
			Meta: map[string]string{"kind": KindToy}})
	}
	return plan, nil
}

// DemoSuite is PaperSuite for the demo profile.
func DemoSuite() (*Plan, Profile, error) {
	p, err := GetProfile("demo")
	if err != nil {
		return nil, p, err
	}
	plan, err := PaperSuite(p)
	if err != nil {
		return nil, p, err
	}
	plan.Name = "demo"
	return plan, p, nil
}
