#!/usr/bin/python3
"""Exports dynamic PyTorch models (torch.jit.script, then torch.onnx.export)
and inputs that drive each of them down every path.

Run with Debian's /usr/bin/python3 (python3-torch 1.13). Each model also
returns what path it took, so tests can check that the inputs cover them:
  early_exit.onnx   nested If at batch 1: exit after block 1, 2 or 3
  gated_blocks.onnx residual blocks each skipped when its gate is closed
  while_loop.onnx   a loop whose trip count depends on the data (or 0)
  moe.onnx          top-2 mixture of experts: nonzero, index_select,
                    index_add; an expert may receive no tokens
"""
import os
import sys

import numpy as np
import torch
from torch import nn

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


def export(model, args, name, input_names, output_names, dynamic_axes=None):
    torch.onnx.export(torch.jit.script(model), args, os.path.join(out, name),
                      opset_version=13, input_names=input_names,
                      output_names=output_names, dynamic_axes=dynamic_axes or {})


def save(name, array):
    np.save(os.path.join(out, name), array)


class EarlyExit(nn.Module):
    """Three blocks; after the first two, exit if the head is more confident
    than that exit's threshold."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])
        self.head = nn.Linear(8, 4)

    def forward(self, x, first, second):
        h = torch.relu(self.blocks[0](x))
        if torch.softmax(self.head(h), dim=1).max() > first:
            return self.head(h), torch.tensor(1)
        h = torch.relu(self.blocks[1](h))
        if torch.softmax(self.head(h), dim=1).max() > second:
            return self.head(h), torch.tensor(2)
        h = torch.relu(self.blocks[2](h))
        return self.head(h), torch.tensor(3)


class GatedBlocks(nn.Module):
    """Residual blocks, each run only if its gate on the input is open."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])
        self.gates = nn.ModuleList([nn.Linear(8, 1) for _ in range(3)])

    def forward(self, x):
        ran = torch.zeros(1)
        for block, gate in zip(self.blocks, self.gates):
            if torch.sigmoid(gate(x)).mean() > 0.5:
                x = x + torch.tanh(block(x))
                ran = ran + 1
        return x, ran


class WhileLoop(nn.Module):
    """Halves x until its norm is below a limit: a data-dependent trip count."""

    def forward(self, x, limit):
        trips = torch.zeros(1)
        while (x * x).sum().sqrt() > limit:
            x = x * 0.5
            trips = trips + 1
        return x, trips


class Moe(nn.Module):
    """Top-2 routing over 4 experts, computing only the routed tokens."""

    def __init__(self, dim=8, experts=4):
        super().__init__()
        self.gate = nn.Linear(dim, experts)
        self.experts = nn.ModuleList([nn.Linear(dim, dim) for _ in range(experts)])

    def forward(self, x):
        weights, chosen = torch.topk(torch.softmax(self.gate(x), dim=1), 2, dim=1)
        y = torch.zeros_like(x)
        counts = torch.zeros(4)
        for e, expert in enumerate(self.experts):
            hit = (chosen == e)
            rows = torch.nonzero(hit.any(dim=1)).squeeze(1)
            counts[e] = rows.numel()
            if rows.numel() > 0:
                w = (weights * hit.float()).sum(dim=1, keepdim=True)
                out = expert(torch.index_select(x, 0, rows)) * torch.index_select(w, 0, rows)
                y = y.index_add(0, rows, out)
        return y, counts


early = EarlyExit()
export(early, (torch.randn(1, 8), torch.tensor(0.5), torch.tensor(0.5)),
       "early_exit.onnx", ["x", "first", "second"], ["logits", "exit"])
x = np.random.default_rng(1).standard_normal((1, 8)).astype(np.float32)
save("early_x.npy", x)
save("never.npy", np.array(1.0, np.float32))   # confidence never exceeds 1
save("always.npy", np.array(0.0, np.float32))  # nor falls below 0

gated = GatedBlocks()
export(gated, (torch.randn(2, 8),), "gated_blocks.onnx", ["x"], ["y", "ran"],
       {"x": {0: "N"}, "y": {0: "N"}})
rng = np.random.default_rng(2)
for i in range(4):
    save("gated_x%d.npy" % i, (rng.standard_normal((3, 8)) * 4).astype(np.float32))

export(WhileLoop(), (torch.randn(4), torch.tensor(1.0)), "while_loop.onnx",
       ["x", "limit"], ["y", "trips"], {"x": {0: "N"}, "y": {0: "N"}})
save("while_x.npy", np.full(4, 3.0, np.float32))
save("while_far.npy", np.array(0.5, np.float32))   # norm 6 -> 4 halvings
save("while_near.npy", np.array(100.0, np.float32))  # zero trips

moe = Moe()
export(moe, (torch.randn(5, 8),), "moe.onnx", ["x"], ["y", "counts"],
       {"x": {0: "N"}, "y": {0: "N"}})
save("moe_x.npy", np.random.default_rng(3).standard_normal((6, 8)).astype(np.float32))
save("moe_one.npy", np.random.default_rng(4).standard_normal((1, 8)).astype(np.float32))
