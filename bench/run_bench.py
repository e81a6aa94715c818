#!/usr/bin/python3
"""Runs the benchmark suite and prints a table of figures with their ratio to the baseline.

Starts the fake Hub (with copies of one repo, for the cold and churn scenarios), the echo
baseline server (bench-echo-server: same gRPC, same settings, empty answers) and tasks-server,
then drives them with tasks-bench:

  registry    the registry RPC mix at 32 calls in flight, and at 1 (unloaded latency)
  warm        ResolveExport / InferTaskFromModel / DetermineFramework on cached repos, 32 in flight
  cold        a fresh server; 64 callers ask for each of N uncached repos at once: upstream
              requests must be N x (requests one cold resolve makes)
  churn       a fresh server with a small cache bound fed many more repos than it holds:
              RSS must stay within the bound + idle RSS + 10%
  fleet       4 replicas sharing one redis-server (the fleet cache), 64 callers each asking
              for each of N uncached repos at once: upstream requests for the whole fleet must
              be N x (requests one cold resolve makes); then a warm replica with Redis (answers
              in memory) against a server without it, and a fresh replica answering only from
              Redis (its throughput and p99, and no upstream request)
  startup     process start to SERVING (health polled from outside), and idle RSS, with every
              generation loaded

`--soak N` runs instead the soak: N calls, registry and inference mixed, at 64 in flight on a
fresh server with a bounded cache, over more repos than it holds; any failed call fails the run,
and RSS must not grow by more than 10% after a first pass over every repo. The default test run
has a short one.

Each throughput/latency figure alternates baseline and service `--runs` times and reports the
median ratio (these machines are shared and noisy). Exit status: 1 when a call failed, a
scenario could not run or the cold fan-in made more upstream requests than repos x requests per
cold resolve (alone or as a fleet); timing targets missed are marked MISS (and fail only with
--check-targets).

  bench/run_bench.py [--build build/release] [--runs 3] [--duration 3]
  bench/run_bench.py --soak 100000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional

import grpc

REPO = Path(__file__).resolve().parents[1]


class Process:
    """A child whose output is scanned for `pattern` (its listening address); stopped with SIGTERM.

    Its output goes to a file, not a pipe: a server logging every call would otherwise make this
    script spend CPU draining it, on the cores the benchmark measures.
    """

    def __init__(self, argv: list[str], pattern: str) -> None:
        self.argv = argv
        self.started = time.monotonic()
        self.output = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.output,
                                     stderr=subprocess.STDOUT, text=True)
        self.match: Optional[re.Match[str]] = None
        deadline = time.monotonic() + 30
        while self.match is None and self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
            self.match = re.search(pattern, self.text())
        if self.match is None:
            self.stop()
            tail = "".join(self.text().splitlines(keepends=True)[-20:])
            raise RuntimeError(f"{argv[0]} did not start:\n{tail}")

    def text(self) -> str:
        self.output.seek(0)
        return self.output.read()

    def rss_bytes(self) -> int:
        return rss_bytes(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Redis:
    """redis-server on `folder`/redis.sock, no persistence; kill() is a crash (SIGKILL)."""

    def __init__(self, folder: str) -> None:
        self.socket = os.path.join(folder, "redis.sock")
        self.address = f"unix:{self.socket}"
        self.folder = folder
        self.proc: Any = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", self.socket, "--unixsocketperm", "700",
             "--save", "", "--appendonly", "no", "--dir", self.folder, "--loglevel", "warning",
             "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ping = subprocess.run(["redis-cli", "-s", self.socket, "ping"], capture_output=True,
                                  text=True)
            if ping.stdout.strip() == "PONG":
                return
            time.sleep(0.02)
        raise RuntimeError("redis-server did not answer PING within 10 s")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.build = Path(args.build)
        self.rows: list[tuple[str, str, str, str, str, str]] = []
        self.misses = 0
        self.failures = 0  # correctness checks (not timing): fail the run whatever the flags

    # -- processes ------------------------------------------------------------------------

    def server(self, hub: str, *extra: str) -> Process:
        return Process([str(self.build / "tasks-server"), "--listen_address", "127.0.0.1:0",
                        "--hf_endpoint", hub, "--hf_cache_dir", "/nonexistent",
                        "--stats_log_interval", "0",
                        # The mixes ask Optimum 1.23's questions (tflite among them).
                        "--default_optimum_version", "1.23", *extra],
                       r"\(port (\d+)\)")

    def bench(self, target: str, *extra: str) -> dict[str, Any]:
        return self.bench_all([target], *extra)[0]

    def bench_all(self, targets: list[str], *extra: str) -> list[dict[str, Any]]:
        """tasks-bench against each target at the same time; their reports, in order."""
        runs = [subprocess.Popen([str(self.build / "bench/tasks-bench"), "--target", target,
                                  *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for target in targets]
        reports = []
        for target, run in zip(targets, runs):
            out, err = run.communicate(timeout=600)
            if run.returncode != 0:
                raise RuntimeError(f"tasks-bench failed: {out}{err}")
            report = json.loads(out)
            if report["errors"]:
                raise RuntimeError(f"calls failed against {target}: {report['errors']}")
            reports.append(report)
        return reports

    def cache_stats(self, target: str) -> dict[str, Any]:
        result = subprocess.run([str(self.build / "tasks-cli"), "--server", target, "--json",
                                 "cache-stats"], capture_output=True, text=True, timeout=30,
                                check=True)
        return json.loads(result.stdout)

    # -- reporting ------------------------------------------------------------------------

    def row(self, scenario: str, metric: str, service: str, baseline: str = "",
            ratio: str = "", target: str = "", met: Optional[bool] = None) -> None:
        verdict = "" if met is None else ("ok" if met else "MISS")
        self.misses += met is False
        self.rows.append((scenario, metric, service, baseline, ratio, f"{target} {verdict}".strip()))

    def compare(self, scenario: str, service_target: str, echo_target: str, extra: list[str],
                checks: list[tuple[str, str, Callable[[float], bool], str]],
                service_extra: tuple[str, ...] = ()) -> None:
        """Alternates baseline (`echo_target`) and service runs, the service's with
        `service_extra` too; prints each metric's medians and median ratio."""
        ratios: dict[str, list[float]] = {metric: [] for metric, *_ in checks}
        values: dict[str, list[tuple[float, float]]] = {metric: [] for metric, *_ in checks}
        for _ in range(self.args.runs):
            echo = self.bench(echo_target, *extra)["total"]
            service = self.bench(service_target, *extra, *service_extra)["total"]
            for metric, field, _, _ in checks:
                ratios[metric].append(service[field] / echo[field])
                values[metric].append((service[field], echo[field]))
        for metric, field, good, target in checks:
            ratio = statistics.median(ratios[metric])
            service_value = statistics.median(v for v, _ in values[metric])
            echo_value = statistics.median(e for _, e in values[metric])
            unit = "/s" if field == "qps" else " us"
            self.row(scenario, metric, f"{service_value:,.0f}{unit}", f"{echo_value:,.0f}{unit}",
                     f"{ratio:.2f}x", target, good(ratio))

    def print_table(self) -> None:
        header = ("scenario", "metric", "service", "baseline", "ratio", "target")
        widths = [max(len(r[i]) for r in [header, *self.rows]) for i in range(len(header))]
        for r in [header, tuple("-" * w for w in widths), *self.rows]:
            print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip())

    # -- scenarios ------------------------------------------------------------------------

    def startup(self, hub: str) -> None:
        times, rss = [], []
        for _ in range(self.args.runs):
            port = free_port()
            started = time.monotonic()
            server = subprocess.Popen(
                [str(self.build / "tasks-server"), "--listen_address", f"127.0.0.1:{port}",
                 "--hf_endpoint", hub, "--log_level", "warn"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                times.append(wait_serving(port) - started)
                time.sleep(0.2)  # idle: the start-up allocations settled
                rss.append(rss_bytes(server.pid))
            finally:
                server.terminate()
                server.wait(timeout=15)
        startup_ms = statistics.median(times) * 1000
        idle_mb = statistics.median(rss) / 2**20
        self.row("startup", "start to SERVING", f"{startup_ms:.0f} ms", target="< 100 ms",
                 met=startup_ms < 100)
        self.row("startup", "idle RSS", f"{idle_mb:.1f} MiB", target="< 40 MiB", met=idle_mb < 40)

    def timed_run(self, target: str, pid: int, *load: str) -> tuple[float, float]:
        """64 callers for --duration: throughput, and CPU microseconds per call of server `pid`."""
        before = cpu_seconds(pid)
        qps = self.bench(target, *load, "--concurrency", "64", "--duration",
                         str(self.args.duration), "--warmup", str(self.args.warmup))["total"]["qps"]
        # The warm-up's calls are in the CPU time too: count them at the measured rate.
        calls = qps * (self.args.duration + self.args.warmup)
        return qps, (cpu_seconds(pid) - before) / calls * 1e6

    def upstream(self, target: str) -> int:
        return sum(map(int, self.cache_stats(target).get("upstream_requests", {}).values()))

    def cold_cost(self, hub: str, offset: int) -> int:
        """The requests one cold resolve (of copy `offset`) makes, from one caller, alone."""
        single = self.server(hub)
        target = f"127.0.0.1:{single.match.group(1)}"  # type: ignore[union-attr]
        self.bench(target, "--mix", "resolve", "--copies", "1", "--copies_offset", str(offset),
                   "--requests", "1", "--concurrency", "1")
        per_resolve = self.upstream(target)
        single.stop()
        return per_resolve

    def cold(self, hub: str, repos: int, offset: int) -> None:
        per_resolve = self.cold_cost(hub, offset)
        # Then 64 callers at once on each of `repos` other repos.
        server = self.server(hub)
        target = f"127.0.0.1:{server.match.group(1)}"  # type: ignore[union-attr]
        report = self.bench(target, "--mix", "resolve", "--copies", str(repos), "--copies_offset",
                            str(offset + 1), "--repeat", "64", "--concurrency", "64",
                            "--requests", str(repos * 64))
        upstream = self.upstream(target)
        server.stop()
        expected = repos * per_resolve
        self.failures += upstream != expected or per_resolve > 2
        self.row("cold fan-in", f"upstream requests, {repos} repos x 64 callers",
                 f"{upstream}", f"{expected}", f"{upstream / expected:.2f}x",
                 f"== {expected} ({per_resolve}/resolve)", upstream == expected and per_resolve <= 2)
        self.row("cold fan-in", "ResolveExport throughput", f"{report['total']['qps']:,.0f}/s")

    def churn(self, hub: str, repos: int, offset: int) -> None:
        bound = self.args.churn_cache_bytes
        server = self.server(hub, "--cache_max_bytes", str(bound))
        target = f"127.0.0.1:{server.match.group(1)}"  # type: ignore[union-attr]
        time.sleep(0.2)
        idle = server.rss_bytes()
        self.bench(target, "--mix", "resolve", "--copies", str(repos), "--copies_offset",
                   str(offset), "--concurrency", "32", "--requests", str(repos))
        stats = self.cache_stats(target)
        rss = server.rss_bytes()
        server.stop()
        limit = (bound + idle) * 1.1
        self.row("cache churn", f"RSS after {repos} repos", f"{rss / 2**20:.1f} MiB",
                 f"{idle / 2**20:.1f} MiB idle", "",
                 f"<= {limit / 2**20:.1f} MiB", rss <= limit)
        self.row("cache churn", "cache bytes / bound, evictions",
                 f"{int(stats['bytes']) / 2**20:.1f} / {bound / 2**20:.1f} MiB, "
                 f"{stats['evictions']} evictions")

    def fleet(self, hub: str, repos: int, cold_reads: int, offset: int) -> None:
        per_resolve = self.cold_cost(hub, offset)
        with tempfile.TemporaryDirectory(prefix="tasks-bench-fleet-") as folder:
            redis = Redis(folder)
            redis.start()
            key_file = os.path.join(folder, "fleet.key")
            with open(key_file, "w") as key:
                key.write(os.urandom(32).hex())
            fleet_flags = ["--redis_address", redis.address, "--cache_key_file", key_file]
            servers: list[Process] = []
            pids: dict[str, int] = {}  # by target
            try:
                def start(*extra: str) -> str:
                    servers.append(self.server(hub, *extra))
                    target = f"127.0.0.1:{servers[-1].match.group(1)}"  # type: ignore[union-attr]
                    pids[target] = servers[-1].proc.pid
                    return target

                # 4 replicas x 64 callers, every caller asking for every repo, all at once.
                replicas = [start(*fleet_flags) for _ in range(4)]
                fan_in = ["--mix", "resolve", "--copies", str(repos), "--copies_offset",
                          str(offset + 1)]
                reports = self.bench_all(replicas, *fan_in, "--repeat", "64", "--concurrency",
                                         "64", "--requests", str(repos * 64))
                upstream = sum(self.upstream(target) for target in replicas)
                expected = repos * per_resolve
                self.failures += upstream != expected
                self.row("fleet", f"upstream requests, 4 replicas x 64 callers x {repos} repos",
                         f"{upstream}", f"{expected}", f"{upstream / expected:.2f}x",
                         f"== {expected} ({per_resolve}/resolve)", upstream == expected)
                self.row("fleet", "ResolveExport throughput, 4 replicas",
                         f"{sum(r['total']['qps'] for r in reports):,.0f}/s")

                # Warm: a replica answering from memory, against a server without Redis. Server
                # CPU per call beside throughput: on a shared machine it is the steadier figure.
                alone = start()
                self.bench(alone, *fan_in, "--concurrency", "64", "--requests", str(repos))
                qps: list[tuple[float, float]] = []  # (Redis configured, none)
                cpu: list[tuple[float, float]] = []
                for _ in range(self.args.runs):
                    without, without_cpu = self.timed_run(alone, pids[alone], *fan_in)
                    with_redis, with_cpu = self.timed_run(replicas[0], pids[replicas[0]], *fan_in)
                    qps.append((with_redis, without))
                    cpu.append((with_cpu, without_cpu))
                for metric, values, unit, target, good in (
                        ("warm throughput, Redis configured vs none", qps, "/s", ">= 0.95x",
                         lambda r: r >= 0.95),
                        ("warm server CPU per call, Redis vs none", cpu, " us", "<= 1.05x",
                         lambda r: r <= 1.05)):
                    ratio = statistics.median(w / n for w, n in values)
                    self.row("fleet", metric,
                             f"{statistics.median(w for w, _ in values):,.0f}{unit}",
                             f"{statistics.median(n for _, n in values):,.0f}{unit}",
                             f"{ratio:.2f}x", target, good(ratio))

                # A replica started cold, every answer from Redis: the fleet fetches `cold_reads`
                # more repos first, then the new replica asks each once (each a miss in memory).
                reads = ["--mix", "resolve", "--copies", str(cold_reads), "--copies_offset",
                         str(offset + 1 + repos), "--concurrency", "64", "--requests",
                         str(cold_reads)]
                self.bench(replicas[1], *reads)
                late = start(*fleet_flags)
                report = self.bench(late, *reads)["total"]
                late_upstream = self.upstream(late)
                self.failures += late_upstream != 0
                self.row("fleet", f"cold replica, {cold_reads} repos from Redis, 64 in flight",
                         f"{report['qps']:,.0f}/s, p99 {report['p99_us']:,.0f} us, "
                         f"{late_upstream} upstream", "", "", "0 upstream", late_upstream == 0)
            finally:
                for server in servers:
                    server.stop()
                redis.kill()

    def soak(self, hub: str) -> None:
        bound = self.args.soak_cache_bytes
        server = self.server(hub, "--cache_max_bytes", str(bound))
        target = f"127.0.0.1:{server.match.group(1)}"  # type: ignore[union-attr]
        time.sleep(0.2)
        idle = server.rss_bytes()
        load = ["--mix", "mixed", "--copies", str(self.args.soak_repos), "--concurrency", "64",
                "--deadline", "30"]
        # One pass over every repo first: it fills the cache and the server's working memory
        # (threads, connections, code paged in), which growth is then measured against.
        self.bench(target, *load, "--requests", str(self.args.soak_repos * 6))
        warm = server.rss_bytes()
        report = self.bench(target, *load, "--requests", str(self.args.soak))
        stats = self.cache_stats(target)
        rss = server.rss_bytes()
        server.stop()
        limit = warm * 1.1
        total = report["total"]
        self.row("soak", f"{total['count']:,} mixed calls, 64 in flight",
                 f"{total['qps']:,.0f}/s, 0 errors", "", "", "0 errors", True)
        self.row("soak", "RSS idle / warm / after", f"{idle / 2**20:.1f} / {warm / 2**20:.1f} / "
                 f"{rss / 2**20:.1f} MiB", "", "", f"after <= {limit / 2**20:.1f} MiB",
                 rss <= limit)
        self.failures += rss > limit and not self.args.no_rss_check
        self.row("soak", "cache bytes / bound, evictions",
                 f"{int(stats['bytes']) / 2**20:.1f} / {bound / 2**20:.1f} MiB, "
                 f"{stats['evictions']} evictions")

    def run(self) -> int:
        fleet_offset = self.args.cold_repos + 1 + self.args.churn_repos
        copies = (self.args.soak_repos if self.args.soak else
                  fleet_offset + 1 + self.args.fleet_repos + self.args.fleet_cold_reads)
        hub_process = Process([str(self.build / "tests/fake-hub"), "--fixtures",
                               str(REPO / "tests/hub/fixtures"), "--copies", str(copies)],
                              r"listening on (127\.0\.0\.1:\d+)")
        hub = f"http://{hub_process.match.group(1)}"  # type: ignore[union-attr]
        echo_process = Process([str(self.build / "bench/bench-echo-server")],
                               r"listening on (127\.0\.0\.1:\d+)")
        echo = echo_process.match.group(1)  # type: ignore[union-attr]
        try:
            if self.args.soak:
                self.soak(hub)
                return self.report()
            self.startup(hub)
            server = self.server(hub)
            target = f"127.0.0.1:{server.match.group(1)}"  # type: ignore[union-attr]
            timing = ["--duration", str(self.args.duration), "--warmup", str(self.args.warmup)]
            try:
                self.compare("registry, 32 in flight", target, echo,
                             ["--mix", "registry", "--concurrency", "32", *timing],
                             [("throughput", "qps", lambda r: r >= 0.9, ">= 0.9x"),
                              ("p99 latency", "p99_us", lambda r: r <= 1.3, "<= 1.3x")])
                # Choosing the generation per call: the same calls with `optimum-version`
                # against without (the server's default, the same generation).
                self.compare("registry, 32 in flight, optimum-version vs none", target, target,
                             ["--mix", "registry", "--concurrency", "32", *timing],
                             [("throughput", "qps", lambda r: r >= 0.95, ">= 0.95x")],
                             service_extra=("--optimum_version", "1.23"))
                self.compare("registry, 1 in flight", target, echo,
                             ["--mix", "registry", "--concurrency", "1", *timing],
                             [("p50 latency", "p50_us", lambda r: r <= 1.1, "<= 1.1x")])
                self.bench(target, "--mix", "inference", "--requests", "200")  # warm the cache
                self.compare("warm inference, 32 in flight", target, echo,
                             ["--mix", "inference", "--concurrency", "32", *timing],
                             [("throughput", "qps", lambda r: r >= 0.8, ">= 0.8x"),
                              ("p99 latency", "p99_us", lambda r: r <= 1.5, "<= 1.5x")])
            finally:
                server.stop()
            self.cold(hub, self.args.cold_repos, 0)
            self.churn(hub, self.args.churn_repos, self.args.cold_repos + 1)
            self.fleet(hub, self.args.fleet_repos, self.args.fleet_cold_reads, fleet_offset)
        finally:
            echo_process.stop()
            hub_process.stop()
        return self.report()

    def report(self) -> int:
        self.print_table()
        if self.failures:
            print("run_bench: a correctness check failed (see the table)", file=sys.stderr)
            return 1
        return 1 if self.misses and self.args.check_targets else 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time process `pid` has used."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def wait_serving(port: int, timeout: float = 10.0) -> float:
    """The monotonic time a server starting on `port` first answers health with SERVING.

    Polls TCP connects every half millisecond until the port accepts, then asks
    grpc.health.v1 on a fresh channel (a gRPC channel polling a closed port would add its own
    reconnect backoff, tens of milliseconds, to the figure).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.0005)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                    request_serializer=lambda _: b"",
                                    response_deserializer=lambda raw: raw)
        while time.monotonic() < deadline:
            try:
                if check(None, timeout=1.0) == b"\x08\x01":  # status: SERVING
                    return time.monotonic()
            except grpc.RpcError:
                time.sleep(0.0005)
    raise RuntimeError(f"port {port} not SERVING within {timeout}s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=str(REPO / "build/release"),
                        help="build folder holding tasks-server, tasks-cli, tests/fake-hub, bench/")
    parser.add_argument("--runs", type=int, default=3, help="alternations per comparison")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds before measuring")
    parser.add_argument("--cold_repos", type=int, default=100)
    parser.add_argument("--churn_repos", type=int, default=12000,
                        help="distinct repos fed to the churn server (~3 KiB of cache each)")
    parser.add_argument("--churn_cache_bytes", type=int, default=16 << 20)
    parser.add_argument("--fleet_repos", type=int, default=100,
                        help="cold repos the fleet scenario's 4 replicas ask for at once")
    parser.add_argument("--fleet_cold_reads", type=int, default=1000,
                        help="repos a fresh replica of the fleet reads from Redis")
    parser.add_argument("--soak", type=int, default=0,
                        help="run the soak instead: this many mixed calls at 64 in flight")
    parser.add_argument("--soak_repos", type=int, default=2000)
    parser.add_argument("--soak_cache_bytes", type=int, default=4 << 20)
    parser.add_argument("--no_rss_check", action="store_true",
                        help="print the soak's RSS but do not fail on it (sanitizer builds, whose "
                             "allocator holds freed memory back)")
    parser.add_argument("--check-targets", dest="check_targets", action="store_true",
                        help="exit 1 when a target is missed")
    args = parser.parse_args()
    try:
        return Bench(args).run()
    except RuntimeError as error:
        print(f"run_bench: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
