"""The benchmark table (called by bench/run): dlc vs ONNX Runtime vs the
machine, per row and thread count.

usage: table.py ROOT WORK [--json FILE]

Rows come in groups: the zoo (bench/make_zoo.py: torchvision at batch 1
and a spatially dynamic CNN at three sizes), the batch-1 dynamic models
(bench/make_dynamic.py), dlc's rewrites (dense MoE, per-sample branches and
loops, CondConv: bench/make_models.py) and single kernels. A row ROW@VARIANT
runs ROW's artifact (compiled once) on other inputs. Per row and thread
count: medians of dlc (Halide backend) and ONNX Runtime on the same file
and inputs, their ratio (ORT / dlc: above 1, dlc is faster), whether the
outputs agree, memory (dlc's planned peak, the peak of buffers its session
held, and both processes' peak RSS over the row's runs), ops left on the
reference kernels, GFLOP/s against the machine's FMA peak; and the
geometric mean of the ratios per group. --json FILE writes the table; if
FILE holds an earlier run's, each row also shows that run's ratio.
Environment: ITERS (20), BENCH_ROWS (a regular expression: only rows whose
name matches).
"""
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

root, work = sys.argv[1], sys.argv[2]
json_out = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
dlc = os.path.join(root, "build", "tools", "dlc", "dlc")
iters = os.environ.get("ITERS", "20")
only = re.compile(os.environ.get("BENCH_ROWS", ".*"))
models = os.path.join(work, "models")
env = dict(os.environ, ORT_DIR=os.path.join(work, "ort"),
           DLC_CACHE_DIR=os.environ.get("DLC_CACHE_DIR", os.path.join(work, "kernel-cache")))


def run(cmd):
    """stdout and stderr of `cmd`; raises on failure."""
    out, err, _ = run_rss(cmd)
    return out, err


def run_rss(cmd):
    """stdout, stderr and the process's peak RSS in MiB (wait4); raises on
    failure."""
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        errors.seek(0)
        err = errors.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd[:3]), (err or out).strip()[-400:]))
    return out, err, usage.ru_maxrss / 1024.0


def expand(names):
    found = sorted(f[:-7] for f in os.listdir(models) if f.endswith(".inputs"))
    rows = []
    for n in names:
        rows += [n] if n in found else [f for f in found if f.startswith(n + "@")]
    return rows


zoo_models = ["mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0", "shufflenet_v2_x1_0",
              "squeezenet1_1", "resnet18", "resnet50", "regnet_y_400mf", "densenet121",
              "convnext_tiny", "vit_b_16", "swin_t", "spatial_fpn"]
groups = [
    ("zoo", expand(zoo_models)),
    ("dynamic batch 1", expand(["exit_mlp", "gated_res", "refine_loop", "skipnet", "moe_top2"])),
    ("rewrites", expand(["early_exit", "gated_blocks", "while_loop", "moe", "moe_dense",
                         "select_bench", "loop_bench", "batch_exit", "batch_skip",
                         "condconv_bench"])),
    ("kernels", expand(["transformer", "mlp", "elementwise"] + sorted(
        f[:-7] for f in os.listdir(models) if f.startswith("matmul_") and f.endswith(".inputs")))),
]

peaks = {t: json.loads(run([os.path.join(work, "peak"), str(t)])[0]) for t in (1, 2)}
cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
            if line.startswith("model name")), "unknown CPU")
print("machine: %s (%s)" % (cpu, "AVX-512" if peaks[1]["avx512"] else "AVX2"))
print("limits (1 / 2 threads): FMA peak %.0f / %.0f GFLOP/s (OpenBLAS sgemm %.0f / %.0f), "
      "memory triad %.1f / %.1f GB/s, L2 stream %.0f / %.0f GB/s"
      % (peaks[1]["fma_gflops"], peaks[2]["fma_gflops"], peaks[1]["sgemm_gflops"],
         peaks[2]["sgemm_gflops"], peaks[1]["triad_gbs"], peaks[2]["triad_gbs"],
         peaks[1]["l2_gbs"], peaks[2]["l2_gbs"]))

# The matmul microkernel: small-M products, weight bytes streamed per
# second against the triad and the L2 stream; the kernel choice measured.
uk = [json.loads(line) for line in run([os.path.join(root, "build", "bench", "dlc-ukbench")])[0]
      .splitlines()]
choice = uk[0]["gemm_choice"]
print("matmul kernel choice on this CPU: %s (%s)" % (
    "OpenBLAS for products with every dim >= %d" % choice["openblas_from"]
    if choice["openblas_from"] else "dlc's kernel for every size measured (512-1536)",
    choice["origin"]))
print("small-M matmul (weight packed once), weight GB/s [% of L2 stream / of triad]:")
print("  %-16s %s" % ("k x n", "  ".join("m=%-2d 1thr     2thr    " % m for m in (1, 4, 16))))
for k, n in sorted({(r["k"], r["n"]) for r in uk[1:]}):
    cells = []
    for m in (1, 4, 16):
        for t in (1, 2):
            r = next(r for r in uk[1:] if (r["k"], r["n"], r["m"], r["threads"]) == (k, n, m, t))
            cells.append("%5.0f [%3.0f/%3.0f]" % (r["weight_gbs"], 100 * r["weight_gbs"] / peaks[t]["l2_gbs"],
                                               100 * r["weight_gbs"] / peaks[t]["triad_gbs"]))
    print("  %-16s %s" % ("%dx%d" % (k, n), " ".join(cells)))

