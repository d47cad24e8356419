"""What the benchmark generators share: a row's files, and the FLOPs of a
model's matmuls and convolutions."""
import os

import numpy as np
import onnx
from onnx import shape_inference


def write_row(out, row, inputs, flops):
    """OUT/ROW.inputs (NAME=FILE.npy per line, the arrays of `inputs` saved
    beside it) and OUT/ROW.flops."""
    lines = []
    for name, array in inputs.items():
        f = os.path.join(out, "%s_%s.npy" % (row.replace("@", "_"), name))
        np.save(f, array)
        lines.append("%s=%s" % (name, f))
    open(os.path.join(out, row + ".inputs"), "w").write("\n".join(lines) + "\n")
    open(os.path.join(out, row + ".flops"), "w").write("%d\n" % flops)


def count_flops(path, input_shapes=None):
    """Multiply-adds x 2 of the matmuls and convolutions of the ONNX model
    at `path`, with shapes inferred for `input_shapes` ({name: shape})."""
    model = onnx.load(path)
    for value in model.graph.input:
        if input_shapes and value.name in input_shapes:
            dims = value.type.tensor_type.shape.dim
            for d, size in zip(dims, input_shapes[value.name]):
                d.Clear()
                d.dim_value = int(size)
    model = shape_inference.infer_shapes(model, data_prop=True)
    shapes = {}
    for v in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        dims = [d.dim_value for d in v.type.tensor_type.shape.dim]
        shapes[v.name] = dims if all(dims) else None
    for init in model.graph.initializer:
        shapes[init.name] = list(init.dims)
    total = 0
    for node in model.graph.node:
        if node.op_type in ("MatMul", "Gemm"):
            a, y = shapes.get(node.input[0]), shapes.get(node.output[0])
            if a and y:
                total += 2 * int(np.prod(y)) * a[-1]
        elif node.op_type == "Conv":
            w, y = shapes.get(node.input[1]), shapes.get(node.output[0])
            if w and y:
                total += 2 * int(np.prod(y)) * int(np.prod(w[1:]))
    return total
