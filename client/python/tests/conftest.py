"""Session fixtures: a real `fake-hub` and a real `tasks-server` in front of it.

Tests run against the *installed* package (tests/run_installed.sh builds the wheel and installs
it into a fresh virtual environment), from a copy of this folder outside the checkout:
TASKS_REPO_DIR names the repository for its test data (tests/hub/, tests/reference/). Binaries
come from FAKE_HUB_BIN / TASKS_SERVER_BIN (ctest sets them), else build/release/.
Both listen on port 0 and the port is read from what they print; each start, and each stop, is
bounded, and both processes are killed at session teardown whatever the tests did.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from pathlib import Path
from typing import IO, Iterator

import pytest

REPO = Path(os.environ.get("TASKS_REPO_DIR") or Path(__file__).resolve().parents[3])

from tasks_manager_client import RemoteTasksManager  # noqa: E402

START_TIMEOUT = 30.0
# The generation tests/reference/ was extracted from: parity tests select it explicitly, since
# the server's default is the newest generation.
REFERENCE_GENERATION = "1.23"


class Process:
    """A child process whose output stream is drained by a thread and searched for a line."""

    def __init__(self, argv: list[str], stream: str, pattern: str, env: dict[str, str]) -> None:
        self.argv = argv
        self.lines: list[str] = []
        self._found = threading.Event()
        self._pattern = re.compile(pattern)
        self.match: re.Match[str] | None = None
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stream == "stdout" else subprocess.DEVNULL,
            stderr=subprocess.PIPE if stream == "stderr" else subprocess.DEVNULL,
            text=True,
            env=env,
        )
        pipe = self.proc.stdout if stream == "stdout" else self.proc.stderr
        assert pipe is not None
        threading.Thread(target=self._drain, args=(pipe,), daemon=True).start()
        if not self._found.wait(START_TIMEOUT) or self.match is None:
            self.stop()
            tail = "".join(self.lines[-20:])
            raise RuntimeError(f"{argv[0]} did not print {pattern!r} in {START_TIMEOUT}s:\n{tail}")

    def _drain(self, pipe: IO[str]) -> None:
        for line in pipe:
            self.lines.append(line)
            if self.match is None and (match := self._pattern.search(line)):
                self.match = match
                self._found.set()
        self._found.set()  # exited without the line

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def binary(variable: str, default: str) -> str:
    name = Path(default).name
    path = os.environ.get(variable) or str(REPO / "build/release" / default)
    if not os.access(path, os.X_OK):
        pytest.exit(f"{name} not found at {path}: build it or set {variable}", returncode=2)
    return path


def _clean_env() -> dict[str, str]:
    """The children's environment without the caller's Hub settings, so results are hermetic."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}


@pytest.fixture(scope="session")
def hub() -> Iterator[str]:
    process = Process(
        [binary("FAKE_HUB_BIN", "tests/fake-hub"), "--fixtures", str(REPO / "tests/hub/fixtures")],
        "stdout",
        r"listening on (127\.0\.0\.1:\d+)",
        _clean_env(),
    )
    try:
        yield f"http://{process.match.group(1)}"  # type: ignore[union-attr]
    finally:
        process.stop()


def _server(hub: str, *flags: str) -> Process:
    return Process(
        [
            binary("TASKS_SERVER_BIN", "tasks-server"),
            "--listen_address", "127.0.0.1:0",
            "--hf_endpoint", hub,
            "--model_root", str(REPO / "tests/hub/local_models"),
            "--hf_cache_dir", "/nonexistent",
            *flags,
        ],
        "stderr",
        r"\(port (\d+)\)",
        _clean_env(),
    )


@pytest.fixture(scope="session")
def server_address(hub: str) -> Iterator[str]:
    process = _server(hub)
    try:
        yield f"127.0.0.1:{process.match.group(1)}"  # type: ignore[union-attr]
    finally:
        process.stop()


@pytest.fixture(scope="session")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ca.pem, server.pem/.key (for localhost only), client.pem/.key: made by openssl."""
    folder = tmp_path_factory.mktemp("tls")
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]
    (folder / "server.ext").write_text("subjectAltName=DNS:localhost\n")
    steps = [
        ["req", "-x509", *new_key, "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=test-ca"],
        ["req", "-new", *new_key, "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=localhost"],
        ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "server.ext"],
        ["req", "-new", *new_key, "-keyout", "client.key", "-out", "client.csr",
         "-subj", "/CN=client"],
        ["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "client.pem", "-days", "1"],
    ]
    for step in steps:
        subprocess.run(["openssl", *step], cwd=folder, check=True, capture_output=True, timeout=30)
    return folder


def _tls_server(hub: str, tls_dir: Path, *flags: str) -> Iterator[str]:
    process = _server(hub, "--tls_cert", str(tls_dir / "server.pem"),
                      "--tls_key", str(tls_dir / "server.key"), *flags)
    try:
        yield f"127.0.0.1:{process.match.group(1)}"  # type: ignore[union-attr]
    finally:
        process.stop()


@pytest.fixture(scope="session")
def tls_server_address(hub: str, tls_dir: Path) -> Iterator[str]:
    """A server speaking TLS with a certificate for localhost (clients dial 127.0.0.1)."""
    yield from _tls_server(hub, tls_dir)


@pytest.fixture(scope="session")
def mtls_server_address(hub: str, tls_dir: Path) -> Iterator[str]:
    """A server requiring a client certificate signed by the test CA (mutual TLS)."""
    yield from _tls_server(hub, tls_dir, "--tls_client_ca", str(tls_dir / "ca.pem"))


@pytest.fixture(scope="session")
def tm(server_address: str) -> Iterator[RemoteTasksManager]:
    """An anonymous client (token="" ignores any HF_TOKEN of the caller's environment) of the
    reference's generation."""
    with RemoteTasksManager(server_address, token="", deadline=20.0,
                            optimum_version=REFERENCE_GENERATION) as client:
        yield client
