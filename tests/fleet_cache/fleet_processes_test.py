#!/usr/bin/env python3
"""The fleet cache end to end: real tasks-server processes sharing one redis-server.

Starts a redis-server on a unix socket in a temporary folder, the fake Hub (its request counts
read through each server's GetCacheStats), and tasks-server replicas with --redis_address, then:
  1. 3 replicas x 32 concurrent cold ResolveExport calls for one repo cost the Hub exactly what
     one cold call on a lone server costs;
  2. a replica started after that answers the repo with 0 Hub requests;
  3. Redis killed in the middle of a load run: no call fails, the counters show the errors;
  4. Redis restarted: used again (a repo one replica fetched, another answers without the Hub)
     without restarting any tasks-server.
Prints PASS at the end; any failed check raises.

  fleet_processes_test.py --build build/release
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
from run_bench import Process, Redis  # noqa: E402  (one way of running children)


class Fleet:
    def __init__(self, build: Path, folder: str, hub: str, redis: Redis) -> None:
        self.build = build
        self.hub = hub
        self.redis = redis
        self.key_file = os.path.join(folder, "fleet.key")
        with open(self.key_file, "w") as key:
            key.write(os.urandom(32).hex() + "\n")
        self.processes: list[Process] = []

    def server(self, *extra: str) -> str:
        process = Process([str(self.build / "tasks-server"), "--listen_address", "127.0.0.1:0",
                           "--hf_endpoint", self.hub, "--hf_cache_dir", "/nonexistent",
                           "--stats_log_interval", "0", "--call_log", "off", *extra],
                          r"\(port (\d+)\)")
        self.processes.append(process)
        return f"127.0.0.1:{process.match.group(1)}"  # type: ignore[union-attr]

    def replica(self, *extra: str) -> str:
        return self.server("--redis_address", self.redis.address, "--cache_key_file",
                           self.key_file, *extra)

    def bench_command(self, target: str, *extra: str) -> list[str]:
        return [str(self.build / "bench/tasks-bench"), "--target", target, "--mix", "resolve",
                *extra]

    def resolve(self, target: str, copy: int, callers: int = 1) -> None:
        check(run_bench(self.bench_command(target, "--copies", "1", "--copies_offset", str(copy),
                                           "--repeat", str(callers), "--concurrency",
                                           str(callers), "--requests", str(callers))))

    def stats(self, target: str) -> dict[str, Any]:
        result = subprocess.run([str(self.build / "tasks-cli"), "--server", target, "--json",
                                 "cache-stats"], capture_output=True, text=True, timeout=30,
                                check=True)
        return json.loads(result.stdout)

    def upstream(self, target: str) -> int:
        return sum(map(int, self.stats(target).get("upstream_requests", {}).values()))

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


def run_bench(command: list[str]) -> dict[str, Any]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"tasks-bench failed: {result.stdout}{result.stderr}")
    return json.loads(result.stdout)


def check(report: dict[str, Any]) -> dict[str, Any]:
    if report["errors"]:
        raise AssertionError(f"calls failed: {report['errors']}")
    return report


def expect(condition: bool, what: str) -> None:
    print(("ok    " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        raise AssertionError(what)


def counter(stats: dict[str, Any], name: str) -> int:
    return int(stats.get(name, 0))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", required=True)
    args = parser.parse_args()
    build = Path(args.build)
    cold_copies = 2000  # repos for the load run: each call a miss in memory, a look at Redis

    with tempfile.TemporaryDirectory(prefix="tasks-fleet-test-") as folder:
        redis = Redis(folder)
        redis.start()
        hub_process = Process([str(build / "tests/fake-hub"), "--fixtures",
                               str(REPO / "tests/hub/fixtures"), "--copies",
                               str(cold_copies + 10)],
                              r"listening on (127\.0\.0\.1:\d+)")
        fleet = Fleet(build, folder, f"http://{hub_process.match.group(1)}", redis)  # type: ignore
        try:
            # What one cold call costs, on a lone server without Redis.
            lone = fleet.server()
            fleet.resolve(lone, copy=0)
            per_resolve = fleet.upstream(lone)
            expect(per_resolve >= 1, f"one cold ResolveExport costs the Hub {per_resolve}")

            # 1. Three replicas, 32 callers each, one cold repo, all at once.
            replicas = [fleet.replica() for _ in range(3)]
            runs = [subprocess.Popen(fleet.bench_command(target, "--copies", "1",
                                                         "--copies_offset", "1", "--repeat", "32",
                                                         "--concurrency", "32", "--requests",
                                                         "32"),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    for target in replicas]
            for run in runs:
                out, err = run.communicate(timeout=120)
                if run.returncode != 0:
                    raise RuntimeError(f"tasks-bench failed: {out}{err}")
                check(json.loads(out))
            fleet_upstream = sum(fleet.upstream(target) for target in replicas)
            expect(fleet_upstream == per_resolve,
                   f"3 replicas x 32 cold callers cost the Hub {fleet_upstream} requests "
                   f"(one cold call: {per_resolve})")

            # 2. A replica started afterwards.
            late = fleet.replica()
            fleet.resolve(late, copy=1)
            late_stats = fleet.stats(late)
            expect(fleet.upstream(late) == 0 and counter(late_stats, "shared_hits") >= 1,
                   f"a late replica answers with 0 Hub requests "
                   f"({counter(late_stats, 'shared_hits')} fleet cache hits)")

            # 3. Redis killed during a load run of cold repos: no call fails.
            target = replicas[0]
            load = subprocess.Popen(fleet.bench_command(target, "--copies", str(cold_copies),
                                                        "--copies_offset", "10", "--concurrency",
                                                        "16", "--requests", str(cold_copies)),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # Killed once the run is under way (bounded: the run takes seconds).
            deadline = time.monotonic() + 30
            while (counter(fleet.stats(target), "shared_misses") < 50 and load.poll() is None
                   and time.monotonic() < deadline):
                time.sleep(0.01)
            expect(load.poll() is None, "Redis killed while the load run is going on")
            redis.kill()
            out, err = load.communicate(timeout=120)
            if load.returncode != 0:
                raise RuntimeError(f"tasks-bench failed: {out}{err}")
            report = check(json.loads(out))
            stats = fleet.stats(target)
            troubles = counter(stats, "shared_errors") + counter(stats, "shared_skipped")
            expect(troubles > 0, f"Redis killed mid-load: {report['total']['count']} calls, none "
                                 f"failed; {counter(stats, 'shared_errors')} errors, "
                                 f"{counter(stats, 'shared_skipped')} skipped")

            # 4. Redis back: used again, no tasks-server restarted.
            redis.start()
            time.sleep(1.2)  # the circuit breaker skips Redis for a second
            fleet.resolve(replicas[0], copy=2)
            before = fleet.upstream(replicas[1])
            fleet.resolve(replicas[1], copy=2)
            expect(fleet.upstream(replicas[1]) == before,
                   "Redis restarted: a repo one replica fetched, another answers without the Hub")
        finally:
            fleet.stop()
            hub_process.stop()
            redis.kill()
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
