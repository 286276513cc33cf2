#!/usr/bin/env python3
"""Summarises Tools/bench/checkpoint's JSON lines: medians over runs, min-max spreads, ratios."""
import json
import statistics
import sys


def load(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def values(records, kind, field, size=None):
    return [r[field] for r in records
            if r["kind"] == kind and (size is None or r.get("size") == size) and r.get(field) is not None]


def by_run(records, kind, field, size=None):
    return {r["run"]: r[field] for r in records
            if r["kind"] == kind and (size is None or r.get("size") == size) and r.get(field) is not None}


def per_run(numerators, denominators):
    """The ratio in each run that has both figures, in run order: the targets compare the two
    sides in the same run, and this host's speed moves between runs."""
    return [numerators[run] / denominators[run] for run in sorted(numerators) if run in denominators and denominators[run]]


def cell(samples, digits=0):
    if not samples:
        return "-"
    median = statistics.median(samples)
    if len(samples) == 1:
        return f"{median:,.{digits}f}"
    return f"{median:,.{digits}f} ({min(samples):,.{digits}f}-{max(samples):,.{digits}f})"


def main():
    records = load(sys.argv[1])
    fill_mb = int(sys.argv[2]) * int(sys.argv[3]) / 1e6
    runs = len({r["run"] for r in records})
    rows = []
    ratios = []
    for size in (64, 4096):
        for field, label in (("p50_us", "p50"), ("p99_us", "p99"), ("max_us", "max")):
            d, r = values(records, "duplex-sync", field, size), values(records, "redis-sync", field, size)
            rows.append((f"sync write {size} B {label} (us)", cell(d, 1), cell(r, 1)))
        d, r = values(records, "duplex-sync", "p99_us", size), values(records, "redis-sync", "p99_us", size)
        if d and r:
            ratio = statistics.median(d) / statistics.median(r)
            runs_ratio = per_run(by_run(records, "duplex-sync", "p99_us", size), by_run(records, "redis-sync", "p99_us", size))
            ratios.append((f"sync {size} B p99 Duplex/Redis", ratio, "<= 0.50", ratio <= 0.5, runs_ratio))
    d, r = values(records, "duplex-async", "writes_per_s", 64), values(records, "redis-async", "writes_per_s", 64)
    rows.append(("async 64 B writes/s (flush / WAIT incl.)", cell(d), cell(r)))
    rows.append(("  Redis without the final WAIT", "", cell(values(records, "redis-async", "writes_per_s_no_wait", 64))))
    rows.append(("  mate lag max (updates, sampled)", cell(values(records, "duplex-async", "lag_max", 64)), "-"))
    rows.append(("  final flush / WAIT (ms)", cell(values(records, "duplex-async", "flush_ms", 64), 1),
                 cell(values(records, "redis-async", "wait_ms", 64), 1)))
    if d and r:
        ratio = statistics.median(d) / statistics.median(r)
        runs_ratio = per_run(by_run(records, "duplex-async", "writes_per_s", 64), by_run(records, "redis-async", "writes_per_s", 64))
        ratios.append(("async writes/s Duplex/Redis", ratio, ">= 1.00", ratio >= 1, runs_ratio))
    rows.append((f"fill {fill_mb:.1f} MB (ms)", cell(values(records, "duplex-fill", "ms"), 1),
                 cell(values(records, "redis-fill", "ms"), 1)))
    hot = values(records, "duplex-resync", "hot_ms")
    answered = [x["hot_ms"] - x["answered_ms"] for x in records if x["kind"] == "duplex-resync" and x.get("answered_ms") is not None]
    receiving = [x["hot_ms"] - x["receiving_ms"] for x in records if x["kind"] == "duplex-resync" and x.get("receiving_ms") is not None]
    up = values(records, "redis-resync", "up_ms")
    rows.append(("resync: restart -> hot / REPLICAOF -> up (ms)", cell(hot, 1), cell(up, 1)))
    rows.append(("  Duplex: control socket up -> hot (ms)", cell(answered, 1), ""))
    rows.append(("  Duplex: snapshot seen -> hot (ms)", cell(receiving, 1), ""))
    command = values(records, "duplex-command-resync", "hot_ms")
    rows.append(("resync: resync command -> hot / REPLICAOF -> up (ms)", cell(command, 1), cell(up, 1)))
    rows.append((f"resync MB/s ({fill_mb:.1f} MB of sections)", cell([fill_mb / (t / 1000) for t in hot], 1),
                 cell([fill_mb / (t / 1000) for t in up], 1)))
    up_by_run = by_run(records, "redis-resync", "up_ms")
    if hot and up:
        ratio = statistics.median(up) / statistics.median(hot)
        runs_ratio = per_run(up_by_run, by_run(records, "duplex-resync", "hot_ms"))
        ratios.append(("resync speed Duplex/Redis (restart -> hot)", ratio, ">= 4.00", ratio >= 4, runs_ratio))
    if receiving and up:
        ratio = statistics.median(up) / statistics.median(receiving)
        seen = {x["run"]: x["hot_ms"] - x["receiving_ms"] for x in records
                if x["kind"] == "duplex-resync" and x.get("receiving_ms") is not None}
        ratios.append(("  (snapshot seen -> hot)", ratio, ">= 4.00", ratio >= 4, per_run(up_by_run, seen)))
    if command and up:
        ratio = statistics.median(up) / statistics.median(command)
        runs_ratio = per_run(up_by_run, by_run(records, "duplex-command-resync", "hot_ms"))
        ratios.append(("resync speed Duplex/Redis (command -> hot)", ratio, ">= 4.00", ratio >= 4, runs_ratio))
    width = max(len(row[0]) for row in rows)
    print(f"checkpoint benchmark: medians over {runs} run(s), (min-max) spreads")
    print(f"| {'figure':<{width}} | {'Duplex':<28} | {'Redis 7':<28} |")
    print(f"| {'-' * width} | {'-' * 28} | {'-' * 28} |")
    for name, duplex, redis in rows:
        print(f"| {name:<{width}} | {duplex:<28} | {redis:<28} |")
    print()
    # The targets are for a clean link: with --loss (a fourth argument, the percentage) the
    # ratios are printed without a verdict.
    loss = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    # The verdict is on the ratio of the medians; the ratio of each run follows it.
    for name, ratio, target, met, runs_ratio in ratios:
        verdict = f"target {target}  {'met' if met else 'MISSED'}" if loss == 0 else f"({loss} % loss: no target)"
        each = f"  (per run: {' '.join(f'{x:.2f}' for x in runs_ratio)})" if len(runs_ratio) > 1 else ""
        print(f"{name:<44} {ratio:6.3f}  {verdict}{each}")
    noise = [r for r in records if r["kind"] == "cpu-noise"]
    if noise:
        # Each run's CPUs: gaps per second and the share of time they took, median over CPUs.
        rates = [r["gaps_per_s"] for r in noise]
        shares = [r["lost_percent"] for r in noise]
        gap = [c["gap_median_us"] for r in noise for c in r["cpus"] if c["gaps_per_s"] > 0]
        longest = max(c["gap_max_us"] for r in noise for c in r["cpus"])
        print(f"CPU noise before each run (gaps >= {noise[0]['threshold_us']} us, every CPU spinning): "
              f"{cell(rates)} per s per CPU, {cell(shares, 2)} % of the time, gap median {cell(gap, 1)} us, "
              f"longest {longest:,.1f} us")
    unreplicated = sum(r.get("unreplicated", 0) for r in records)
    print(f"sync writes not acknowledged as replicated: {unreplicated}")


if __name__ == "__main__":
    main()
