#!/usr/bin/env python3
"""Same-run comparison of msgsim's echo benchmark with its peers.

Builds msgsim and the peer benchmarks (peers/) in release, then runs, for several rounds and
interleaved (each round starts at a different benchmark), msgsim's echo benchmark
(scenarios/bench/echo.ron), the same shape in turmoil and madsim, the bare BinaryHeap + ChaCha8
loop, and the 1-client/1-server window-100 shape in all four. With --references it also runs
the Kafka and Redis reference hours (scenarios/bench/{kafka,redis}-reference.ron) in each round.

It prints each figure (median and range over the rounds) and the ratios msgsim ÷ best peer and
msgsim ÷ bare loop, taken within each round (the machine's speed moves between rounds; within
one round every benchmark sees about the same machine), as median and range.

    python3 peers/run.py [--rounds 5] [--references] [--json FILE] [--no-build]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

PEERS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(PEERS)
MSGSIM = os.path.join(ROOT, "target", "release", "msgsim")
PEER_BIN = os.path.join(PEERS, "target", "release")

SHAPES = {
    "echo64": os.path.join(ROOT, "scenarios", "bench", "echo.ron"),
    "1x1": os.path.join(PEERS, "scenarios", "echo-1x1.ron"),
}
REFERENCES = {
    "kafka-reference": os.path.join(ROOT, "scenarios", "bench", "kafka-reference.ron"),
    "redis-reference": os.path.join(ROOT, "scenarios", "bench", "redis-reference.ron"),
}
PEER_NAMES = ["turmoil", "madsim"]


def build():
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "msgsim"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=PEERS, check=True)


def run_msgsim(scenario):
    out = subprocess.run([MSGSIM, "run", scenario, "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"msgsim run {scenario} failed ({out.returncode}):\n{out.stderr}")
    return json.loads(out.stdout)


def run_peer(binary, shape):
    out = subprocess.run([os.path.join(PEER_BIN, binary), shape], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{binary} {shape} failed ({out.returncode}):\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def jobs(references):
    """(name, unit, thunk) for every benchmark of one round."""
    out = []
    for shape, scenario in SHAPES.items():
        out.append((f"msgsim/{shape}", "deliveries/s",
                    lambda s=scenario: run_msgsim(s)["deliveries_per_sec"]))
        out.append((f"bare/{shape}", "events/s",
                    lambda s=shape: run_peer("bare", s)["deliveries_per_sec"]))
        for peer in PEER_NAMES:
            out.append((f"{peer}/{shape}", "deliveries/s",
                        lambda p=peer, s=shape: run_peer(f"{p}_echo", s)["deliveries_per_sec"]))
    if references:
        for name, scenario in REFERENCES.items():
            out.append((name, "× real time", lambda s=scenario: run_msgsim(s)["sim_wall_ratio"]))
    return out


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "rounds": values}


def fmt(v, unit):
    if unit == "× real time":
        return f"{v:,.0f}×"
    if unit == "ratio":
        return f"{v:.2f}"
    return f"{v / 1e6:.2f} M"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--references", action="store_true",
                    help="also run the Kafka and Redis reference hours each round")
    ap.add_argument("--json", metavar="FILE", help="write every figure and ratio as JSON")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        build()
    todo = jobs(args.references)
    units = {name: unit for name, unit, _ in todo}
    results = {name: [] for name, _, _ in todo}
    for r in range(args.rounds):
        # Interleaved: each round starts one benchmark later.
        k = r % len(todo)
        for name, _, thunk in todo[k:] + todo[:k]:
            results[name].append(thunk())
            print(f"round {r + 1}/{args.rounds}  {name:24} {fmt(results[name][-1], units[name])}",
                  file=sys.stderr, flush=True)
    ratios = {}
    for shape in SHAPES:
        m = results[f"msgsim/{shape}"]
        best = [max(results[f"{p}/{shape}"][i] for p in PEER_NAMES) for i in range(args.rounds)]
        bare = results[f"bare/{shape}"]
        ratios[f"msgsim/best_peer/{shape}"] = [a / b for a, b in zip(m, best)]
        ratios[f"msgsim/bare/{shape}"] = [a / b for a, b in zip(m, bare)]
    if args.references:
        bare = results["bare/echo64"]
        for name in REFERENCES:
            # × real time per million bare-loop events/s of the same round: a figure that
            # travels between machines better than the absolute one.
            ratios[f"{name}/bare_meps"] = [a / (b / 1e6) for a, b in zip(results[name], bare)]
    print(f"\n{'benchmark':26} {'median':>12} {'range':>22}  unit")
    for name, values in results.items():
        s = summary(values)
        print(f"{name:26} {fmt(s['median'], units[name]):>12} "
              f"{fmt(s['min'], units[name]) + ' – ' + fmt(s['max'], units[name]):>22}  {units[name]}")
    print(f"\n{'ratio (within each round)':34} {'median':>8} {'range':>16}")
    for name, values in ratios.items():
        s = summary(values)
        print(f"{name:34} {s['median']:8.2f} {s['min']:7.2f} – {s['max']:6.2f}")
    if args.json:
        doc = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": machine(),
            "rounds": args.rounds,
            "figures": {n: dict(summary(v), unit=units[n]) for n, v in results.items()},
            "ratios": {n: summary(v) for n, v in ratios.items()},
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {"cpu": cpu, "cores": os.cpu_count(), "load_at_end": round(load, 2)}


if __name__ == "__main__":
    main()
