"""The batch-1 dynamic rows of the benchmark (called by bench/run): models
whose computation depends on their input, at realistic widths (layers of
512-1024), scripted (torch.jit.script) so that their control flow exports
as If and Loop, and inputs that take their longer paths.

usage: /usr/bin/python3 bench/make_dynamic.py OUT_DIR

Like make_zoo.py: ROW.inputs, ROW.flops (of what runs on those inputs),
exports cached, ROW@VARIANT runs ROW's model on other inputs.

  exit_mlp      784-512-512-512 with an exit head after each block; the
                input's confidence never reaches the thresholds: 3 blocks
  gated_res     4 residual blocks of 1024 (1024-1024-1024), each run only
                if its gate on the input opens (2 of 4 do)
  refine_loop   a 256-512-256 refinement cell looped until its update is
                small (20 trips: the cap)
  skipnet       SkipNet: 6 residual conv blocks of 64-128 channels at 56x56
                and 28x28, each skipped when its gate closes (3 of 6 run)
  moe_top2      top-2 of 8 experts (d 512, ff 1024) routed by nonzero /
                index_select / index_add: at 1 token and at 256
"""
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rows  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def export(model, args, name, names, dynamic_axes=None):
    path = os.path.join(out, name + ".onnx")
    if not os.path.exists(path):
        model.eval()
        with torch.no_grad():
            torch.onnx.export(torch.jit.script(model), args, path, opset_version=13,
                              input_names=names, dynamic_axes=dynamic_axes or {})


def write_row(row, inputs, flops):
    rows.write_row(out, row, inputs, flops)


class ExitMlp(nn.Module):
    def __init__(self, d_in=784, d=512, classes=10):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(d_in, d), nn.Linear(d, d), nn.Linear(d, d)])
        self.heads = nn.ModuleList([nn.Linear(d, classes) for _ in range(3)])

    def forward(self, x, threshold):
        h = torch.relu(self.blocks[0](x))
        y = self.heads[0](h)
        if torch.softmax(y, dim=1).max() > threshold:
            return y
        h = torch.relu(self.blocks[1](h))
        y = self.heads[1](h)
        if torch.softmax(y, dim=1).max() > threshold:
            return y
        h = torch.relu(self.blocks[2](h))
        return self.heads[2](h)


class GatedRes(nn.Module):
    def __init__(self, d=1024, blocks=4):
        super().__init__()
        self.gates = nn.ModuleList([nn.Linear(d, 1) for _ in range(blocks)])
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, d))
                                     for _ in range(blocks)])

    def forward(self, x):
        for gate, block in zip(self.gates, self.blocks):
            if gate(x).sum() > 0:
                x = x + block(x)
        return x


class RefineLoop(nn.Module):
    def __init__(self, d=256, hidden=512):
        super().__init__()
        self.cell = nn.Sequential(nn.Linear(d, hidden), nn.Tanh(), nn.Linear(hidden, d))

    def forward(self, x):
        i = 0
        while i < 20:
            update = 0.1 * self.cell(x)
            x = x + update
            i += 1
            if update.abs().max() < 1e-6:
                break
        return x


class SkipBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate = nn.Linear(c, 1)
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1), nn.BatchNorm2d(c), nn.ReLU(),
                                  nn.Conv2d(c, c, 3, 1, 1), nn.BatchNorm2d(c))

    def forward(self, x):
        if self.gate(x.mean(dim=(2, 3))).sum() > 0:
            x = torch.relu(x + self.body(x))
        return x


class SkipNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stage1 = nn.ModuleList([SkipBlock(64) for _ in range(3)])
        self.down = nn.Sequential(nn.Conv2d(64, 128, 3, 2, 1), nn.BatchNorm2d(128), nn.ReLU())
        self.stage2 = nn.ModuleList([SkipBlock(128) for _ in range(3)])
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        for block in self.stage1:
            x = block(x)
        x = self.down(x)
        for block in self.stage2:
            x = block(x)
        return self.head(x.mean(dim=(2, 3)))


class MoeTop2(nn.Module):
    def __init__(self, d=512, ff=1024, experts=8):
        super().__init__()
        self.router = nn.Linear(d, experts)
        self.experts = nn.ModuleList([nn.Sequential(nn.Linear(d, ff), nn.ReLU(), nn.Linear(ff, d))
                                      for _ in range(experts)])

    def forward(self, x):
        weights, chosen = torch.topk(torch.softmax(self.router(x), dim=1), 2, dim=1)
        y = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            hit = (chosen == e)
            rows = hit.any(dim=1).nonzero().squeeze(1)
            w = (weights * hit.float()).sum(dim=1).index_select(0, rows).unsqueeze(1)
            y = y.index_add(0, rows, w * expert(x.index_select(0, rows)))
        return y


torch.manual_seed(0)
rng = np.random.default_rng(0)
mm = lambda rows, k, n: 2 * rows * k * n  # noqa: E731

export(ExitMlp(), (torch.randn(1, 784), torch.tensor(0.5)), "exit_mlp", ["x", "threshold"])
write_row("exit_mlp", {"x": rng.standard_normal((1, 784), np.float32),
                       "threshold": np.array(2.0, np.float32)},  # never confident: 3 blocks
          mm(1, 784, 512) + 2 * mm(1, 512, 512) + 3 * mm(1, 512, 10))

gated = GatedRes()
with torch.no_grad():  # gates 0 and 2 open on the input below, 1 and 3 closed
    gx = torch.randn(1, 1024)
    for i, gate in enumerate(gated.gates):
        gate.weight.copy_(gx / gx.norm() ** 2 * (1.0 if i % 2 == 0 else -1.0))
        gate.bias.zero_()
export(gated, (gx,), "gated_res", ["x"])
write_row("gated_res", {"x": gx.numpy()}, 4 * mm(1, 1024, 1) + 2 * 2 * mm(1, 1024, 1024))

export(RefineLoop(), (torch.randn(1, 256),), "refine_loop", ["x"])
write_row("refine_loop", {"x": rng.standard_normal((1, 256), np.float32)},
          20 * (mm(1, 256, 512) + mm(1, 512, 256)))

skip = SkipNet()
with torch.no_grad():  # blocks 0, 2 of each stage run (gates on the mean: bias decides)
    for stage in (skip.stage1, skip.stage2):
        for i, block in enumerate(stage):
            block.gate.weight.zero_()
            block.gate.bias.fill_(1.0 if i % 2 == 0 else -1.0)
export(skip, (torch.randn(1, 64, 56, 56),), "skipnet", ["x"])
conv = lambda c, hw: 2 * c * c * 9 * hw * hw  # noqa: E731
write_row("skipnet", {"x": rng.standard_normal((1, 64, 56, 56), np.float32)},
          2 * 2 * conv(64, 56) + 2 * 64 * 128 * 9 * 28 * 28 + 2 * 2 * conv(128, 28))

export(MoeTop2(), (torch.randn(4, 512),), "moe_top2", ["x"], {"x": {0: "tokens"}})
for tokens in (1, 256):
    write_row("moe_top2@%d" % tokens, {"x": rng.standard_normal((tokens, 512), np.float32)},
              mm(tokens, 512, 8) + 2 * tokens * 2 * mm(1, 512, 1024))
