"""window-ops.test.py DIR: windowed ops over the ONNX attribute space
(pads, asymmetric ones too, strides, dilations, auto_pad modes, ceil_mode,
count_include_pad, 1-D to 3-D, rows that end mid-vector): depthwise and
grouped convolutions, max and average pools, global pools and reduces over
trailing dims. Each model compiles with every kernel native (none left on
the reference) and matches the interpreter (`dlc check`). Not a test by
itself (lit runs the .test)."""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

folder = sys.argv[1]
os.makedirs(folder, exist_ok=True)
rng = np.random.default_rng(0)
cases = []


def model(name, op, x_shape, inputs=(), initializers=(), **attrs):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    node = helper.make_node(op, ["x", *inputs], ["y"], **attrs)
    graph = helper.make_graph([node], name, [x], [y], list(initializers))
    path = os.path.join(folder, name + ".onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    cases.append(path)


def conv(name, x_shape, groups, kernel, bias=True, **attrs):
    channels = x_shape[1]
    w = rng.standard_normal((channels, channels // groups, *kernel)).astype(np.float32)
    init = [numpy_helper.from_array(w, "w")]
    inputs = ["w"]
    if bias:
        init.append(numpy_helper.from_array(rng.standard_normal(channels).astype(np.float32), "b"))
        inputs.append("b")
    model(name, "Conv", x_shape, inputs, init, group=groups, kernel_shape=list(kernel), **attrs)


# Depthwise (the taps-only schedule) and grouped convolutions.
conv("dw3_same", (1, 8, 9, 21), 8, (3, 3), pads=[1, 1, 1, 1])
conv("dw3_s2_asym", (2, 12, 10, 19), 12, (3, 3), strides=[2, 2], pads=[0, 1, 1, 0])
conv("dw5_dilated", (1, 4, 13, 17), 4, (5, 5), dilations=[2, 2], pads=[4, 4, 4, 4], bias=False)
conv("dw7_s1", (1, 4, 15, 33), 4, (7, 7), pads=[3, 3, 3, 3])
conv("dw3_same_upper", (1, 8, 7, 11), 8, (3, 3), strides=[2, 2], auto_pad="SAME_UPPER")
conv("dw3_same_lower", (1, 8, 7, 11), 8, (4, 4), auto_pad="SAME_LOWER")
conv("dw3_valid", (1, 8, 7, 11), 8, (3, 3), auto_pad="VALID")
conv("dw_1d", (1, 8, 37), 8, (5,), pads=[2, 1])
conv("dw_odd_channels", (1, 6, 9, 9), 6, (3, 3), pads=[1, 1, 1, 1])
conv("grouped", (1, 16, 9, 10), 4, (3, 3), pads=[1, 0, 1, 2])
conv("dw_3d", (1, 4, 5, 6, 7), 4, (3, 3, 3), pads=[1, 1, 1, 1, 1, 1])

# Pools.
for op in ["MaxPool", "AveragePool"]:
    p = op[:3].lower()
    model(f"{p}3_s1", op, (1, 5, 14, 29), kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    model(f"{p}3_s2_ceil", op, (2, 3, 17, 19), kernel_shape=[3, 3], strides=[2, 2],
          pads=[0, 1, 1, 0], ceil_mode=1)
    model(f"{p}2_s2", op, (1, 4, 16, 40), kernel_shape=[2, 2], strides=[2, 2])
    model(f"{p}_same_upper", op, (1, 3, 9, 13), kernel_shape=[3, 2], strides=[2, 2],
          auto_pad="SAME_UPPER")
    model(f"{p}_same_lower", op, (1, 3, 9, 13), kernel_shape=[3, 3], auto_pad="SAME_LOWER")
    model(f"{p}_1d", op, (1, 4, 33), kernel_shape=[4], strides=[3], pads=[2, 1])
    model(f"{p}_3d", op, (1, 2, 6, 7, 8), kernel_shape=[2, 3, 3], strides=[1, 2, 2],
          pads=[0, 1, 1, 1, 1, 1])
    model(f"{p}_large", op, (1, 2, 30, 40), kernel_shape=[9, 10], strides=[3, 4], pads=[2, 3, 2, 3])
model("max_dilated", "MaxPool", (1, 3, 20, 21), kernel_shape=[3, 3], dilations=[2, 3],
      pads=[2, 3, 2, 3])
model("avg_include_pad", "AveragePool", (1, 3, 11, 12), kernel_shape=[3, 3], pads=[1, 1, 1, 1],
      count_include_pad=1)

# Global pools and reduces over trailing dims (the reduce ukernel).
for op in ["GlobalAveragePool", "GlobalMaxPool"]:
    p = op[6:9].lower()
    model(f"global_{p}_7x7", op, (2, 40, 7, 7))
    model(f"global_{p}_1d", op, (1, 5, 19))
    model(f"global_{p}_3d", op, (1, 3, 4, 5, 6))
    model(f"global_{p}_big", op, (1, 6, 33, 35))
model("reduce_mean_hw", "ReduceMean", (2, 24, 14, 14), axes=[2, 3], keepdims=1)
axes = numpy_helper.from_array(np.array([-2, -1], np.int64), "axes")  # (an input since opset 13)
model("reduce_sum_hw", "ReduceSum", (2, 24, 5, 3), ["axes"], [axes], keepdims=0)
model("reduce_max_chw", "ReduceMax", (3, 4, 5, 6), axes=[1, 2, 3], keepdims=0)

failures = []
for path in cases:
    name = os.path.basename(path)[:-5]
    artifact = os.path.join(folder, name + ".dlc")
    subprocess.run(["dlc", "compile", path, "-o", artifact], check=True,
                   stdout=subprocess.DEVNULL)
    shown = subprocess.run(["dlc", "inspect", artifact], check=True, capture_output=True,
                           text=True).stdout
    if "on the reference" in shown or "native kernels" not in shown:
        failures.append(f"{name}: not every kernel native\n{shown}")
        continue
    checked = subprocess.run(["dlc", "check", path, "--seeds", "2"], capture_output=True,
                             text=True)
    if checked.returncode != 0:
        failures.append(f"{name}: {checked.stdout}{checked.stderr}")
for failure in failures:
    print("FAILED", failure)
print(f"window ops: {len(cases) - len(failures)} of {len(cases)} native and matching")