previous = {}
if json_out and os.path.exists(json_out):
    try:
        for r in json.load(open(json_out))["rows"]:
            previous[(r["row"], r["threads"])] = r["ratio"]
    except Exception:
        previous = {}

header = "%-26s %3s %9s %9s %7s %7s %8s %7s %7s %7s %7s %4s %8s %6s" % (
    "row", "thr", "dlc ms", "ORT ms", "ORT/dlc", "before", "max rel", "plan MB", "held MB",
    "dlc RSS", "ORT RSS", "ref", "GFLOP/s", "%peak")
table = []
compiled = set()
for group, rows in groups:
    rows = [r for r in rows if only.search(r)]
    if not rows:
        continue
    print("\n== %s ==" % group)
    print(header)
    ratios = {1: [], 2: []}
    for row in rows:
        model = row.split("@")[0]
        onnx = os.path.join(models, model + ".onnx")
        inputs = open(os.path.join(models, row + ".inputs")).read().split()
        flops = int(open(os.path.join(models, row + ".flops")).read())
        executed_file = os.path.join(models, row + ".executed")
        executed = int(open(executed_file).read()) if os.path.exists(executed_file) else flops
        artifact = os.path.join(work, model + ".dlc")
        try:
            if model not in compiled:  # once per run, for all of its rows
                compiled.add(model)
                stats = run([dlc, "compile", onnx, "-o", artifact, "--backend", "halide",
                             "--stats"])[1]
                open(artifact + ".stats", "w").write(stats)
            stats = open(artifact + ".stats").read()
            planned = re.search(r"planned peak (\d+) bytes", stats)
            reference = re.search(r"(\d+) on the reference", stats)
            out = os.path.join(work, "out", row)
            args = sum((["-i", b] for b in inputs), [])
            run([dlc, "run", artifact, "--output-dir", out + "/dlc"] + args)
        except RuntimeError as e:
            print("%-26s     dlc failed: %s" % (row, str(e).replace("\n", " ")[:200]))
            continue
        for threads in (1, 2):
            try:
                d, _, dlc_rss = run_rss([dlc, "bench", artifact, "--json", "--iters", iters,
                                         "--threads", str(threads)] + args)
                d = json.loads(d)
                o, _, ort_rss = run_rss(["node", os.path.join(root, "bench", "ort.js"), onnx,
                                         str(threads), iters, out + "/ort"] + inputs)
                o = json.loads(o)
            except RuntimeError as e:
                print("%-26s %3d failed: %s" % (row, threads, str(e).replace("\n", " ")[:200]))
                continue
            # Every float output both wrote: the largest error relative to
            # the output's magnitude.
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
                    rel = max(rel, float(np.max(np.abs(got - want)) /
                                         max(np.max(np.abs(want)), 1e-30)))
            if row == "elementwise":  # bytes moved against the triad's bandwidth
                gbs = 2 * np.load(inputs[0].split("=")[1], mmap_mode="r").nbytes / (
                    d["median_ms"] * 1e6)
                rate, peak = "%5.1f GB/s" % gbs, 100 * gbs / peaks[threads]["triad_gbs"]
            elif executed:
                gflops = executed / (d["median_ms"] * 1e6)
                rate, peak = "%8.1f" % gflops, 100 * gflops / peaks[threads]["fma_gflops"]
            else:
                rate, peak = "%8s" % "-", float("nan")
            ratio = o["median_ms"] / d["median_ms"]
            ratios[threads].append(ratio)
            before = previous.get((row, threads))
            print("%-26s %3d %9.3f %9.3f %7.2f %7s %8.1e %7.1f %7.1f %7.0f %7.0f %4s %s %5.1f%%" % (
                row, threads, d["median_ms"], o["median_ms"], ratio,
                "%.2f" % before if before else "-", rel,
                int(planned.group(1)) / 2**20 if planned else float("nan"),
                d["peak_bytes"] / 2**20, dlc_rss, ort_rss,
                reference.group(1) if reference else "?", rate, peak))
            table.append({"group": group, "row": row, "threads": threads,
                          "dlc_ms": d["median_ms"], "ort_ms": o["median_ms"], "ratio": ratio,
                          "max_rel": rel, "planned_bytes": int(planned.group(1)) if planned else None,
                          "held_bytes": d["peak_bytes"], "dlc_rss_mib": dlc_rss,
                          "ort_rss_mib": ort_rss,
                          "reference_ops": int(reference.group(1)) if reference else None,
                          "gflop": flops / 1e9, "executed_gflop": executed / 1e9})
    for threads in (1, 2):
        if ratios[threads]:
            print("%-26s %3d geometric mean of ORT/dlc over %d rows: %.2f" % (
                group, threads, len(ratios[threads]),
                math.exp(sum(math.log(r) for r in ratios[threads]) / len(ratios[threads]))))

if json_out:
    json.dump({"cpu": cpu, "limits": peaks, "gemm_choice": choice, "ukernels": uk[1:],
               "rows": table}, open(json_out, "w"), indent=1)
    print("\nwrote %s" % json_out)
