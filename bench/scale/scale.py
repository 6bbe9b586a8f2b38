#!/usr/bin/env python3
"""bench/scale/scale.py: how many clusters one etcd carries (make bench-scale).

Starts a 3-member etcd on this machine, then for each traffic mix (pgha's
and Patroni's requests per second per cluster, by gRPC method, as
bench/scenarios.pl measured them on real nodes: docs/benchmarks.md, at
two settings) and each number of clusters N, runs scale_gen processes that set N virtual
3-member clusters up and replay the mix for PGHA_SCALE_SECONDS.  Per step
it prints: etcd's CPU (all three members, in % of one core) and largest
RSS, proposals/s, requests/s, keepalive and write latency p50/p99, how
late the generator sent (its own limit), and the leases lost.  The
capacity is the largest N with keepalive and write p99 under 100 ms and
no lease lost, provided the generator kept to its schedule (sent late
p99 under 1 s; otherwise the step says "generator-limited": the load was
not offered, and the step says nothing about etcd).  A series ends at
its first step out of bounds: more clusters only take longer.

The system "keeper" is not a replay: scale_keeper processes run N
clusters of the real keeper (src/keeper, with the simulator's model
PostgreSQL, no postmaster) against the same etcd.  Its table says what
etcd counted (requests/s from grpc_server_msg_received_total, all
members), the keeper's own keepalives and writes (p50/p99, as its client
timed them), the watch's delay (a probe key put beside the members' keys,
from the put's send to its event), how long the keeper's iterations took
(p50/p99) and how late they started, and what must stay 0 on a healthy
cluster: failed iterations, leases lost, leader changes, promotions and
fences, clusters without a leader.  Within bounds: all of those 0,
keepalive and write p99 under 100 ms, and the iterations on schedule
(started late p99 under 1 s).

etcd's three members run on the last CPU and everything else (the
generators, this script) on the others (taskset), so that etcd's figures
are per core and the generator does not take etcd's CPU
(PGHA_SCALE_PIN=0: no pinning; on one CPU there is none).  etcd runs with
--metrics extensive, and a last table gives its own time to handle each
request by method (grpc_server_handling_seconds, p99), which tells etcd's
latency from the clients'.  A chart of
etcd's CPU against the number of clusters goes to TESTDIR/scale.png.

Environment: PGHA_SCALE_STEPS ("100 250 500 1000 2000 4000"),
PGHA_SCALE_SECONDS (30), PGHA_SCALE_PROCS (16; the keeper: one per 14 clusters, at least that), PGHA_SCALE_PROFILES
("30/10/10 fastest": Patroni's defaults for both; each one's fastest safe
settings, pgha 3/1/1 with failsafe_mode and Patroni 20/1/3),
PGHA_SCALE_SYSTEMS ("keeper patroni"; "pgha" replays pgha's measured
mix), PGHA_SCALE_PIN (1), PGHA_SCALE_HEALTH_INTERVAL (the keeper's
pgha.etcd_health_interval, 30), TESTDIR (tmp_bench).  Writes TESTDIR/scale.md
and TESTDIR/scale.png.  The profile "10/2/4" (pgha's defaults) runs the
keeper only: Patroni's requests were not measured at those settings.
"""
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
GEN = os.path.join(HERE, "scale_gen")
KEEPER = os.path.join(HERE, "scale_keeper")
# (make passes unset settings as empty strings)
def setting(name, default):
    return os.environ.get(name) or default


OUT = setting("TESTDIR", os.path.join(TOP, "tmp_bench"))
STEPS = [int(n) for n in setting("PGHA_SCALE_STEPS", "100 250 500 1000 2000 4000").split()]
SECONDS = int(setting("PGHA_SCALE_SECONDS", "30"))
PROCS = int(setting("PGHA_SCALE_PROCS", "16"))
MEMBERS = 3

