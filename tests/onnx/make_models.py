#!/usr/bin/python3
"""Writes the small ONNX models dlc's frontend tests use into a folder.

Run with Debian's /usr/bin/python3 (python3-onnx). Good models exercise
symbolic dims, control flow with outer-scope references and external data;
bad ones each break one rule the importer must report clearly.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name))


def model(nodes, inputs, outputs, initializers=(), opset=13, name="test"):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


f32 = TensorProto.FLOAT
vi = helper.make_tensor_value_info

# A dynamic network: a gated layer under If whose branch reads an outer
# value, with a symbolic batch dim.
w = numpy_helper.from_array(np.eye(4, dtype=np.float32) * 2, "w")
then_graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["y_then"])], "then", [],
    [vi("y_then", f32, ["N", 4])])
else_graph = helper.make_graph(
    [helper.make_node("Identity", ["x"], ["y_else"])], "else", [],
    [vi("y_else", f32, ["N", 4])])
gated = model(
    [helper.make_node("ReduceMean", ["x"], ["m"], keepdims=0),
     helper.make_node("Constant", [], ["zero"],
                      value=numpy_helper.from_array(np.array(0, np.float32))),
     helper.make_node("Greater", ["m", "zero"], ["c"]),
     helper.make_node("If", ["c"], ["y"], then_branch=then_graph,
                      else_branch=else_graph)],
    [vi("x", f32, ["N", 4])], [vi("y", f32, ["N", 4])], [w])
save(gated, "gated.onnx")

# A data-dependent loop: doubles x until its sum exceeds a limit read from
# the enclosing graph, at most n times, scanning each step's sum.
body = helper.make_graph(
    [helper.make_node("Add", ["v", "v"], ["v2"]),
     helper.make_node("ReduceSum", ["v2"], ["s"], keepdims=0),
     helper.make_node("Less", ["s", "limit"], ["more"])],
    "body",
    [vi("i", TensorProto.INT64, []), vi("c", TensorProto.BOOL, []),
     vi("v", f32, [3])],
    [vi("more", TensorProto.BOOL, []), vi("v2", f32, [3]), vi("s", f32, [])])
looping = model(
    [helper.make_node("Constant", [], ["go"],
                      value=numpy_helper.from_array(np.array(True))),
     helper.make_node("Loop", ["n", "go", "x"], ["y", "sums"], body=body)],
    [vi("n", TensorProto.INT64, []), vi("x", f32, [3]), vi("limit", f32, [])],
    [vi("y", f32, [3]), vi("sums", f32, ["steps"])])
save(looping, "loop.onnx")
np.save(os.path.join(out, "n.npy"), np.array(10, np.int64))
np.save(os.path.join(out, "x3.npy"), np.array([1, 2, 3], np.float32))
np.save(os.path.join(out, "limit.npy"), np.array(50, np.float32))

# The same weights kept in an external data file.
external = model([helper.make_node("MatMul", ["x", "w"], ["y"])],
                 [vi("x", f32, [2, 4])], [vi("y", f32, [2, 4])], [w])
onnx.save(external, os.path.join(out, "external.onnx"),
          save_as_external_data=True, all_tensors_to_one_file=True,
          location="external.bin", size_threshold=0)


def external_at(location, name):
    """external.onnx with its data location replaced by `location`."""
    changed = onnx.load(os.path.join(out, "external.onnx"), load_external_data=False)
    for entry in changed.graph.initializer[0].external_data:
        if entry.key == "location":
            entry.value = location
    with open(os.path.join(out, name), "wb") as f:
        f.write(changed.SerializeToString())


# ... one whose data file is missing, and three that reach outside the
# model's folder (a relative escape, an absolute path, a symbolic link):
# loaders must refuse them (directory traversal).
external_at("nowhere.bin", "missing_external.onnx")
external_at("../" * 40 + "etc/passwd", "traversal_external.onnx")
external_at("/etc/passwd", "absolute_external.onnx")
if os.path.lexists(os.path.join(out, "link.bin")):
    os.remove(os.path.join(out, "link.bin"))
os.symlink("/etc/passwd", os.path.join(out, "link.bin"))
external_at("link.bin", "symlink_external.onnx")

# Not a protobuf at all, and a truncated model.
with open(os.path.join(out, "not_protobuf.onnx"), "wb") as f:
    f.write(b"\xff\xff\xff\xff garbage")
data = gated.SerializeToString()
with open(os.path.join(out, "truncated.onnx"), "wb") as f:
    f.write(data[: len(data) // 2])

# An op that does not exist, and one from a domain dlc does not know.
save(model([helper.make_node("Frobnicate", ["x"], ["y"])],
           [vi("x", f32, [2])], [vi("y", f32, [2])]),
     "unknown_op.onnx", check=False)
custom = model([helper.make_node("Gelu", ["x"], ["y"], domain="com.example")],
               [vi("x", f32, [2])], [vi("y", f32, [2])])
custom.opset_import.append(helper.make_opsetid("com.example", 1))
save(custom, "unknown_domain.onnx", check=False)

# A string input.
save(model([helper.make_node("Identity", ["s"], ["t"])],
           [vi("s", TensorProto.STRING, [2])],
           [vi("t", TensorProto.STRING, [2])]),
     "string_input.onnx")

# Shapes that contradict each other: [2,3] + [4].
save(model([helper.make_node("Add", ["a", "b"], ["c"])],
           [vi("a", f32, [2, 3]), vi("b", f32, [4])], [vi("c", f32, [2, 3])]),
     "bad_shapes.onnx", check=False)

# A node reading a value nothing defines.
save(model([helper.make_node("Relu", ["ghost"], ["y"])],
           [vi("x", f32, [2])], [vi("y", f32, [2])]),
     "undefined_input.onnx", check=False)

# An initializer whose data does not match its shape.
bad = numpy_helper.from_array(np.zeros(3, np.float32), "k")
bad.dims[:] = [4]
save(model([helper.make_node("Add", ["x", "k"], ["y"])],
           [vi("x", f32, [4])], [vi("y", f32, [4])], [bad]),
     "bad_initializer.onnx", check=False)

# Opset 7 semantics (attribute-style Slice) next to opset 13.
save(model([helper.make_node("Slice", ["x"], ["y"], starts=[1], ends=[3])],
           [vi("x", f32, [4])], [vi("y", f32, [2])], opset=7),
     "opset7_slice.onnx")

# The pattern of an exported voice-activity model: Conv and LSTM inside the
# branches of an If, with no shape information on any value of the branches
# (the exporter left value_info out). dlc must recover the ranks at compile
# time and compute the shapes from the operands at run time.
rng = np.random.default_rng(3)


def conv_lstm_branch(tag, channels, hidden):
    wc = numpy_helper.from_array(
        rng.standard_normal((channels, 1, 3)).astype(np.float32), "wc_" + tag)
    w = numpy_helper.from_array(
        rng.standard_normal((1, 4 * hidden, channels)).astype(np.float32) * 0.5, "w_" + tag)
    r = numpy_helper.from_array(
        rng.standard_normal((1, 4 * hidden, hidden)).astype(np.float32) * 0.5, "r_" + tag)
    nodes = [
        helper.make_node("Constant", [], ["wc_" + tag], value=wc),
        helper.make_node("Constant", [], ["w_" + tag], value=w),
        helper.make_node("Constant", [], ["r_" + tag], value=r),
        helper.make_node("Conv", ["x", "wc_" + tag], ["c_" + tag]),
        helper.make_node("Relu", ["c_" + tag], ["a_" + tag]),
        helper.make_node("Transpose", ["a_" + tag], ["t_" + tag], perm=[2, 0, 1]),
        helper.make_node("LSTM", ["t_" + tag, "w_" + tag, "r_" + tag],
                         ["y_" + tag, "h_" + tag], hidden_size=hidden),
    ]
    return helper.make_graph(nodes, tag, [], [vi("h_" + tag, f32, None)])


vad = model(
    [helper.make_node("ReduceMean", ["x"], ["m"], keepdims=0),
     helper.make_node("Constant", [], ["zero"],
                      value=numpy_helper.from_array(np.array(0, np.float32))),
     helper.make_node("Greater", ["m", "zero"], ["speech"]),
     helper.make_node("If", ["speech"], ["h"],
                      then_branch=conv_lstm_branch("then", 4, 8),
                      else_branch=conv_lstm_branch("else", 2, 8))],
    [vi("x", f32, ["N", 1, "T"])], [vi("h", f32, None)])
save(vad, "if_lstm_conv.onnx", check=False)  # the checker wants shapes
# The same with an input of unknown rank: nothing is known at compile time.
vad.graph.input[0].type.tensor_type.ClearField("shape")
save(vad, "if_lstm_conv_unranked.onnx", check=False)

# Inputs for `dlc run`.
np.save(os.path.join(out, "x.npy"), np.arange(8, dtype=np.float32).reshape(2, 4))
np.save(os.path.join(out, "x_int.npy"), np.arange(8, dtype=np.int64).reshape(2, 4))
np.save(os.path.join(out, "x_wide.npy"), np.zeros((2, 5), np.float32))
