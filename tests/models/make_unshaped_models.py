#!/usr/bin/python3
"""Exports dynamic PyTorch models as exporters that write no shapes do: no
value_info, graph outputs and inputs of unknown rank (every dim and the rank
stripped from the file). The compiler must compile them as it compiles
shaped ones. Run with Debian's /usr/bin/python3 (python3-torch 1.13):
  branch_conv_lstm.onnx  If branches: Conv then LSTM over the feature map's
                         rows in one, GRU in the other; Shape and a Reshape
                         of computed shapes around them
  loop_reshape.onnx      a data-dependent loop reshaping its state by shapes
                         it computes
with inputs that take each path and PyTorch's outputs on them.
"""
import os
import sys

import numpy as np
import onnx
import torch
from torch import nn

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


def strip(path):
    """Drops every shape the exporter wrote: value_info, and the rank and
    dims of the graph's inputs and outputs (element types stay)."""
    model = onnx.load(path)

    def clear(graph):
        del graph.value_info[:]
        for value in list(graph.input) + list(graph.output):
            if value.type.HasField("tensor_type"):
                value.type.tensor_type.ClearField("shape")
        for node in graph.node:
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    clear(attr.g)
                for g in attr.graphs:
                    clear(g)

    clear(model.graph)
    onnx.save(model, path)


def export(model, args, name, input_names, output_names):
    """Every input dim dynamic (else the exporter folds shapes), then
    stripped."""
    path = os.path.join(out, name)
    dynamic = {name: list(range(arg.dim())) for name, arg in zip(input_names, args)}
    torch.onnx.export(torch.jit.script(model), args, path, opset_version=13,
                      input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic)
    strip(path)


def save(name, array):
    np.save(os.path.join(out, name), array)


class BranchConvLstm(nn.Module):
    """A per-input branch: a convolution whose feature map's rows feed an
    LSTM, or a GRU over the input's rows; both reshape by computed shapes."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.lstm = nn.LSTM(4 * 6, 8)
        self.gru = nn.GRU(2 * 6, 8)

    def forward(self, x):
        n, c, h, w = x.shape
        if x.mean() > 0:
            f = torch.relu(self.conv(x))                      # [n, 4, h, w]
            seq = f.permute(2, 0, 1, 3).reshape(h, n, -1)     # [h, n, 4 * w]
            y, _ = self.lstm(seq)
        else:
            seq = x.permute(2, 0, 1, 3).reshape(h, n, c * w)  # [h, n, 2 * w]
            y, _ = self.gru(seq)
        return y.reshape(y.shape[0] * y.shape[1], -1)


class LoopReshape(nn.Module):
    """Folds the state in half along its rows until one row is left."""

    def forward(self, x):
        steps = torch.zeros(1)
        while x.shape[0] > 1:
            half = x.shape[0] // 2
            x = x[: 2 * half].reshape(half, 2, x.shape[1]).sum(1)
            steps = steps + 1
        return x, steps


def cases(model, name, inputs):
    """Saves each input as NAME_CASE.npy and PyTorch's outputs as
    NAME_CASE_OUTPUT.npy (what the compiled model must give)."""
    for case, array in inputs.items():
        save(f"{name}_{case}.npy", array)
        with torch.no_grad():
            outputs = model(torch.from_numpy(array))
        if not isinstance(outputs, tuple):
            outputs = (outputs,)
        for index, value in enumerate(outputs):
            save(f"{name}_{case}_out{index}.npy", value.numpy())


branch = BranchConvLstm()
x = torch.rand(3, 2, 5, 6)
export(branch, (x,), "branch_conv_lstm.onnx", ["x"], ["y"])
cases(branch, "branch", {"conv": x.numpy(), "gru": -x.numpy(),
                         "small": np.random.rand(2, 2, 3, 6).astype(np.float32)})

loop = LoopReshape()
export(loop, (torch.rand(8, 3),), "loop_reshape.onnx", ["x"], ["y", "steps"])
cases(loop, "loop", {f"rows{n}": np.random.rand(n, 3).astype(np.float32) for n in (8, 5, 1)})