# requests/s per 3-member cluster by gRPC method, measured on real nodes
# (make bench-scenarios, docs/benchmarks.md "etcd requests by method"):
# (profile, system) -> (lease ttl, mix); in a mix "each" spreads a rate
# over the members, "leader" gives it to the leader alone
MIXES = {
    ("30/10/10", "pgha"): (30, "0.299=keepalive:each,0.100=range:leader,0.033=range:each,"
                               "0.216=put:each,0.100=status:leader,0.033=memberlist:leader"),
    ("30/10/10", "patroni"): (30, "0.233=keepalive:each,0.100=status_put:leader,0.050=put:each"),
    ("fastest", "pgha"): (3, "3.64=keepalive:each,1.65=range:leader,0.33=range:each,"
                             "0.216=put:each,0.100=status:leader,0.033=memberlist:leader"),
    ("fastest", "patroni"): (20, "2.00=keepalive:each,1.00=status_put:leader,0.100=put:each"),
}
# the system "keeper" runs the real keeper (scale_keeper) instead of a
# replay: profile -> (ttl, loop_wait, retry_timeout, failsafe_mode)
KEEPER_SETTINGS = {"30/10/10": (30, 10, 10, 0), "10/2/4": (10, 2, 4, 0), "fastest": (3, 1, 1, 1)}
# A scale_keeper process runs its members one after another, each
# iteration blocking on etcd as a worker's does: with more than about 40
# members, a slow etcd (1,000 clusters bootstrapping at once) delays their
# iterations by seconds and leaders miss their fence deadline, which real
# nodes, each with its own worker, would not.  So one process per 14
# clusters (16 processes at least).
KEEPER_CLUSTERS_PER_PROC = 14
PROFILES = setting("PGHA_SCALE_PROFILES", "30/10/10 fastest").split()
SYSTEMS = setting("PGHA_SCALE_SYSTEMS", "keeper patroni").split()
# the bucket upper bounds of scale_gen.c, in ms (the last one is open)
BUCKETS = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, float("inf")]
TICK = os.sysconf("SC_CLK_TCK")
# etcd on the last CPU, the rest on the others
CPUS = sorted(os.sched_getaffinity(0))
PIN = setting("PGHA_SCALE_PIN", "1") != "0" and len(CPUS) >= 2
ETCD_CPUS = CPUS[-1:] if PIN else CPUS
GEN_CPUS = CPUS[:-1] if PIN else CPUS
# the watch probes: about this many puts per second over all processes
PROBES_PER_SECOND = 10


def etcd(cmd, *args):
    subprocess.run(["bash", os.path.join(TOP, "scripts/etcd-cluster.sh"), cmd, *args],
                   check=True, stdout=subprocess.DEVNULL)


def member_pids(d):
    return [int(open(os.path.join(d, f)).read()) for f in sorted(os.listdir(d))
            if re.fullmatch(r"etcd\d+\.pid", f)]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mib(pid):
    m = re.search(r"VmRSS:\s+(\d+) kB", open(f"/proc/{pid}/status").read())
    return int(m.group(1)) / 1024


def proposals(url):
    text = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    m = re.search(r"^etcd_server_proposals_committed_total (\S+)$", text, re.M)
    return float(m.group(1))


def requests_total(urls):
    """etcd's own count of the request messages it received, all members"""
    total = 0.0
    for url in urls:
        text = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
        total += sum(float(v) for v in re.findall(r"^grpc_server_msg_received_total\{[^}]*\} (\S+)$",
                                                 text, re.M))
    return total


# etcd's own time to handle a request, by gRPC method (etcd runs with
# --metrics extensive): what the server spent, without the client's side
HANDLED = ("LeaseKeepAlive", "Txn", "Range", "Put")


def handling(urls):
    """{method: {le: count}} of grpc_server_handling_seconds, all members"""
    out = {}
    for url in urls:
        text = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
        for m in re.finditer(r'^grpc_server_handling_seconds_bucket\{([^}]*)\} (\S+)$', text, re.M):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
            if labels.get("grpc_method") in HANDLED:
                le = float(labels["le"])
                d = out.setdefault(labels["grpc_method"], {})
                d[le] = d.get(le, 0) + float(m.group(2))
    return out


