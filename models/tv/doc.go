// Package tv holds segmentation architectures of torchvision
// (torchvision.models.segmentation, version 0.14's layout), built in
// nflowjs's engine with torchvision's state-dict names, so a PyTorch
// checkpoint of one loads tensor for tensor: fcn_resnet50,
// deeplabv3_resnet50 and deeplabv3_resnet101 (a ResNet with dilated
// layer3/layer4, output stride 8, and torchvision's FCN or DeepLabV3/ASPP
// head), deeplabv3_mobilenet_v3_large and lraspp_mobilenet_v3_large
// (MobileNetV3-Large with its last stage dilated, output stride 16, and
// the ASPP or LR-ASPP head); the "out" logits, bilinearly upsampled to
// the input. And deepwv3plus: DeepWV3Plus of NVIDIA's
// semantic-segmentation repository (WiderResNet-38 DeepLabV3+, the
// Cityscapes model SynBoost, PEBAL, RPL and DenseHybrid build on), in
// that repository's layout and names (mod1…mod7, aspp, bot_fine,
// bot_aspp, final) and its align_corners=True upsampling.
//
// torchvision's published checkpoints also carry the auxiliary head
// (aux_classifier.*); Load accepts and reports those tensors as unused.
package tv
