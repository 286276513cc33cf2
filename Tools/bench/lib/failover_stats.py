#!/usr/bin/env python3
"""Summarises Tools/bench/failover results (one JSON object per line) as a table.

Each input line: {"scenario": str, "run": int, "status": "ok" | reason, "client": {...} | null}
where "client" is the line printed by `duplex-probe client`.
"""
import json
import statistics
import sys


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil(n * fraction), at least 1
    return ordered[int(rank) - 1]


def load(path):
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                sys.exit(f"{path}:{number}: not JSON: {error}")
    return rows


def summarise(rows):
    order = []
    by_scenario = {}
    for row in rows:
        scenario = row["scenario"]
        if scenario not in by_scenario:
            order.append(scenario)
            by_scenario[scenario] = []
        by_scenario[scenario].append(row)
    header = ("scenario", "runs", "ok", "gap min", "median", "p90", "max", "switch med", "both", "lost med",
              "late max", "neither max", "failed")
    lines = [header]
    for scenario in order:
        runs = by_scenario[scenario]
        good = [r for r in runs if r["status"] == "ok" and r["client"] and r["client"]["gap_ms"] is not None]
        failed = len(runs) - len(good)
        if good:
            gaps = [float(r["client"]["gap_ms"]) for r in good]
            both = sum(int(r["client"]["answered_by_both"]) for r in good)
            lost = statistics.median(int(r["client"]["lost"]) for r in good)
            switches = [float(r["client"]["switch_gap_ms"]) for r in good
                        if r["client"].get("switch_gap_ms") is not None]
            switch = f"{statistics.median(switches):.1f}" if switches else "-"
            late = max(float(r["client"].get("late_max_ms") or 0) for r in good)
            neithers = [float(r["neither_ms"]) for r in good if r.get("neither_ms") is not None]
            neither = f"{max(neithers):.3f}" if neithers else "-"
            cells = (f"{min(gaps):.1f}", f"{statistics.median(gaps):.1f}", f"{percentile(gaps, 0.9):.1f}",
                     f"{max(gaps):.1f}", switch, str(both), f"{lost:g}", f"{late:.1f}", neither)
        else:
            cells = ("-",) * 9
        lines.append((scenario, str(len(runs)), str(len(good))) + cells + (str(failed),))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append("  ".join(cell.rjust(widths[i]) if i else cell.ljust(widths[i]) for i, cell in enumerate(line)))
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: failover_stats.py RESULTS.jsonl")
    rows = load(sys.argv[1])
    print("gap = longest client-measured interval between two answered probes (ms); switch = the")
    print("interval before the first answer from the other board (ms); both = probes answered by")
    print("both boards (total); lost = unanswered probes (median per run); late max = the client's")
    print("worst send lateness (ms), which inflates gaps when large; neither max = longest time the")
    print("logical address was on neither board in a handover (ms, from the daemons' CLOCK_MONOTONIC")
    print("stamps); times by probe send time")
    print(summarise(rows))
    failures = [r for r in rows if r["status"] != "ok"]
    for row in failures:
        print(f"failed: {row['scenario']} run {row['run']}: {row['status']}")


if __name__ == "__main__":
    main()
