#!/usr/bin/python3
"""Exports small PyTorch models with torch.onnx.export into a folder.

Run with Debian's /usr/bin/python3 (python3-torch 1.13, python3-onnx). The
models carry the shape plumbing PyTorch's exporter emits (shape -> gather ->
unsqueeze -> concat -> reshape) with symbolic batch and sequence dims, and
one has scripted control flow (If and Loop).
"""
import os
import sys

import torch
from torch import nn

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


def export(model, args, name, input_names, dynamic_axes):
    model.eval()
    torch.onnx.export(model, args, os.path.join(out, name), opset_version=13,
                      input_names=input_names, output_names=["y"],
                      dynamic_axes=dynamic_axes)


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = nn.Linear(16 * 8 * 8, 10)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv1(x)))
        x = torch.relu(self.conv2(x))
        x = x.view(x.size(0), -1)  # the shape plumbing
        return self.fc(x)


class TransformerBlock(nn.Module):
    def __init__(self, dim=32, heads=4):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)
        def split(t):
            return t.reshape(b, s, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(q), split(k), split(v)
        att = torch.softmax(q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, s, d)
        x = x + self.proj(y)
        return x + self.ff(self.norm2(x))


class EarlyExit(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(16, 16)
        self.b = nn.Linear(16, 16)
        self.head = nn.Linear(16, 4)

    def forward(self, x, steps: int):
        h = torch.relu(self.a(x))
        if h.mean() > 0.1:
            h = torch.relu(self.b(h))
        for _ in range(steps):
            h = torch.tanh(self.b(h))
        return self.head(h)


export(SmallCnn(), (torch.randn(2, 3, 16, 16),), "cnn.onnx", ["x"],
       {"x": {0: "N"}, "y": {0: "N"}})
export(TransformerBlock(), (torch.randn(2, 5, 32),), "transformer.onnx", ["x"],
       {"x": {0: "B", 1: "S"}, "y": {0: "B", 1: "S"}})
export(torch.jit.script(EarlyExit()), (torch.randn(3, 16), 2), "early_exit.onnx",
       ["x", "steps"], {"x": {0: "N"}, "y": {0: "N"}})
