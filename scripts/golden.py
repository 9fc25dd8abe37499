#!/usr/bin/python3
"""Golden regression outputs: one small `sotsim run` per preset with its shipped model, at a
fixed seed and sample count, and the figures a change must not move by accident (accuracy,
energy and its breakdown, latency, throughput, TOPS/W, area, macro peak) kept in
tests/golden/<preset>.json.

    scripts/golden.py --check  [--sotsim BIN] [PRESET...]   compare (ctest golden:<preset>)
    scripts/golden.py --update [--sotsim BIN] [PRESET...]   regenerate after an intended change

--update rewrites the files; review their diff in the commit that changes the figures.
Comparison: accuracies and counts exactly (they are ratios of integer counts); every other
number to a relative 1e-9. The simulator is deterministic for a config and seed (batch,
quantum and jobs do not matter), so the only legitimate difference is floating-point
summation order (a different compiler, -march or Eigen kernel): n additions of doubles in
another order differ by at most ~n * 2^-53 relative, below 1e-9 for every sum here (n < 1e6).
Any change of the model moves a figure by far more.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "tests", "golden")
REL_TOL = 1e-9
SAMPLES = 20
SEED = 1

# preset -> (model, dataset): the model each preset's documentation runs on it.
CASES = {
    "carletti_sot": ("mlp_bnn_mnist", "mnist"),
    "jung_64x64": ("jung_mlp_mnist", "mnist"),
    "myung_72macro": ("cnn_w4_fashion", "fashion-mnist"),
    "nvm_program_verify": ("mlp_bnn_mnist", "mnist"),
    "zand_mlp": ("zand_mlp_mnist", "mnist"),
}

# Dotted paths of report.json kept in the excerpt; a dict keeps all its numeric leaves.
EXACT = ["accuracy", "macros", "mapped_macros"]
CLOSE = ["energy_J.total", "energy_J.per_inference", "energy_J.breakdown", "energy_J.breakdown_per_inference",
         "latency_s", "throughput_inf_per_s", "tops_per_w", "tops_per_mm2", "area_mm2", "macro_peak"]


def leaves(node, prefix, out):
    if isinstance(node, dict):
        for k, v in node.items():
            leaves(v, prefix + "." + k if prefix else k, out)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        out[prefix] = node
    elif node is None:
        out[prefix] = None


def lookup(report, path):
    node = report
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(path)
        node = node[part]
    return node


def excerpt(report):
    out = {"exact": {}, "close": {}}
    for kind, paths in (("exact", EXACT), ("close", CLOSE)):
        for p in paths:
            leaves(lookup(report, p), p, out[kind])
    return out


def run_case(sotsim, preset):
    model, dataset = CASES[preset]
    with tempfile.TemporaryDirectory(prefix="sotsim_golden_") as tmp:
        cmd = [sotsim, "run", "-c", os.path.join(ROOT, "configs", preset + ".yaml"),
               "-w", os.path.join(ROOT, "workloads", "models", model + ".onnx"), "--dataset", dataset,
               "--samples", str(SAMPLES), "--seed", str(SEED), "-q", "-o", tmp]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"golden: {preset}: sotsim run failed ({r.returncode}): {r.stderr.strip()}")
        with open(os.path.join(tmp, "report.json")) as f:
            report = json.load(f)
    return {"preset": preset, "model": model, "dataset": dataset, "samples": SAMPLES, "seed": SEED,
            "regenerate": "scripts/golden.py --update " + preset, **excerpt(report)}


def compare(expected, actual):
    problems = []
    for key in ("exact", "close"):
        e, a = expected[key], actual[key]
        for path in sorted(set(e) | set(a)):
            if path not in a:
                problems.append(f"{path}: missing from the report (golden {e[path]})")
            elif path not in e:
                problems.append(f"{path}: new in the report ({a[path]}), not in the golden file")
            elif key == "exact" or e[path] is None or a[path] is None:
                if e[path] != a[path]:
                    problems.append(f"{path}: {a[path]} != golden {e[path]}")
            elif not math.isclose(a[path], e[path], rel_tol=REL_TOL, abs_tol=1e-300):
                rel = abs(a[path] - e[path]) / max(abs(e[path]), 1e-300)
                problems.append(f"{path}: {a[path]!r} != golden {e[path]!r} (relative {rel:.2e} > {REL_TOL:g})")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--update", action="store_true")
    ap.add_argument("--sotsim", default=os.path.join(ROOT, "build", "default", "platform", "sotsim"))
    ap.add_argument("presets", nargs="*", metavar="PRESET")
    args = ap.parse_args()
    presets = args.presets or sorted(CASES)
    for p in presets:
        if p not in CASES:
            sys.exit(f"golden: unknown preset '{p}' (known: {', '.join(sorted(CASES))})")
    failed = 0
    for p in presets:
        actual = run_case(args.sotsim, p)
        path = os.path.join(GOLDEN, p + ".json")
        if args.update:
            with open(path + ".tmp", "w") as f:
                json.dump(actual, f, indent=2, sort_keys=False)
                f.write("\n")
            os.replace(path + ".tmp", path)
            print(f"golden: wrote {os.path.relpath(path, ROOT)}")
            continue
        if not os.path.exists(path):
            sys.exit(f"golden: {path}: missing (scripts/golden.py --update {p})")
        with open(path) as f:
            expected = json.load(f)
        problems = compare(expected, actual)
        if problems:
            failed += 1
            print(f"golden: {p}: {len(problems)} figure(s) differ from {os.path.relpath(path, ROOT)} "
                  f"(an intended change: scripts/golden.py --update {p}, review the diff):")
            for line in problems:
                print("  " + line)
        else:
            print(f"golden: {p}: {len(actual['exact']) + len(actual['close'])} figures match")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
