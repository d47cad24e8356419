"""The benchmark zoo (called by bench/run): architectures dlc was not built
with, exported by Debian's python3-torch 1.13 / torchvision at batch 1,
random weights, eval mode, and their inputs as .npy.

usage: /usr/bin/python3 bench/make_zoo.py OUT_DIR

Writes, per row of the table, OUT_DIR/ROW.inputs (NAME=FILE.npy per line)
and OUT_DIR/ROW.flops; a row ROW@VARIANT runs ROW's model (ROW.onnx,
compiled once) on other inputs. Exports are cached: a model whose .onnx
exists is not exported again.

  torchvision   mobilenet_v2, mobilenet_v3_large, efficientnet_b0,
                shufflenet_v2_x1_0, squeezenet1_1, resnet18, resnet50,
                regnet_y_400mf, densenet121, convnext_tiny, vit_b_16,
                swin_t (1x3x224x224)
  spatial_fpn   a text-detector-style CNN exported with symbolic H and W
                (a strided backbone, a top-down path that resizes each level
                to the size of the next, a head resized back to the
                input's): run at 256x256, 384x640 and 640x640
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rows  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def write_row(row, model, inputs):
    """The row's files; its FLOPs counted on `model` at the inputs' shapes."""
    shapes = {n: a.shape for n, a in inputs.items()}
    rows.write_row(out, row, inputs,
                   rows.count_flops(os.path.join(out, model + ".onnx"), shapes))


def reinitialize_zeros(module, generator):
    """Weights a model starts at zero (ViT's head, some zero-init residual
    branches) make every output equal: random instead."""
    with torch.no_grad():
        for p in module.parameters():
            if p.numel() > 1 and not p.any():
                p.copy_(torch.randn(p.shape, generator=generator) * 0.02)


def export_torchvision(name):
    path = os.path.join(out, name + ".onnx")
    torch.manual_seed(0)
    x = torch.randn(1, 3, 224, 224)
    if not os.path.exists(path):
        model = getattr(torchvision.models, name)()
        reinitialize_zeros(model, torch.Generator().manual_seed(1))
        model.eval()
        # (With gradients on: under no_grad torch 1.13 runs ViT's attention
        # as a fused op that ONNX does not have.)
        torch.onnx.export(model, (x,), path, input_names=["x"], output_names=["y"],
                          opset_version=13)
    write_row(name, name, {"x": x.numpy()})


class SpatialFpn(nn.Module):
    """Backbone levels at strides 4, 8, 16, 32 (64-128 channels); a top-down
    path adding each level resized to the next's size (Resize to sizes the
    graph computes from Shape); a probability map resized to the input."""

    def __init__(self, c=64):
        super().__init__()
        def conv(i, o, s):
            return nn.Sequential(nn.Conv2d(i, o, 3, s, 1, bias=False), nn.BatchNorm2d(o),
                                 nn.ReLU())
        self.stem = nn.Sequential(conv(3, c // 2, 2), conv(c // 2, c, 2))
        self.levels = nn.ModuleList([conv(c, c, 1), conv(c, 2 * c, 2), conv(2 * c, 2 * c, 2),
                                     conv(2 * c, 2 * c, 2)])
        self.lateral = nn.ModuleList([nn.Conv2d(w, c, 1) for w in (c, 2 * c, 2 * c, 2 * c)])
        self.head = nn.Sequential(conv(c, c, 1), nn.Conv2d(c, 1, 1))

    def forward(self, x):
        h = self.stem(x)
        feats = []
        for level in self.levels:
            h = level(h)
            feats.append(h)
        top = self.lateral[3](feats[3])
        for i in (2, 1, 0):
            lateral = self.lateral[i](feats[i])
            top = lateral + F.interpolate(top, size=lateral.shape[-2:], mode="nearest")
        y = torch.sigmoid(self.head(top))
        return F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)


def export_spatial():
    name = "spatial_fpn"
    path = os.path.join(out, name + ".onnx")
    torch.manual_seed(0)
    if not os.path.exists(path):
        model = SpatialFpn().eval()
        with torch.no_grad():
            torch.onnx.export(model, (torch.randn(1, 3, 256, 256),), path, input_names=["x"],
                              output_names=["y"], opset_version=13,
                              dynamic_axes={"x": {2: "H", 3: "W"}, "y": {2: "H", 3: "W"}})
    for h, w in ((256, 256), (384, 640), (640, 640)):
        write_row("%s@%dx%d" % (name, h, w), name,
                  {"x": np.random.default_rng(h + w).standard_normal((1, 3, h, w), np.float32)})


zoo = ["mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0", "shufflenet_v2_x1_0",
       "squeezenet1_1", "resnet18", "resnet50", "regnet_y_400mf", "densenet121",
       "convnext_tiny", "vit_b_16", "swin_t"]
for name in zoo:
    try:
        export_torchvision(name)
    except Exception as e:  # swin_t may not export with this torch
        print("%s: not exported (%s)" % (name, str(e).splitlines()[0] if str(e) else e),
              file=sys.stderr)
        for suffix in (".onnx", ".inputs", ".flops"):
            if os.path.exists(os.path.join(out, name + suffix)):
                os.remove(os.path.join(out, name + suffix))
export_spatial()
