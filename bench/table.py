"""The benchmark table (called by bench/run): dlc vs ONNX Runtime vs the
machine, per model and thread count."""
import json
import os
import subprocess
import sys

import numpy as np

root, work = sys.argv[1], sys.argv[2]
dlc = os.path.join(root, "build", "tools", "dlc", "dlc")
iters = os.environ.get("ITERS", "20")
models = os.path.join(work, "models")
env = dict(os.environ, ORT_DIR=os.path.join(work, "ort"),
           DLC_CACHE_DIR=os.environ.get("DLC_CACHE_DIR", os.path.join(work, "kernel-cache")))


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout


names = ["resnet18", "transformer", "mlp", "elementwise"] + sorted(
    f[:-5] for f in os.listdir(models) if f.startswith("matmul_") and f.endswith(".onnx")) + [
    "early_exit", "gated_blocks", "while_loop", "moe", "moe_dense", "select_bench", "loop_bench", "batch_exit",
    "batch_skip", "condconv_bench"]
peaks = {t: json.loads(run([os.path.join(work, "peak"), str(t)])) for t in (1, 2)}
cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
            if line.startswith("model name")), "unknown CPU")
print("machine: %s (%s)" % (cpu, "AVX-512" if peaks[1]["avx512"] else "AVX2"))
print("limits (1 / 2 threads): FMA peak %.0f / %.0f GFLOP/s (OpenBLAS sgemm %.0f / %.0f), "
      "memory triad %.1f / %.1f GB/s, L2 stream %.0f / %.0f GB/s"
      % (peaks[1]["fma_gflops"], peaks[2]["fma_gflops"], peaks[1]["sgemm_gflops"],
         peaks[2]["sgemm_gflops"], peaks[1]["triad_gbs"], peaks[2]["triad_gbs"],
         peaks[1]["l2_gbs"], peaks[2]["l2_gbs"]))
# GFLOP: the model as written (what ORT runs); run: what dlc runs after its
# rewrites (GFLOP/s and %peak, of the FMA peak, are of that).
print("%-24s %3s %10s %10s %7s %9s %9s %9s %9s %6s" % (
    "model", "thr", "dlc ms", "ORT ms", "ORT/dlc", "max rel", "GFLOP", "run", "GFLOP/s",
    "%peak"))
for name in names:
    onnx = os.path.join(models, name + ".onnx")
    inputs = open(os.path.join(models, name + ".inputs")).read().split()
    flops = int(open(os.path.join(models, name + ".flops")).read())
    executed_file = os.path.join(models, name + ".executed")
    executed = int(open(executed_file).read()) if os.path.exists(executed_file) else flops
    artifact = os.path.join(work, name + ".dlc")
    run([dlc, "compile", onnx, "-o", artifact, "--backend", "halide"])
    out = os.path.join(work, "out", name)
    args = sum((["-i", b] for b in inputs), [])
    run([dlc, "run", artifact, "--output-dir", out + "/dlc"] + args)
    for threads in (1, 2):
        d = json.loads(run([dlc, "bench", artifact, "--json", "--iters", iters,
                            "--threads", str(threads)] + args))
        o = json.loads(run(["node", os.path.join(root, "bench", "ort.js"), onnx, str(threads),
                            iters, out + "/ort"] + inputs))
        # Every float output both wrote: the largest error relative to the
        # output's magnitude.
        rel = 0.0
        for f in os.listdir(out + "/ort"):
            npy = os.path.join(out, "dlc", f[:-4] + ".npy")
            if not os.path.exists(npy) or np.load(npy).dtype != np.float32:
                continue
            got = np.load(npy).astype(np.float64).ravel()
            want = np.fromfile(os.path.join(out, "ort", f), dtype=np.float32).astype(np.float64)
            if got.size != want.size:
                rel = float("nan")
            elif got.size:
                rel = max(rel, float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-30)))
        if name == "elementwise": # bytes moved against the triad's bandwidth
            gbs = 2 * np.load(inputs[0].split("=")[1], mmap_mode="r").nbytes / (d["median_ms"] * 1e6)
            rate, peak = "%7.1f GB/s" % gbs, 100 * gbs / peaks[threads]["triad_gbs"]
        elif executed:
            gflops = executed / (d["median_ms"] * 1e6)
            rate, peak = "%9.1f", 100 * gflops / peaks[threads]["fma_gflops"]
            rate = rate % gflops
        else:
            rate, peak = "%9s" % "-", float("nan")
        print("%-24s %3d %10.3f %10.3f %7.2f %9.2e %9.2f %9.2f %s %5.1f%%" % (
            name, threads, d["median_ms"], o["median_ms"], o["median_ms"] / d["median_ms"],
            rel, flops / 1e9, executed / 1e9, rate, peak))
