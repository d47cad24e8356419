#!/usr/bin/python3
"""Exports models whose samples take different paths inside one batch,
written as exporters write them: both paths on every sample, then a
per-sample select (torch.where). branch-batch partitions each batch.

usage: /usr/bin/python3 make_batch_models.py OUT_DIR [--bench]

Run with Debian's /usr/bin/python3 (python3-torch 1.13); traced, the batch
N is a dynamic axis. Models:
  select.onnx       per sample: a 3-layer MLP or one linear layer, chosen by
                    a learned gate (sigmoid > 0.5)
  loop.onnx         the same choice written per sample (scripted): a loop
                    over the batch, an if per sample, out[i] = ...
  exit.onnx         three blocks with a classifier after each; a sample
                    leaves at the first classifier more confident than the
                    thresholds t1, t2 (inputs): nested selects
  skip.onnx         SkipNet-style: three residual conv blocks, each run on
                    the samples whose gate (pooled features) opens it
  condconv.onnx     CondConv: K=3 expert 3x3 convolutions weighed per
                    sample by routing weights, batch 5 (x_skip.npy);
                    condconv_n.onnx the same with a dynamic batch
Inputs: x_*.npy per model; t_never.npy (1.0: no sample exits), t_always.npy
(0.0: every sample exits at once), t1_half.npy and t2_half.npy (half the
samples exit after block 1, half the rest after block 2). --bench writes
select_bench.onnx (batch 64, d 1024, every other sample on the heavy path),
loop_bench.onnx (the same layer as a scripted per-sample loop),
condconv_bench.onnx (batch 8, 4 experts, 64 channels, 32x32) and inputs.
"""
import os
import sys

import numpy as np
import torch
from torch import nn

out = sys.argv[1]
bench = "--bench" in sys.argv
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


class Select(nn.Module):
    def __init__(self, d=16, hidden=32):
        super().__init__()
        self.gate = nn.Linear(d, 1)
        self.heavy = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                   nn.ReLU(), nn.Linear(hidden, d))
        self.light = nn.Linear(d, d)

    def forward(self, x):
        take = torch.sigmoid(self.gate(x)) > 0.5
        return torch.where(take, self.heavy(x), self.light(x))


class Exit(nn.Module):
    def __init__(self, d=16, classes=4):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(d, d), nn.Tanh()) for _ in range(3)])
        self.heads = nn.ModuleList([nn.Linear(d, classes) for _ in range(3)])

    def forward(self, x, t1, t2):
        h1 = self.blocks[0](x)
        l1 = self.heads[0](h1)
        h2 = self.blocks[1](h1)
        l2 = self.heads[1](h2)
        l3 = self.heads[2](self.blocks[2](h2))
        c1 = torch.softmax(l1, dim=1).max(dim=1, keepdim=True)[0] > t1
        c2 = torch.softmax(l2, dim=1).max(dim=1, keepdim=True)[0] > t2
        return torch.where(c1, l1, torch.where(c2, l2, l3))


class Skip(nn.Module):
    def __init__(self, channels=4):
        super().__init__()
        self.blocks = nn.ModuleList([
            nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(channels, channels, 3, padding=1)) for _ in range(3)])
        self.gates = nn.ModuleList([nn.Linear(channels, 1) for _ in range(3)])

    def forward(self, x):
        for block, gate in zip(self.blocks, self.gates):
            g = torch.sigmoid(gate(x.mean(dim=(2, 3)))) > 0.5
            x = torch.where(g.view(-1, 1, 1, 1), x + block(x), x)
        return x


class CondConv(nn.Module):
    """Conditionally parameterized convolution as its reference code writes
    it: per-sample routing weights (pooled features, a linear layer, a
    sigmoid) weighing K expert convolutions, summed."""

    def __init__(self, cin=4, cout=8, experts=3):
        super().__init__()
        self.route = nn.Linear(cin, experts)
        self.convs = nn.ModuleList([nn.Conv2d(cin, cout, 3, padding=1) for _ in range(experts)])

    def forward(self, x):
        r = torch.sigmoid(self.route(x.mean(dim=(2, 3))))
        out = r[:, 0].view(-1, 1, 1, 1) * self.convs[0](x)
        for k in range(1, len(self.convs)):
            out = out + r[:, k].view(-1, 1, 1, 1) * self.convs[k](x)
        return torch.relu(out)


