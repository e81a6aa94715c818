#!/usr/bin/env python3
"""The fleet cache's lease holder dies mid-fetch: the replicas waiting for it take over.

Real processes: a redis-server on a unix socket in a temporary folder, the fake Hub with its first
request for one repo hanging (--delay_path), and tasks-server replicas with a short
--redis_lease_ttl. Replica A takes the lease for the repo and asks the Hub, which does not answer;
replicas B and C, with concurrent callers of their own, wait on A's lease. A is killed with
SIGKILL (no chance to let its lease go). Then:
  1. every waiting call succeeds, within its deadline, about one lease TTL after A took it;
  2. the fleet asked the Hub again once: B and C together made what one cold call makes, and
     exactly one of them counts a lease takeover;
  3. their answer is the one a lone server (no Redis) gives for the repo.
Prints PASS at the end; any failed check raises.

  fleet_lease_test.py --build build/release
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleet_processes_test import REPO, Fleet, check, counter, expect  # noqa: E402
from run_bench import Process, Redis  # noqa: E402  (on the path fleet_processes_test sets)

LEASE_TTL = 5.0  # seconds: time to set up the waiters (a loaded machine), short for a test
DEADLINE = 20.0  # seconds, of each waiting call: it must not be what ends the wait
CALLERS = 16     # concurrent callers on each waiting replica, besides one tasks-cli call
MODEL = "google-bert/bert-base-uncased-copy-1"


def wait_for(condition: Any, what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def lease_keys(redis: Redis) -> list[str]:
    scan = subprocess.run(["redis-cli", "-s", redis.socket, "--scan", "--pattern", "*lease|*"],
                          capture_output=True, text=True, check=True, timeout=10)
    return scan.stdout.split()


def answer(printed: str) -> dict[str, Any]:
    """A ResolveExport answer as tasks-cli printed it, but for where it came from (Hub, cache)."""
    parsed = json.loads(printed)
    del parsed["source"]["source"]
    return parsed


def resolve_command(fleet: Fleet, target: str) -> list[str]:
    return [str(fleet.build / "tasks-cli"), "--server", target, "--json", "--deadline",
            str(DEADLINE), "resolve-export", "--exporter", "onnx", MODEL]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", required=True)
    args = parser.parse_args()
    build = Path(args.build)

    with tempfile.TemporaryDirectory(prefix="tasks-fleet-lease-test-") as folder:
        redis = Redis(folder)
        redis.start()
        # Fewer than 10 copies: no other repo's path contains MODEL's.
        hub_process = Process([str(build / "tests/fake-hub"), "--fixtures",
                               str(REPO / "tests/hub/fixtures"), "--copies", "2",
                               "--delay_path", MODEL, "--delay", "60"],
                              r"listening on (127\.0\.0\.1:\d+)")
        fleet = Fleet(build, folder, f"http://{hub_process.match.group(1)}", redis)  # type: ignore
        lease_ttl = ("--redis_lease_ttl", str(LEASE_TTL))
        waiters: list[subprocess.Popen[str]] = []
        try:
            holder = fleet.replica(*lease_ttl)
            b, c = fleet.replica(*lease_ttl), fleet.replica(*lease_ttl)
            holder_process = fleet.processes[0]

            # A takes the lease and asks the Hub, which holds the request.
            stuck = subprocess.Popen(resolve_command(fleet, holder), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            wait_for(lambda: lease_keys(redis), "replica A to take the lease")
            taken = time.monotonic()

            # B and C: a tasks-cli call (its answer is checked) and CALLERS more each.
            for target in (b, c):
                waiters.append(subprocess.Popen(resolve_command(fleet, target),
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                                text=True))
                waiters.append(subprocess.Popen(
                    fleet.bench_command(target, "--copies", "1", "--copies_offset", "1",
                                        "--repeat", str(CALLERS), "--concurrency", str(CALLERS),
                                        "--requests", str(CALLERS), "--deadline", str(DEADLINE)),
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            wait_for(lambda: all(counter(fleet.stats(t), "lease_waits") >= 1 for t in (b, c)),
                     "replicas B and C to wait on the lease", seconds=LEASE_TTL)
            expect(bool(lease_keys(redis)) and all(
                       counter(fleet.stats(t), "lease_takeovers") == 0 for t in (b, c)),
                   "B and C wait on A's lease, A still holds it")

            holder_process.proc.kill()  # SIGKILL: A never lets its lease go
            holder_process.proc.wait()
            stuck.wait(timeout=30)

            answers = []
            for waiter in waiters:
                out, err = waiter.communicate(timeout=2 * DEADLINE)
                if waiter.returncode != 0:
                    raise AssertionError(f"{waiter.args[0]} failed: {out}{err}")
                answers.append(out)
            waited = time.monotonic() - taken
            check(json.loads(answers[1]))
            check(json.loads(answers[3]))
            expect(waited < LEASE_TTL + 3 and waited < DEADLINE,
                   f"{2 * (CALLERS + 1)} waiting calls answered {waited:.1f} s after A took the "
                   f"lease (lease TTL {LEASE_TTL} s, deadline {DEADLINE} s)")

            # What one cold call costs, on a lone server without Redis (the hung request is
            # spent): B and C together cost the Hub that much.
            lone = fleet.server()
            lone_answer = subprocess.run(resolve_command(fleet, lone), capture_output=True,
                                         text=True, timeout=2 * DEADLINE, check=True).stdout
            per_resolve = fleet.upstream(lone)
            upstream = fleet.upstream(b) + fleet.upstream(c)
            takeovers = sum(counter(fleet.stats(t), "lease_takeovers") for t in (b, c))
            expect(per_resolve >= 1 and upstream == per_resolve and takeovers == 1,
                   f"after A died, B and C asked the Hub {upstream} times (one cold call: "
                   f"{per_resolve}), with {takeovers} lease takeover")
            expect(answer(answers[0]) == answer(lone_answer) == answer(answers[2]),
                   "B's and C's answers are a lone server's")
        finally:
            for waiter in waiters:
                if waiter.poll() is None:
                    waiter.kill()
                    waiter.wait()
            fleet.stop()
            hub_process.stop()
            redis.kill()
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
