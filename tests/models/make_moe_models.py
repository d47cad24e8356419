#!/usr/bin/python3
"""Exports mixture-of-experts layers the way exporters write them densely:
every expert computed on every token, then combined with gate weights that
are zero for the experts a token was not routed to. moe-sparsify turns
each back into routed computation.

usage: /usr/bin/python3 make_moe_models.py OUT_DIR [--bench]

Run with Debian's /usr/bin/python3 (python3-torch 1.13). Models (tokens T
are a dynamic axis; --bench writes moe_dense.onnx only, at 256 tokens,
d 512, ff 2048, top-2 of 8 experts):
  moe_scatter.onnx  top-2 of 4, softmax after top-k, gate weights scattered
                    into a dense [T, E] matrix, ReLU experts with biases,
                    out = zeros + sum_e G[:, e:e+1] * expert_e(x)
  moe_masks.onnx    top-1 of 4, softmax before top-k, per-expert one-hot
                    masks (w * (i == e)).sum(1), GELU experts
  moe_einsum.onnx   top-2 of 4, renormalized, one_hot gate matrix, SwiGLU
                    experts without biases stacked on an expert axis and
                    combined by einsum("te,etd->td")
  moe_silu.onnx     top-3 of 8, SiLU experts (traced: the layer is a module
                    with residual and layer norm around it)
  moe_mixtral.onnx  top-2 of 4 computed sparsely already (Mixtral's block:
                    where/gather/expert/index_add_ per expert)
  moe_relu.onnx     4 experts behind a ReLU router: sparse on the data only
                    (profile/a/x.npy, profile/b/x.npy: --profile-inputs)
Inputs: moe_x.npy (9 tokens, every expert busy), moe_one.npy (1 token: the
other experts get no tokens), moe_skew.npy (9 copies of one token: all
rows go to the same experts).
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


class Expert(nn.Module):
    def __init__(self, d, ff, act, bias=True):
        super().__init__()
        self.act = act
        self.w1 = nn.Linear(d, ff, bias=bias)
        self.w2 = nn.Linear(ff, d, bias=bias)
        if act == "swiglu":
            self.w3 = nn.Linear(d, ff, bias=bias)

    def forward(self, x):
        h = self.w1(x)
        if self.act == "relu":
            h = torch.relu(h)
        elif self.act == "gelu":
            h = nn.functional.gelu(h)
        elif self.act == "silu":
            h = nn.functional.silu(h)
        else:
            h = nn.functional.silu(h) * self.w3(x)
        return self.w2(h)


class Moe(nn.Module):
    def __init__(self, style, d=8, ff=16, experts=4, k=2, act="relu", bias=True):
        super().__init__()
        self.style, self.experts, self.k = style, experts, k
        self.gate = nn.Linear(d, experts, bias=False)
        self.ffn = nn.ModuleList([Expert(d, ff, act, bias) for _ in range(experts)])

    def route(self, x):
        logits = self.gate(x)
        if self.style == "masks":  # softmax before top-k
            return torch.topk(torch.softmax(logits, dim=1), self.k, dim=1)
        w, i = torch.topk(logits, self.k, dim=1)
        return torch.softmax(w, dim=1), i

    def forward(self, x):
        w, i = self.route(x)
        ys = [expert(x) for expert in self.ffn]
        if self.style == "masks":
            out = None
            for e in range(self.experts):
                g = (w * (i == e).float()).sum(dim=1, keepdim=True)
                out = g * ys[e] if out is None else out + g * ys[e]
            return out
        if self.style == "einsum":
            w = w / w.sum(dim=1, keepdim=True)
            gates = (nn.functional.one_hot(i, self.experts).float() * w.unsqueeze(2)).sum(1)
            return torch.einsum("te,etd->td", gates, torch.stack(ys, 0))
        gates = torch.zeros(x.shape[0], self.experts).scatter(1, i, w)
        out = torch.zeros_like(x)
        for e in range(self.experts):
            out = out + gates[:, e:e + 1] * ys[e]
        return out


class Mixtral(nn.Module):
    """Routed already, as HF's Mixtral block writes it: per expert,
    torch.where over the one-hot routing mask, the tokens gathered, a SwiGLU
    expert, the gate weights gathered, index_add_ into the output."""

    def __init__(self, d=8, ff=16, experts=4, k=2):
        super().__init__()
        self.experts, self.k = experts, k
        self.gate = nn.Linear(d, experts, bias=False)
        self.ffn = nn.ModuleList([Expert(d, ff, "swiglu", bias=False) for _ in range(experts)])

    def forward(self, x):
        w = torch.softmax(self.gate(x), dim=1)
        w, chosen = torch.topk(w, self.k, dim=-1)
        w = w / w.sum(dim=-1, keepdim=True)
        out = torch.zeros_like(x)
        mask = nn.functional.one_hot(chosen, num_classes=self.experts).permute(2, 1, 0)
        for e in range(self.experts):
            slot, rows = torch.where(mask[e])
            y = self.ffn[e](x[None, rows].reshape(-1, x.shape[-1])) * w[rows, slot, None]
            out.index_add_(0, rows, y)
        return out


class ReluRouted(nn.Module):
    """A ReLU router (ReMoE-style): each expert's gate is relu of a linear
    score, zero for most tokens on the data but not provably so."""

    def __init__(self, d=8, ff=16, experts=4):
        super().__init__()
        self.gate = nn.Linear(d, experts)
        with torch.no_grad():
            self.gate.bias.fill_(-0.5)
        self.ffn = nn.ModuleList([Expert(d, ff, "relu") for _ in range(experts)])

    def forward(self, x):
        gates = torch.relu(self.gate(x))
        out = gates[:, 0:1] * self.ffn[0](x)
        for e in range(1, len(self.ffn)):
            out = out + gates[:, e:e + 1] * self.ffn[e](x)
        return out


class Layer(nn.Module):
    """A transformer-style MoE sublayer: x + moe(norm(x))."""

    def __init__(self, **kw):
        super().__init__()
        self.norm = nn.LayerNorm(kw.get("d", 8))
        self.moe = Moe("scatter", **kw)

    def forward(self, x):
        return x + self.moe(self.norm(x))


def export(model, name, tokens, d):
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, (torch.randn(tokens, d),), os.path.join(out, name),
                          opset_version=13, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "T"}, "y": {0: "T"}})


if bench:
    export(Moe("scatter", d=512, ff=2048, experts=8, k=2), "moe_dense.onnx", 256, 512)
    np.save(os.path.join(out, "moe_dense_x.npy"),
            np.random.default_rng(0).standard_normal((256, 512)).astype(np.float32))
    sys.exit(0)

export(Moe("scatter"), "moe_scatter.onnx", 5, 8)
export(Moe("masks", k=1, act="gelu"), "moe_masks.onnx", 5, 8)
export(Moe("einsum", act="swiglu", bias=False), "moe_einsum.onnx", 5, 8)
export(Layer(experts=8, k=3, act="silu"), "moe_silu.onnx", 5, 8)
export(Mixtral(), "moe_mixtral.onnx", 5, 8)
export(ReluRouted(), "moe_relu.onnx", 5, 8)
rng = np.random.default_rng(5)
np.save(os.path.join(out, "moe_x.npy"), (rng.standard_normal((9, 8)) * 3).astype(np.float32))
np.save(os.path.join(out, "moe_one.npy"), rng.standard_normal((1, 8)).astype(np.float32))
np.save(os.path.join(out, "moe_skew.npy"),
        np.repeat(rng.standard_normal((1, 8)), 9, axis=0).astype(np.float32))
# Sample inputs for --profile-inputs: two runs of 16 tokens.
for run in ("a", "b"):
    os.makedirs(os.path.join(out, "profile", run), exist_ok=True)
    np.save(os.path.join(out, "profile", run, "x.npy"),
            (rng.standard_normal((16, 8)) * 2).astype(np.float32))
