// Package gan is a small DCGAN (Radford, Metz & Chintala, ICLR 2016) for
// the GAN negatives of the NFlowJS paper's Table 8: a fully convolutional
// generator from a latent grid (so that, like the flow, it samples patches
// of any size that is a multiple of Stride) and a patch discriminator,
// both with batch norm and the DCGAN activations. Images live in the
// flow's space [-0.5, 0.5] (8-bit value v ↦ v/255 − 0.5), so the joint
// stage pastes GAN samples exactly as it pastes flow samples.
//
// Training (adversarial, on random inlier crops) is package train/gan's;
// train/joint's --negatives gan pastes the pre-trained generator's samples.
package gan
