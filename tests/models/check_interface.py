"""Checks that compiled artifacts keep their models' interfaces.

    check_interface.py DLC MODEL.onnx MODEL.dlc [MODEL.onnx MODEL.dlc ...]

For each pair, the names and order of the ONNX graph's inputs (initializers
excluded) and outputs must equal the artifact's signature as `dlc inspect`
prints it. Prints one line per model; exits 1 on the first difference.
"""
import subprocess
import sys

import onnx


def onnx_interface(path):
    graph = onnx.load(path, load_external_data=False).graph
    weights = {init.name for init in graph.initializer}
    inputs = [i.name for i in graph.input if i.name not in weights]
    return inputs, [o.name for o in graph.output]


def artifact_interface(dlc, path):
    text = subprocess.run([dlc, "inspect", path], check=True, capture_output=True,
                          text=True).stdout
    inputs, outputs = [], []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in ("input", "output") and line.startswith("  "):
            name = line.strip()[len(words[0]):].strip().rsplit(": ", 1)[0]
            (inputs if words[0] == "input" else outputs).append(name)
    return inputs, outputs


def main():
    dlc, pairs = sys.argv[1], sys.argv[2:]
    if not pairs or len(pairs) % 2:
        sys.exit(__doc__)
    for model, artifact in zip(pairs[::2], pairs[1::2]):
        want, got = onnx_interface(model), artifact_interface(dlc, artifact)
        if want != got:
            print(f"{artifact}: signature {got}, the model's {want}")
            sys.exit(1)
        print(f"{artifact}: inputs {want[0]} outputs {want[1]}")


if __name__ == "__main__":
    main()
