"""Generates the benchmark models (random weights) with Debian's
python3-torch/torchvision and python3-onnx, and their inputs as .npy.

usage: /usr/bin/python3 bench/make_models.py OUT_DIR

Each model MODEL gets OUT_DIR/MODEL.onnx, OUT_DIR/MODEL.inputs (NAME=FILE.npy
per line) and OUT_DIR/MODEL.flops (multiply-adds x 2 of its matmuls and
convolutions, from the ONNX graph with inferred shapes); models that dlc
rewrites into less work also get OUT_DIR/MODEL.executed (the FLOPs left).
"""
import os
import sys

import numpy as np
import onnx
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rows import count_flops  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
rng = np.random.default_rng(0)


def export(name, module, inputs, names):
    module.eval()
    path = os.path.join(out, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(module, tuple(inputs), path, input_names=names,
                          output_names=["y"], opset_version=13)
    lines = []
    for n, t in zip(names, inputs):
        f = os.path.join(out, "%s_%s.npy" % (name, n))
        np.save(f, t.numpy())
        lines.append("%s=%s" % (n, f))
    open(os.path.join(out, name + ".inputs"), "w").write("\n".join(lines) + "\n")
    open(os.path.join(out, name + ".flops"), "w").write("%d\n" % flops(path))


def flops(path):
    return count_flops(path)


class Block(torch.nn.Module):
    """A transformer encoder block (post-norm, as nn.TransformerEncoderLayer):
    d 512, 8 heads, feed-forward 2048. Written out: torch 1.13 exports its
    fused fast path as an op ONNX does not have."""

    def __init__(self, d=512, heads=8, ff=2048):
        super().__init__()
        self.heads = heads
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.proj = torch.nn.Linear(d, d)
        self.norm1 = torch.nn.LayerNorm(d)
        self.norm2 = torch.nn.LayerNorm(d)
        self.ff = torch.nn.Sequential(torch.nn.Linear(d, ff), torch.nn.ReLU(),
                                      torch.nn.Linear(ff, d))

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=-1)
        def heads(t):
            return t.reshape(b, s, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        att = torch.softmax(q @ k.transpose(-2, -1) / (d // self.heads) ** 0.5, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, s, d)
        x = self.norm1(x + self.proj(y))
        return self.norm2(x + self.ff(x))


class Chain(torch.nn.Module):
    """An elementwise chain: memory-bound (compare with the triad)."""

    def forward(self, x):
        return torch.sigmoid(torch.relu(x * 2.0 + 1.0)) - 0.5


class Matmul(torch.nn.Module):
    def forward(self, a, b):
        return a @ b


export("transformer", Block(), [torch.randn(4, 128, 512)], ["x"])
mlp = torch.nn.Sequential(*[m for _ in range(4) for m in (torch.nn.Linear(1024, 1024), torch.nn.ReLU())])
export("mlp", mlp, [torch.randn(64, 1024)], ["x"])
export("elementwise", Chain(), [torch.randn(2048, 4096)], ["x"])

# The dynamic models of tests/e2e, on inputs that take their longer paths.
dynamic = os.path.join(out, "dynamic")
here = os.path.dirname(os.path.abspath(__file__))
os.system("/usr/bin/python3 %s %s > /dev/null 2>&1"
          % (os.path.join(here, "..", "tests", "models", "make_dynamic_models.py"), dynamic))
for name, inputs in [("early_exit", "x=early_x.npy first=never.npy second=never.npy"),
                     ("gated_blocks", "x=gated_x1.npy"),
                     ("while_loop", "x=while_x.npy limit=while_far.npy"),
                     ("moe", "x=moe_x.npy")]:
    os.replace(os.path.join(dynamic, name + ".onnx"), os.path.join(out, name + ".onnx"))
    lines = ["%s=%s" % (b.split("=")[0], os.path.join(dynamic, b.split("=")[1]))
             for b in inputs.split()]
    open(os.path.join(out, name + ".inputs"), "w").write("\n".join(lines) + "\n")
    open(os.path.join(out, name + ".flops"), "w").write("0\n")
# A mixture-of-experts layer exported densely (top-2 of 8 experts, 256
# tokens, d 512, ff 2048): MOE.flops counts every expert on every token,
# MOE.executed what routing runs (the gate, and each token's 2 experts).
here_models = os.path.join(here, "..", "tests", "models")
os.system("/usr/bin/python3 %s %s --bench > /dev/null 2>&1"
          % (os.path.join(here_models, "make_moe_models.py"), out))
open(os.path.join(out, "moe_dense.inputs"), "w").write(
    "x=%s\n" % os.path.join(out, "moe_dense_x.npy"))
tokens, d, ff, experts, k = 256, 512, 2048, 8, 2
open(os.path.join(out, "moe_dense.flops"), "w").write(  # dynamic: ONNX infers no sizes
    "%d\n" % (2 * tokens * d * experts + experts * tokens * 2 * 2 * d * ff))
open(os.path.join(out, "moe_dense.executed"), "w").write(
    "%d\n" % (2 * tokens * d * experts + tokens * k * 2 * 2 * d * ff))
# Per-sample paths in a batch (branch-batch partitions them) and CondConv
# (4 expert kernels mixed per example, batch 8): a gated MLP
# at batch 64 with every other sample on the heavy path (the executed FLOPs
# are the gate's, the heavy path's on 32 samples and the light one's on 32),
# the early exit at batch 32 with half the samples leaving at each exit, the
# SkipNet-style gated conv blocks.
os.system("/usr/bin/python3 %s %s --bench > /dev/null 2>&1"
          % (os.path.join(here_models, "make_batch_models.py"), out))
batch = os.path.join(out, "batch")
os.system("/usr/bin/python3 %s %s > /dev/null 2>&1"
          % (os.path.join(here_models, "make_batch_models.py"), batch))
open(os.path.join(out, "select_bench.inputs"), "w").write(
    "x=%s\n" % os.path.join(out, "select_bench_x.npy"))
open(os.path.join(out, "select_bench.flops"), "w").write(
    "%d\n" % (2 * 64 * 1024 + 64 * 4 * 2 * 1024 * 1024))
open(os.path.join(out, "select_bench.executed"), "w").write(
    "%d\n" % (2 * 64 * 1024 + 32 * 3 * 2 * 1024 * 1024 + 32 * 2 * 1024 * 1024))
# The gated MLP written as a scripted per-sample loop (batch-loops lifts it):
# same weights, input and FLOPs as select_bench.
open(os.path.join(out, "loop_bench.inputs"), "w").write(
    "x=%s\n" % os.path.join(out, "select_bench_x.npy"))
for suffix in ("flops", "executed"):
    os.system("cp %s %s" % (os.path.join(out, "select_bench." + suffix),
                            os.path.join(out, "loop_bench." + suffix)))
open(os.path.join(out, "condconv_bench.inputs"), "w").write(
    "x=%s\n" % os.path.join(out, "condconv_bench_x.npy"))
open(os.path.join(out, "condconv_bench.flops"), "w").write(
    "%d\n" % flops(os.path.join(out, "condconv_bench.onnx")))
conv = 2 * 8 * 64 * 32 * 32 * 64 * 9  # one 3x3 convolution of the batch
open(os.path.join(out, "condconv_bench.executed"), "w").write(
    "%d\n" % (conv + 2 * 8 * 4 * (64 * 64 * 9 + 64) + 2 * 8 * 64 * 4))
for name, inputs in [("exit", "x=x_exit.npy t1=t1_half.npy t2=t2_half.npy"),
                     ("skip", "x=x_skip.npy")]:
    os.replace(os.path.join(batch, name + ".onnx"), os.path.join(out, "batch_" + name + ".onnx"))
    lines = ["%s=%s" % (b.split("=")[0], os.path.join(batch, b.split("=")[1]))
             for b in inputs.split()]
    open(os.path.join(out, "batch_" + name + ".inputs"), "w").write("\n".join(lines) + "\n")
    open(os.path.join(out, "batch_" + name + ".flops"), "w").write("0\n")
for m, k, n in [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
                (1, 1024, 1024), (1024, 1024, 64)]:
    export("matmul_%dx%dx%d" % (m, k, n), Matmul(),
           [torch.randn(m, k), torch.randn(k, n)], ["a", "b"])