class Loop(Select):
    """The gated MLP written per sample, as scripted code does: a loop over
    the batch with an if on each sample's gate, writing out[i]."""

    def forward(self, x):
        out = torch.zeros_like(x)
        for i in range(x.size(0)):
            row = x[i]
            if bool(torch.sigmoid(self.gate(row)).sum() > 0.5):
                out[i] = self.heavy(row)
            else:
                out[i] = self.light(row)
        return out


def export(model, args, name, names, dynamic=True, script=False):
    model.eval()
    axes = {"x": {0: "N"}, "y": {0: "N"}} if dynamic else {}
    with torch.no_grad():
        torch.onnx.export(torch.jit.script(model) if script else model, args,
                          os.path.join(out, name), opset_version=13, input_names=names,
                          output_names=["y"], dynamic_axes=axes)


def save(name, array):
    np.save(os.path.join(out, name), array)


rng = np.random.default_rng(7)
if bench:
    model = Select(d=1024, hidden=1024)
    export(model, (torch.randn(64, 1024),), "select_bench.onnx", ["x"])
    # Every other sample takes the heavy path: each row's projection on the
    # gate's weights set to +-1 past its bias.
    x = rng.standard_normal((64, 1024))
    w = model.gate.weight.detach().numpy()[0].astype(np.float64)
    b = float(model.gate.bias.detach())
    side = np.where(np.arange(64) % 2 == 0, 1.0, -1.0)
    x += np.outer((side - b - x @ w) / (w @ w), w)
    save("select_bench_x.npy", x.astype(np.float32))
    # The same layer written per sample (scripted loop), same weights.
    loop = Loop(d=1024, hidden=1024)
    loop.load_state_dict(model.state_dict())
    export(loop, (torch.randn(3, 1024),), "loop_bench.onnx", ["x"], script=True)
    # CondConv at batch 8: 4 expert 3x3 convolutions, 64 -> 64 channels, 32x32.
    export(CondConv(cin=64, cout=64, experts=4), (torch.randn(8, 64, 32, 32),),
           "condconv_bench.onnx", ["x"], dynamic=False)
    save("condconv_bench_x.npy", rng.standard_normal((8, 64, 32, 32)).astype(np.float32))
    sys.exit(0)

export(Select(), (torch.randn(3, 16),), "select.onnx", ["x"])
export(Loop(), (torch.randn(3, 16),), "loop.onnx", ["x"], script=True)
exit_model = Exit()
export(exit_model, (torch.randn(3, 16), torch.tensor(0.5), torch.tensor(0.5)), "exit.onnx",
       ["x", "t1", "t2"])
export(Skip(), (torch.randn(2, 4, 6, 6),), "skip.onnx", ["x"])
condconv = CondConv()
export(condconv, (torch.randn(5, 4, 6, 6),), "condconv.onnx", ["x"], dynamic=False)
export(condconv, (torch.randn(2, 4, 6, 6),), "condconv_n.onnx", ["x"])
save("x_select.npy", (rng.standard_normal((32, 16)) * 2).astype(np.float32))
save("x_exit.npy", (rng.standard_normal((32, 16)) * 3).astype(np.float32))
save("x_skip.npy", rng.standard_normal((5, 4, 6, 6)).astype(np.float32))
save("t_never.npy", np.array(1.0, np.float32))
save("t_always.npy", np.array(0.0, np.float32))
# Thresholds halfway between the middle confidences of each classifier on
# x_exit (never equal to one: kernels may round a tie either way): about
# half the samples leave after block 1, half the rest after block 2.
with torch.no_grad():
    x = torch.from_numpy(np.load(os.path.join(out, "x_exit.npy")))
    h1 = exit_model.blocks[0](x)
    h2 = exit_model.blocks[1](h1)
    c1 = torch.softmax(exit_model.heads[0](h1), dim=1).max(dim=1)[0]
    c2 = torch.softmax(exit_model.heads[1](h2), dim=1).max(dim=1)[0]
    def middle(c):
        c = c.sort()[0]
        return float(c[len(c) // 2 - 1] + c[len(c) // 2]) / 2
    t1 = middle(c1)
    t2 = middle(c2[c1 <= t1])
save("t1_half.npy", np.array(t1, np.float32))
save("t2_half.npy", np.array(t2, np.float32))
