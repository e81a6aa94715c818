"""The installed package: where it is imported from, and what importing it does."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool

import tasks_manager_client
from conftest import REPO, binary

# Runs in a fresh interpreter: records, through an audit hook, every process started and every
# file opened for writing (or created, renamed, removed) while `tasks_manager_client` is imported;
# then does one of each, so that the test also sees the hook catching them.
_AUDITED_IMPORT = textwrap.dedent(
    """
    import json, os, subprocess, sys, tempfile
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    events = []
    def hook(event, args):
        if event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.fork",
                     "os.spawn", "os.mkdir", "os.rename", "os.remove", "os.rmdir",
                     "shutil.copyfile", "os.symlink", "os.link"):
            events.append([event, repr(args)])
        elif event == "open":
            path, mode, flags = args
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & WRITE_FLAGS)
            if writes:
                events.append([event, repr(args)])
    sys.addaudithook(hook)
    import tasks_manager_client
    during_import = list(events)
    subprocess.run(["true"], check=True)
    with tempfile.TemporaryFile("w") as scratch:
        scratch.write("x")
    print(json.dumps({"import": during_import, "control": events[len(during_import):]}))
    """
)


def test_imported_from_the_virtual_environment_not_the_checkout() -> None:
    location = Path(tasks_manager_client.__file__).resolve()
    assert location.is_relative_to(Path(sys.prefix).resolve()), location
    assert not location.is_relative_to(REPO.resolve()), location


def test_version_is_the_servers() -> None:
    version = importlib.metadata.version("tasks-manager-client")
    assert version == (REPO / "VERSION").read_text().strip()
    server = subprocess.run([binary("TASKS_SERVER_BIN", "tasks-server"), "--version"],
                            capture_output=True, text=True, timeout=30, check=True)
    assert server.stdout.startswith(f"tasks-server {version} "), server.stdout


def test_import_starts_no_process_and_writes_no_file() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(
        [sys.executable, "-c", _AUDITED_IMPORT], capture_output=True, text=True, env=env,
        timeout=60, check=True,
    )
    events = json.loads(result.stdout)
    assert events["import"] == []
    control = {event for event, _ in events["control"]}
    assert {"subprocess.Popen", "open"} <= control, events["control"]


def test_generated_modules_are_private() -> None:
    """No top-level `optimum` or `google.rpc` module, and no google.rpc symbol in the pool."""
    assert "optimum" not in sys.modules
    assert "google.rpc" not in sys.modules
    # What googleapis-common-protos does on import: the client must leave room for it.
    status = descriptor_pb2.FileDescriptorProto(name="google/rpc/status.proto", package="google.rpc")
    status.message_type.add(name="Status").field.add(
        name="code", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    descriptor_pool.Default().Add(status)
    assert descriptor_pool.Default().FindMessageTypeByName("google.rpc.Status").fields[0].name == "code"


def test_example_worker_runs(server_address: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TASKS_MANAGER_"))}
    result = subprocess.run(
        [sys.executable, str(REPO / "client/python/examples/worker.py"),
         "google-bert/bert-base-uncased", "example-org/no-such-model"],
        env={**env, "TASKS_MANAGER_ADDRESS": server_address},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    expected = repr({"google-bert/bert-base-uncased": "BertOnnxConfig"})
    assert result.stdout.splitlines() == [expected, expected]