def handling_p99(before, after, method):
    """p99 of a method's handling time over the window, ms (a bucket's upper bound)"""
    b, a = before.get(method, {}), after.get(method, {})
    les = sorted(a)
    if not les:
        return None
    total = a[les[-1]] - b.get(les[-1], 0)
    if total <= 0:
        return None
    for le in les:
        if a[le] - b.get(le, 0) >= 0.99 * total:
            return le * 1000
    return float("inf")


def percentile(hist, q):
    total = sum(hist)
    if total == 0:
        return None
    seen = 0
    for i, n in enumerate(hist):
        seen += n
        if seen >= q * total:
            return BUCKETS[i]
    return BUCKETS[-1]


def fmt_ms(v):
    if v is None:
        return "-"
    return "> 5000" if v == float("inf") else f"≤ {v:g}"


def run_window(urls, pids, n, start, argv, nprocs=PROCS):
    """Start the programs (argv(first, count)) on n clusters split over
    nprocs processes, measure etcd over the window that opens at start
    (wall clock, a second in: the setup before it and the revocations
    after it stay out); their output lines, and the measurements."""
    per = [n // nprocs + (1 if i < n % nprocs else 0) for i in range(nprocs)]
    procs = []
    first = 0
    for count in per:
        if count == 0:
            continue
        procs.append(subprocess.Popen(argv(first, count, len(per)), stdout=subprocess.PIPE, text=True,
                                      preexec_fn=lambda: os.sched_setaffinity(0, GEN_CPUS)))
        first += count
    while time.time() < start + 1:
        time.sleep(0.05)
    cpu0 = [cpu_seconds(p) for p in pids]
    gen0 = sum(cpu_seconds(p.pid) for p in procs)
    prop0 = proposals(urls[0])
    req0 = requests_total(urls)
    hand0 = handling(urls)
    t0 = time.time()
    time.sleep(SECONDS - 2)
    cpu1 = [cpu_seconds(p) for p in pids]
    gen1 = sum(cpu_seconds(p.pid) for p in procs)
    prop1 = proposals(urls[0])
    req1 = requests_total(urls)
    hand1 = handling(urls)
    elapsed = time.time() - t0
    row = {
        "n": n,
        "etcd_cpu": 100 * sum(b - a for a, b in zip(cpu0, cpu1)) / elapsed,
        "gen_cpu": 100 * (gen1 - gen0) / elapsed,
        "rss": max(rss_mib(p) for p in pids),
        "proposals": (prop1 - prop0) / elapsed,
        "etcd_requests": (req1 - req0) / elapsed,
        "handled99": {m: handling_p99(hand0, hand1, m) for m in HANDLED},
    }
    outs = []
    failed = 0
    for p in procs:
        out, _ = p.communicate()
        if p.returncode != 0 or not out.strip():
            failed += 1
        else:
            outs.append(out)
    # the next step starts from an empty prefix
    subprocess.run(["etcdctl", "--endpoints", ",".join(urls), "del", "--prefix", "/scale/"],
                   check=True, stdout=subprocess.DEVNULL)
    return row, outs, failed


def run_step(urls, pids, ttl, mix, n):
    """n clusters of a measured mix, replayed (scale_gen) for SECONDS"""
    start = int(time.time()) + 5 + n // 150
    row, outs, failed = run_window(
        urls, pids, n, start,
        lambda first, count, nprocs: [GEN, ",".join(urls), str(first), str(count), str(MEMBERS),
                              str(ttl), str(SECONDS), str(start), mix])
    totals = {}
    late = [0] * len(BUCKETS)
    lost = 0
    for out in outs:
        for field in out.split():
            key, value = field.split("=", 1)
            if key == "lost_leases":
                lost += int(value)
            elif key == "late":
                late = [a + int(b) for a, b in zip(late, value.split(":"))]
            elif key != "seconds":
                reqs, errs, hist = value.split("/")
                t = totals.setdefault(key, [0, 0, [0] * len(BUCKETS)])
                t[0] += int(reqs)
                t[1] += int(errs)
                t[2] = [a + int(b) for a, b in zip(t[2], hist.split(":"))]
    writes = [0] * len(BUCKETS)
    for k in ("put", "status_put", "txn"):
        if k in totals:
            writes = [a + b for a, b in zip(writes, totals[k][2])]
    keepalive = totals.get("keepalive", [0, 0, [0] * len(BUCKETS)])[2]
    row.update({
        "requests": sum(t[0] for t in totals.values()) / SECONDS,
        "errors": sum(t[1] for t in totals.values()),
        "ka50": percentile(keepalive, 0.5), "ka99": percentile(keepalive, 0.99),
        "w50": percentile(writes, 0.5), "w99": percentile(writes, 0.99),
        "late99": percentile(late, 0.99),
        "lost": lost + failed,
    })
    # a generator that fell behind did not offer the load: no verdict on etcd
    row["generator_limited"] = row["late99"] is not None and row["late99"] > 1000
    row["ok"] = (row["lost"] == 0 and row["ka99"] is not None and row["ka99"] <= 100 and
                 (row["w99"] is None or row["w99"] <= 100) and not row["generator_limited"])
    return row


def run_keeper_step(urls, pids, profile, n):
    """n clusters of the real keeper (scale_keeper) for SECONDS"""
    ttl, loop_wait, retry, failsafe = KEEPER_SETTINGS[profile]
    # the clusters bootstrap first (their members start within a loop of
    # each other, a new member's first lease has pgha's default ttl, 10 s,
    # until it has read the config); the window opens when they have settled
    start = int(time.time()) + max(30, 3 * loop_wait) + 5 + n // 20
    row, outs, failed = run_window(
        urls, pids, n, start,
        lambda first, count, nprocs: [KEEPER, ",".join(urls), str(first), str(count), str(ttl),
                                      str(loop_wait), str(retry), str(failsafe), str(SECONDS), str(start),
                                      str(1000 * nprocs // PROBES_PER_SECOND)],
        max(PROCS, -(-n // KEEPER_CLUSTERS_PER_PROC)))
    totals = {}
    hists = {k: [0] * len(BUCKETS) for k in ("iteration", "late", "keepalive", "write", "read", "other", "watch")}
    for out in outs:
        for field in out.split():
            key, value = field.split("=", 1)
            if key in hists:
                hists[key] = [a + int(b) for a, b in zip(hists[key], value.split(":"))]
            elif key != "seconds":
                totals[key] = totals.get(key, 0) + int(value)
    # what etcd counted, less the watch probes' puts
    probe_rate = totals.get("probe_puts", 0) / SECONDS
    row["proposals"] -= probe_rate
    row.update({
        "requests": row["etcd_requests"] - probe_rate,
        "it50": percentile(hists["iteration"], 0.5), "it99": percentile(hists["iteration"], 0.99),
        "ka50": percentile(hists["keepalive"], 0.5), "ka99": percentile(hists["keepalive"], 0.99),
        "w50": percentile(hists["write"], 0.5), "w99": percentile(hists["write"], 0.99),
        "wd50": percentile(hists["watch"], 0.5), "wd99": percentile(hists["watch"], 0.99),
        "unanswered": sum(totals.get(k + "_unanswered", 0) for k in ("keepalive", "write", "read", "other")),
        "late99": percentile(hists["late"], 0.99),
        "failed": totals.get("failed", 0) + totals.get("errors", 0),
        "lost": totals.get("lost_leases", 0) + failed,
        "changes": totals.get("leader_changes", 0) + totals.get("promotions", 0) + totals.get("fences", 0),
        "leaderless": totals.get("leaderless", 0),
        "iterations": totals.get("iterations", 0),
    })
    row["generator_limited"] = row["late99"] is not None and row["late99"] > 1000
    row["ok"] = (row["lost"] == 0 and row["changes"] == 0 and row["leaderless"] == 0 and
                 row["failed"] == 0 and not row["generator_limited"] and
                 row["ka99"] is not None and row["ka99"] <= 100 and
                 (row["w99"] is None or row["w99"] <= 100))
    return row


KEEPER_HEADER = ["| settings | clusters | etcd CPU % (3 members) | keeper processes CPU % | "
                 "etcd RSS MiB (largest) | proposals/s | requests/s (etcd's count) | "
                 "keepalive p50 / p99 ms | write p50 / p99 ms | unanswered calls | watch delay p50 / p99 ms | "
                 "iteration p50 / p99 ms | started late p99 ms | failed iterations | leases lost | "
                 "leader changes, promotions, fences | clusters without a leader | within bounds |",
                 "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]


def keeper_line(profile, r):
    return (f"| {profile} | {r['n']} | {r['etcd_cpu']:.0f} | {r['gen_cpu']:.0f} | {r['rss']:.0f} | "
            f"{r['proposals']:.1f} | {r['requests']:.0f} | {fmt_ms(r['ka50'])} / {fmt_ms(r['ka99'])} | "
            f"{fmt_ms(r['w50'])} / {fmt_ms(r['w99'])} | {r['unanswered']} | "
            f"{fmt_ms(r['wd50'])} / {fmt_ms(r['wd99'])} | {fmt_ms(r['it50'])} / {fmt_ms(r['it99'])} | "
            f"{fmt_ms(r['late99'])} | {r['failed']} | {r['lost']} | {r['changes']} | {r['leaderless']} | "
            f"{'yes' if r['ok'] else 'generator-limited' if r['generator_limited'] else 'no'} |")


def chart(points, path):
    """etcd's CPU against the number of clusters, a line per settings and system"""
    series = {}
    for (profile, system, n, cpu) in points:
        series.setdefault((profile, system), []).append((n, cpu))
    plots = []
    for i, ((profile, system), pts) in enumerate(sorted(series.items())):
        dat = f"{path}.{i}.dat"
        with open(dat, "w") as f:
            f.writelines(f"{n} {cpu:.1f}\n" for n, cpu in pts)
        name = "pgha (the real keeper)" if system == "keeper" else f"{system} (replayed)"
        plots.append(f'"{dat}" using 1:2 with linespoints lw 2 title "{profile}: {name}"')
    cores = "on one core" if PIN else f"sharing {len(CPUS)} CPUs with the generator"
    script = f"""set terminal pngcairo size 900,500 font "sans,10"
set output "{path}"
set title "etcd's CPU (3 members {cores}) against the number of 3-member clusters"
set xlabel "clusters"
set ylabel "etcd CPU, % of one core"
set logscale x
set key left top opaque box
set grid
plot {", ".join(plots)}
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    for program in (GEN, KEEPER):
        if not os.access(program, os.X_OK):
            sys.exit(f"{program} is missing: make -C bench/scale")
    d = os.path.join(OUT, "scale_etcd")
    subprocess.run(["rm", "-rf", d])
    os.makedirs(OUT, exist_ok=True)
    # etcd with its handling-time histograms (a wrapper, as etcd-cluster.sh takes ETCD_BIN)
    real = os.environ.get("ETCD_BIN") or shutil.which("etcd")
    wrapper = os.path.join(OUT, "etcd-extensive")
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\nexec {real} "$@" --metrics extensive\n')
    os.chmod(wrapper, 0o755)
    os.environ["ETCD_BIN"] = wrapper
    etcd("start", d, "3")
    try:
        urls = open(os.path.join(d, "urls")).read().strip().split(",")
        pids = member_pids(d)
        os.sched_setaffinity(0, GEN_CPUS)
        for pid in pids:
            subprocess.run(["taskset", "-a", "-p", "-c", ",".join(map(str, ETCD_CPUS)), str(pid)],
                           check=True, stdout=subprocess.DEVNULL)
        points = []
        handled = ["| settings | system | clusters | " + " | ".join(f"{m} p99 ms" for m in HANDLED) + " |",
                   "|---|---|---|" + "---|" * len(HANDLED)]

        def handled_line(profile, system, r):
            cells = " | ".join("-" if r["handled99"][m] is None else
                               ("> 10000" if r["handled99"][m] == float("inf") else f"≤ {r['handled99'][m]:g}")
                               for m in HANDLED)
            handled.append(f"| {profile} | {system} | {r['n']} | {cells} |")
        lines = ["| settings | system | clusters | etcd CPU % (3 members) | generator CPU % | "
                 "etcd RSS MiB (largest) | proposals/s | requests/s | errors | keepalive p50 / p99 ms | "
                 "write p50 / p99 ms | sent late p99 ms | leases lost | within bounds |",
                 "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        capacity = {}
        keeper_lines = []
        print("\n".join(lines), flush=True)
        for profile in PROFILES:
            for system in SYSTEMS:
                if system == "keeper":
                    for n in STEPS:
                        r = run_keeper_step(urls, pids, profile, n)
                        points.append((profile, system, n, r["etcd_cpu"]))
                        handled_line(profile, system, r)
                        line = keeper_line(profile, r)
                        if not keeper_lines:
                            print("\n".join(KEEPER_HEADER), flush=True)
                            keeper_lines = list(KEEPER_HEADER)
                        print(line, flush=True)
                        keeper_lines.append(line)
                        if not r["ok"]:
                            break
                        capacity[(profile, system)] = n
                    continue
                if (profile, system) not in MIXES:
                    continue
                ttl, mix = MIXES[(profile, system)]
                for n in STEPS:
                    r = run_step(urls, pids, ttl, mix, n)
                    points.append((profile, system, n, r["etcd_cpu"]))
                    handled_line(profile, system, r)
                    line = (f"| {profile} | {system} | {n} | {r['etcd_cpu']:.0f} | {r['gen_cpu']:.0f} | "
                            f"{r['rss']:.0f} | {r['proposals']:.1f} | {r['requests']:.0f} | {r['errors']} | "
                            f"{fmt_ms(r['ka50'])} / {fmt_ms(r['ka99'])} | {fmt_ms(r['w50'])} / {fmt_ms(r['w99'])} | "
                            f"{fmt_ms(r['late99'])} | {r['lost']} | "
                            f"{'yes' if r['ok'] else 'generator-limited' if r['generator_limited'] else 'no'} |")
                    print(line, flush=True)
                    lines.append(line)
                    # the capacity: the last N of an unbroken run of steps within bounds;
                    # past the first step out of them, more clusters only take longer
                    if not r["ok"]:
                        break
                    capacity[(profile, system)] = n
        if keeper_lines:
            lines += ["", "The real keeper (scale_keeper):", ""] + keeper_lines
        lines += ["", "etcd's own time to handle each request, by method (all members; "
                  "grpc_server_handling_seconds, bucket upper bounds):", ""] + handled
        print("\n".join(handled), flush=True)
        lines.append("")
        pinned = (f"etcd on CPU {','.join(map(str, ETCD_CPUS))}, the generators on "
                  f"{','.join(map(str, GEN_CPUS))}" if PIN else "etcd and the generators not pinned")
        lines.append(f"Capacity (largest N within bounds; {SECONDS} s per step; {pinned}):")
        ran = [(p, s) for p in PROFILES for s in SYSTEMS if s == "keeper" or (p, s) in MIXES]
        for profile, system in ran:
            lines.append(f"- {profile}, {system}: {capacity.get((profile, system), 'below ' + str(STEPS[0]))}")
        print("\n".join(lines[-1 - len(ran):]))
        if points:
            chart(points, os.path.join(OUT, "scale.png"))
        with open(os.path.join(OUT, "scale.md"), "w") as f:
            f.write("\n".join(lines) + "\n")
    finally:
        etcd("stop", d)


if __name__ == "__main__":
    main()
