package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/models/seg"
)

func init() {
	var arch, weights, out, namesFile string
	var classes int
	torch := &cobra.Command{
		Use:   "torch --arch ARCH --weights FILE --classes K --out RUN",
		Short: "Import a PyTorch segmentation checkpoint as an nflowjs model bundle",
		Long: `import torch reads a PyTorch checkpoint — a torch.save file (.pth/.pt, either
format; read without executing anything: any pickled object other than a state
dict's tensors is refused by name) or a .safetensors file — of a torchvision
segmentation architecture, and writes a model bundle that eval, calibrate, predict
and serve use like a bundle nflowjs trained. Training checkpoints
({"state_dict": ...}) and DataParallel's "module." prefixes are handled; every
missing, unexpected or mis-shaped tensor is named in one error; torchvision's
auxiliary head (aux_classifier.*) is accepted and reported unused. Inputs are
normalised as torchvision's (RGB/255, ImageNet mean and std).`,
		Example: `  nflowjs import torch --arch deeplabv3_resnet50 --weights deeplabv3_resnet50_coco.pth --classes 21 --out runs/dlv3`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if weights == "" || out == "" {
				return errors.New("import torch: --weights and --out are required")
			}
			names, err := classNames(classes, namesFile)
			if err != nil {
				return fmt.Errorf("import torch: %w", err)
			}
			m, info, rep, err := seg.ImportTorch(arch, weights, names)
			if err != nil {
				return fmt.Errorf("import torch: %w", err)
			}
			if err := seg.SaveBundle(out, m, info); err != nil {
				return fmt.Errorf("import torch: %w", err)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "imported %s (%d classes, %.1f M parameters) from %s: %d tensors loaded", arch, len(names),
				float64(m.NumParams())/1e6, weights, rep.Loaded)
			if rep.Found != "" {
				fmt.Fprintf(w, " (from its %q entry)", rep.Found)
			}
			fmt.Fprintln(w)
			if len(rep.Unused) > 0 {
				fmt.Fprintf(w, "unused: %d tensors the model has no use for (%s, ...: an auxiliary or ImageNet head)\n", len(rep.Unused), rep.Unused[0])
			}
			if rep.Fresh > 0 {
				fmt.Fprintf(w, "fresh: %d tensors the file does not provide (the decoder) keep their initialisation: train before use\n", rep.Fresh)
			}
			fmt.Fprintf(w, "model bundle: %s (score msp until NFlowJS fine-tuning; calibrate before predict for a fused map)\n", out)
			return nil
		},
	}
	fl := torch.Flags()
	fl.StringVar(&arch, "arch", "deeplabv3_resnet50", "architecture: "+strings.Join(seg.ImportArchs(), ", ")+
		" (ldn121: the paper's LDN-121; --weights may be torchvision's densenet121 ImageNet weights, then the decoder starts fresh)")
	fl.StringVar(&weights, "weights", "", "PyTorch checkpoint (.pth, .pt) or .safetensors with torchvision's names")
	fl.IntVar(&classes, "classes", 0, "number of classes (names class0, class1, ...; or give --class-names)")
	fl.StringVar(&namesFile, "class-names", "", "file with one class name per line (sets the number of classes)")
	fl.StringVar(&out, "out", "", "bundle directory to write")

	cmd := &cobra.Command{Use: "import", Short: "Import models trained elsewhere (PyTorch)"}
	cmd.AddCommand(torch)
	rootCmd.AddCommand(cmd)
}

// classNames returns the names in file (one per line), or class0..classK-1.
func classNames(k int, file string) ([]string, error) {
	if file == "" {
		if k < 1 {
			return nil, errors.New("--classes K (K >= 1) or --class-names FILE is required")
		}
		names := make([]string, k)
		for i := range names {
			names[i] = fmt.Sprintf("class%d", i)
		}
		return names, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if n := strings.TrimSpace(sc.Text()); n != "" {
			names = append(names, n)
		}
	}
	if k != 0 && k != len(names) {
		return nil, fmt.Errorf("--classes %d but %s names %d classes", k, file, len(names))
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s names no class", file)
	}
	return names, nil
}
