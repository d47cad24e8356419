"""unshaped-models.test.py DIR MODEL CASE...: runs DIR/MODEL's compiled
artifacts (DIR/MODEL.dlc, DIR/MODEL-ref.dlc) and the ONNX file on the
interpreter for each CASE input and compares every output with PyTorch's
(DIR/MODEL_CASE_outI.npy). Not a test by itself (lit runs the .test)."""
import glob
import os
import subprocess
import sys

import numpy as np

folder, model = sys.argv[1], sys.argv[2]
onnx_file = {"branch": "branch_conv_lstm.onnx", "loop": "loop_reshape.onnx"}[model]
for case in sys.argv[3:]:
    inputs = ["--input", f"x={folder}/{model}_{case}.npy"]
    expected = sorted(glob.glob(f"{folder}/{model}_{case}_out*.npy"))
    for what in [f"{model}.dlc", f"{model}-ref.dlc", onnx_file]:
        out = f"{folder}/out-{model}-{case}-{what}"
        subprocess.run(["dlc", "run", f"{folder}/{what}", *inputs, "--output-dir", out],
                       check=True, stdout=subprocess.DEVNULL)
        got = sorted(glob.glob(f"{out}/*.npy"))
        assert len(got) == len(expected), (what, got, expected)
        names = ["y", "steps"][: len(expected)]
        for index, name in enumerate(names):
            a, b = np.load(f"{out}/{name}.npy"), np.load(expected[index])
            assert a.shape == b.shape, (what, case, name, a.shape, b.shape)
            assert np.allclose(a, b, rtol=1e-4, atol=1e-5), (what, case, name,
                                                             abs(a - b).max())
    print(f"{model} {case}: ok")
