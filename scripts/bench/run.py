#!/usr/bin/env python3
"""returnn-lint benchmarks: prints the five figures of the README's "Performance" section.

    python3 scripts/bench/run.py [--runs 5] [--only 1,2,3,4,5] [--bin PATH] [--no-build]

From the package root of a fresh clone: builds the release binary (swift build -c release), compiles the two
small C helpers next to this script (a bare libyaml event parser as the baseline, and `measure`, which runs a
command and reports its wall time and peak memory), writes the inputs into a temporary folder (the corpus as
YAML, synthetic networks by gen_synthetic.py) and prints each figure as the median of --runs runs. Needs gcc,
libyaml-dev and ../shared/corpus next to the package (read in place). Times are wall clock, process start
included. Never part of `swift test`.
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
HERE = os.path.dirname(os.path.abspath(__file__))

sys.path.insert(0, HERE)
from gen_synthetic import to_yaml, transducer_like  # noqa: E402


class Bench:
    def __init__(self, binary, measure, runs):
        self.binary = binary
        self.measure = measure
        self.runs = runs

    def run_once(self, cmd):
        """(seconds, peak RSS in KiB, exit status) of one run of `cmd`."""
        out = subprocess.run([self.measure] + cmd, stdout=subprocess.PIPE, check=True).stdout.decode().split()
        return float(out[0]), int(out[1]), int(out[2])

    def timed(self, cmd, runs=None, ok=(0, 1)):
        """Median seconds and the largest peak RSS (KiB) over `runs` runs; exits when a run fails."""
        times, rss = [], 0
        for _ in range(runs or self.runs):
            seconds, kib, status = self.run_once(cmd)
            if status not in ok:
                sys.exit(f"benchmark command failed with {status}: {' '.join(cmd)}")
            times.append(seconds)
            rss = max(rss, kib)
        return statistics.median(times), rss


def count_layers(net):
    """Layers of a network dict, nested units and subnetworks included."""
    n = 0
    for v in net.values():
        if not isinstance(v, dict):
            continue
        n += 1
        for key in ("unit", "subnetwork"):
            sub = v.get(key)
            if isinstance(sub, dict) and not isinstance(sub.get("class"), str):
                n += count_layers(sub)
    return n


def corpus_to_yaml(dst):
    """Writes every corpus network as block YAML under dst/{masked,plain}; returns the folder."""
    for f in sorted(glob.glob(os.path.join(SHARED, "corpus", "*", "*.json"))):
        sub = os.path.join(dst, os.path.basename(os.path.dirname(f)))
        os.makedirs(sub, exist_ok=True)
        with open(f) as fh:
            value = json.load(fh)
        with open(os.path.join(sub, os.path.basename(f)[:-5] + ".yaml"), "w") as fh:
            fh.write(f"# {os.path.basename(f)} as block YAML\n{to_yaml(value)}\n")
    return dst


def build(args, tmp):
    if args.bin:
        binary = os.path.abspath(args.bin)
    else:
        if not args.no_build:
            # A fully static executable, as the README's install command builds it: process start is part of
            # figure 1, and loading shared libraries (the Swift runtime's, libstdc++) costs several milliseconds.
            subprocess.run(["swift", "build", "-c", "release", "-Xswiftc", "-static-executable", "--product", "returnn-lint"],
                           cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        path = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                              stdout=subprocess.PIPE).stdout.decode().strip()
        binary = os.path.join(path, "returnn-lint")
    if not os.path.exists(binary):
        sys.exit(f"no binary at {binary}")
    helpers = {}
    for name, libs in (("yaml_parse", ["-lyaml"]), ("measure", [])):
        helpers[name] = os.path.join(tmp, name)
        subprocess.run(["gcc", "-O2", "-o", helpers[name], os.path.join(HERE, name + ".c")] + libs, check=True)
    return binary, helpers


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (the median is reported)")
    parser.add_argument("--only", default="1,2,3,4,5", help="which figures, e.g. 1,3")
    parser.add_argument("--bin", help="the returnn-lint binary to measure (default: build the release one)")
    parser.add_argument("--no-build", action="store_true", help="use the existing release build")
    args = parser.parse_args()
    only = set(args.only.split(","))
    tmp = tempfile.mkdtemp(prefix="returnn-lint-bench-")
    try:
        binary, helpers = build(args, tmp)
        b = Bench(binary, helpers["measure"], args.runs)
        corpus = sorted(glob.glob(os.path.join(SHARED, "corpus", "*", "*.json")))
        cpu = ""
        try:
            cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
        except (OSError, StopIteration):
            pass
        print(f"machine: {os.cpu_count()} cores ({cpu}); median of {args.runs} runs; {binary}")
        run_figures(b, args, only, corpus, helpers, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_figures(b, args, only, corpus, helpers, tmp):
    if "1" in only:
        largest = max(corpus, key=lambda f: count_layers(json.load(open(f))["network"]))
        layers = count_layers(json.load(open(largest))["network"])
        yaml_copy = os.path.join(tmp, "largest.yaml")
        with open(yaml_copy, "w") as fh:
            fh.write(to_yaml(json.load(open(largest))) + "\n")
        for label, path in (("JSON", largest), ("YAML", yaml_copy)):
            # The two commands alternate, and the ratio is the median of each pair's ratio: the speed of a shared
            # machine drifts by tens of percent within minutes, which two separate medians would turn into noise.
            checks, parses, ratios, rss = [], [], [], 0
            for _ in range(b.runs):
                t_check, kib, status = b.run_once([b.binary, "check", path])
                if status not in (0, 1):
                    sys.exit(f"benchmark command failed with {status}: check {path}")
                t_parse, _, _ = b.run_once([helpers["yaml_parse"], path])
                checks.append(t_check)
                parses.append(t_parse)
                ratios.append(t_check / t_parse)
                rss = max(rss, kib)
            print(f"1. check, largest corpus network ({layers} layers, {label} {os.path.getsize(path) / 1e3:.0f} kB): "
                  f"{statistics.median(checks) * 1e3:.1f} ms, {rss / 1024:.0f} MB; bare libyaml event parse "
                  f"{statistics.median(parses) * 1e3:.1f} ms; ratio {statistics.median(ratios):.2f}x "
                  f"(median of {b.runs} alternating pairs; target <= 2x)")

    if "2" in only:
        yaml_dir = corpus_to_yaml(os.path.join(tmp, "corpus-yaml"))
        t_json, rss_json = b.timed([b.binary, "check", "--exit-zero", os.path.join(SHARED, "corpus")])
        t_yaml, rss_yaml = b.timed([b.binary, "check", "--exit-zero", yaml_dir])
        print(f"2. check over all {len(corpus)} corpus networks: JSON {t_json:.3f} s ({rss_json / 1024:.0f} MB), "
              f"YAML {t_yaml:.3f} s ({rss_yaml / 1024:.0f} MB) (target < 1 s)")

    if "3" in only:
        results = {}
        for n in (1000, 10000, 100000):
            prefix = os.path.join(tmp, f"synthetic-{n}")
            subprocess.run([sys.executable, os.path.join(HERE, "gen_synthetic.py"), str(n), prefix], check=True)
            for ext in ("json", "yaml"):
                path = f"{prefix}.{ext}"
                t, rss = b.timed([b.binary, "check", "--exit-zero", path], runs=args.runs if n < 100000 else max(1, min(3, args.runs)))
                results[(n, ext)] = (t, rss, os.path.getsize(path))
                print(f"3. synthetic {n:>6} layers, {ext}: {t:7.3f} s, peak {rss / 1024:6.1f} MB, "
                      f"file {results[(n, ext)][2] / 1e6:5.1f} MB")
        for ext in ("json", "yaml"):
            t10, r10, s10 = results[(10000, ext)]
            t100, r100, s100 = results[(100000, ext)]
            print(f"   {ext}: time 100k/10k = {t100 / t10:.2f}x (target <= 11x); peak memory 100k/10k = {r100 / r10:.2f}x "
                  f"for {s100 / s10:.2f}x the input ({r100 * 1024 / s100:.1f} vs {r10 * 1024 / s10:.1f} bytes per input byte)")

    if "4" in only:
        work = os.path.join(tmp, "fix")
        rows = []
        for f in sorted(glob.glob(os.path.join(SHARED, "corpus", "masked", "*.json"))):
            times = []
            changed = False
            for _ in range(max(1, args.runs // 2)):
                shutil.rmtree(work, ignore_errors=True)
                os.makedirs(work)
                target = os.path.join(work, os.path.basename(f))
                shutil.copy(f, target)
                t, _, status = b.run_once([b.binary, "check", "--fix", "--verify-trials", "8", target])
                if status not in (0, 1):
                    sys.exit(f"check --fix failed with {status} on {f}")
                times.append(t)
                changed = open(target, "rb").read() != open(f, "rb").read()
            rows.append((statistics.median(times), changed, os.path.basename(f)))
        fixed = [r for r in rows if r[1]]
        times = [r[0] for r in rows]
        print(f"4. check --fix, 8 verification trials, each of {len(rows)} masked corpus networks ({len(fixed)} rewritten): "
              f"median {statistics.median(times):.2f} s, max {max(times):.2f} s, "
              f"{sum(t < 1 for t in times)}/{len(times)} under 1 s (target < 1 s each)")
        for t, changed, name in sorted(rows, reverse=True)[:3]:
            print(f"   {t:.2f} s {'rewritten' if changed else 'unchanged'} {name[:90]}")

    if "5" in only:
        path = os.path.join(tmp, "transducer.json")
        with open(path, "w") as fh:
            json.dump(transducer_like(256), fh)
        batch, steps = 8, 200
        for mode in ("noopt", "opt"):
            t, rss = b.timed([b.binary, "eval", path, "--seed", "1", "--batch", str(batch), "--max-len", str(steps),
                              "--mode", mode], runs=max(1, min(3, args.runs)))
            print(f"5. evaluator, transducer-like loop ({mode}; batch {batch}, up to {steps} steps, dims 256): {t:.2f} s, "
                  f"{batch * steps / t:,.0f} frames/s (batch x steps), peak {rss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
