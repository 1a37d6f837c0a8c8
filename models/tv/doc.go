// Package tv holds segmentation architectures of torchvision
// (torchvision.models.segmentation, version 0.14's layout), built in
// nflowjs's engine with torchvision's state-dict names, so a PyTorch
// checkpoint of one loads tensor for tensor: fcn_resnet50,
// deeplabv3_resnet50 and deeplabv3_resnet101 (a ResNet with dilated
// layer3/layer4, output stride 8, and torchvision's FCN or DeepLabV3/ASPP
// head), deeplabv3_mobilenet_v3_large and lraspp_mobilenet_v3_large
// (MobileNetV3-Large with its last stage dilated, output stride 16, and
// the ASPP or LR-ASPP head); the "out" logits, bilinearly upsampled to
// the input.
//
// torchvision's published checkpoints also carry the auxiliary head
// (aux_classifier.*); Load accepts and reports those tensors as unused.
package tv
