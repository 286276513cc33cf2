#!/usr/bin/env python3
"""Measures and summarises Tools/bench/supervisor.

measure DIR NAME SCENARIO RUNS GAP_S OUT.jsonl: DIR/stamps gets "PID NS" lines from the supervised
child. Each run SIGKILLs the newest child, notes CLOCK_MONOTONIC just before, and waits for
the next line: the replacement's own first CLOCK_MONOTONIC reading. Appends one JSON line
per run to OUT.jsonl: {"supervisor", "scenario", "run", "restart_ns"} or {"status": reason}.

hang FILE SCENARIO RUNS OUT.jsonl: FILE gets "start NS" and "last NS" lines from the example
component, which heartbeats a while and then stops (hangs); each "last" followed by a "start"
is one run: the time from the last heartbeat to the replacement running.

summary OUT.jsonl: p50/p90/max per supervisor and scenario, and duplexd/runsv ratios.
"""
import json
import os
import signal
import sys
import time

POLL_S = 0.0002
WAIT_S = 5.0


def stamps(path):
    try:
        with open(path, encoding="ascii") as handle:
            return [tuple(int(x) for x in line.split()) for line in handle if line.strip()]
    except FileNotFoundError:
        return []


def wait_for(path, count, deadline):
    """Polls until `path` has more than `count` lines; returns them or None on time-out."""
    while time.monotonic() < deadline:
        lines = stamps(path)
        if len(lines) > count:
            return lines
        time.sleep(POLL_S)
    return None


def measure(directory, name, scenario, runs, gap, out):
    path = os.path.join(directory, "stamps")
    lines = wait_for(path, 0, time.monotonic() + WAIT_S)
    if lines is None:
        sys.exit(f"supervisor bench: {name} never started the child ({path})")
    with open(out, "a", encoding="utf-8") as results:
        for run in range(1, runs + 1):
            time.sleep(gap)
            lines = stamps(path)
            pid = lines[-1][0]
            killed_at = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
            os.kill(pid, signal.SIGKILL)
            after = wait_for(path, len(lines), time.monotonic() + WAIT_S)
            row = {"supervisor": name, "scenario": scenario, "run": run}
            if after is None:
                row["status"] = "no restart within 5 s"
            else:
                row["restart_ns"] = after[len(lines)][1] - killed_at
            results.write(json.dumps(row) + "\n")


def hang(path, scenario, runs, out):
    deadline = time.monotonic() + 2.0 + runs * 2.0
    rows = []
    while time.monotonic() < deadline and len(rows) < runs:
        time.sleep(0.05)
        rows = []
        last = None
        for kind, value in (line.split() for line in open(path, encoding="ascii") if line.strip()):
            if kind == "last":
                last = int(value)
            elif kind == "start" and last is not None:
                rows.append(int(value) - last)
                last = None
    if len(rows) < runs:
        sys.exit(f"supervisor bench: only {len(rows)} hang restarts in {path}")
    with open(out, "a", encoding="utf-8") as results:
        for run, restart_ns in enumerate(rows[:runs], 1):
            results.write(json.dumps({"supervisor": "duplexd", "scenario": scenario, "run": run, "restart_ns": restart_ns}) + "\n")


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def summary(out):
    groups = {}
    failures = {}
    with open(out, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            key = (row["scenario"], row["supervisor"])
            if "restart_ns" in row:
                groups.setdefault(key, []).append(row["restart_ns"] / 1e6)
            else:
                failures[key] = failures.get(key, 0) + 1
    print(f"{'scenario':<10} {'supervisor':<11} {'runs':>4} {'failed':>6} {'p50 ms':>9} {'p90 ms':>9} {'max ms':>9} {'spread':>9}")
    stats = {}
    for key in sorted(set(groups) | set(failures)):
        values = groups.get(key, [])
        if values:
            stats[key] = (percentile(values, 0.5), percentile(values, 0.9), max(values))
            p50, p90, top = stats[key]
            spread = percentile(values, 0.9) - percentile(values, 0.1)
            print(f"{key[0]:<10} {key[1]:<11} {len(values):>4} {failures.get(key, 0):>6} {p50:>9.3f} {p90:>9.3f} {top:>9.3f} {spread:>9.3f}")
        else:
            print(f"{key[0]:<10} {key[1]:<11} {0:>4} {failures.get(key, 0):>6}")
    for scenario in sorted({key[0] for key in stats}):
        for reference in ("runsv", "supervisord"):
            ours, theirs = stats.get((scenario, "duplexd")), stats.get((scenario, reference))
            if ours and theirs:
                ratios = " ".join(f"{label} {a / b:.2f}" for label, a, b in zip(("p50", "p90", "max"), ours, theirs))
                print(f"{scenario}: duplexd/{reference} {ratios}")


def main():
    if len(sys.argv) == 8 and sys.argv[1] == "measure":
        _, _, directory, name, scenario, runs, gap, out = sys.argv
        measure(directory, name, scenario, int(runs), float(gap), out)
    elif len(sys.argv) == 6 and sys.argv[1] == "hang":
        _, _, path, scenario, runs, out = sys.argv
        hang(path, scenario, int(runs), out)
    elif len(sys.argv) == 3 and sys.argv[1] == "summary":
        summary(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
