// Package gan pre-trains the DCGAN of package models/gan adversarially on
// random inlier crops (`nflowjs train gan`), the generator of the GAN
// negatives in the NFlowJS paper's Table 8 (train/joint's --negatives gan).
//
// Each step updates the discriminator on a batch of real crops and a batch
// of generated ones (non-saturating GAN loss: softplus(−D(real)) +
// softplus(D(fake))), then the generator to fool it (softplus(−D(G(z)))),
// with Adam at DCGAN's lr 2e-4, β₁ = 0.5. The run directory holds
// gan.safetensors (both networks and the config), log.jsonl and
// samples.png. The runs are minutes long on two cores and do not resume.
package gan
