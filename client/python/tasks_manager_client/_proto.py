"""The API's protobuf messages, generated from `proto/` at first import into a cache folder.

Generated code is never committed, so the client cannot drift from the `.proto` files it is
checked out with. On first import the system `protoc` (3.21; Debian's `python3-grpc-tools`
bundles a protoc too old for proto3 `optional`) writes `*_pb2.py` into a folder named by a hash
of the `.proto` files and the protoc version; later imports reuse it. The modules are loaded
under private names (`tasks_manager_client._generated.*`), never as a top-level `optimum`
package: the generated path `optimum/tasks/v1/` would shadow, or be shadowed by, the real
Optimum that a worker may still have installed.

No gRPC stub is generated: the service descriptor names every method and its message types,
which is all `grpc.Channel.unary_unary` needs (see `client.py`).

Environment:
  TASKS_PROTO_DIR             the `proto/` folder (default: the repository's, next to client/)
  TASKS_MANAGER_CLIENT_CACHE  where generated code goes (default: $XDG_CACHE_HOME or
                              ~/.cache, then tasks-manager-client/; a temp folder if unwritable)
  PROTOC                      the protoc binary (default: `protoc` on PATH)
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Iterator

_PROTOS = (
    "optimum/tasks/v1/tasks_manager.proto",
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
)


def _proto_dir() -> Path:
    configured = os.environ.get("TASKS_PROTO_DIR")
    root = Path(configured) if configured else Path(__file__).resolve().parents[3] / "proto"
    if not (root / _PROTOS[0]).is_file():
        raise ImportError(
            f"tasks_manager_client: {root / _PROTOS[0]} not found; set TASKS_PROTO_DIR to the "
            "repository's proto/ folder"
        )
    return root


def _protoc() -> str:
    protoc = os.environ.get("PROTOC") or shutil.which("protoc")
    if not protoc:
        raise ImportError("tasks_manager_client: protoc not found (apt-get install protobuf-compiler)")
    return protoc


def _cache_roots() -> list[Path]:
    configured = os.environ.get("TASKS_MANAGER_CLIENT_CACHE")
    if configured:
        return [Path(configured)]
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return [Path(xdg) / "tasks-manager-client", Path(tempfile.gettempdir()) / "tasks-manager-client"]


def _generate(proto_dir: Path, protoc: str) -> Path:
    """Returns a folder holding the generated modules, generating them when no cache has them.

    The folder is written under a temporary name and renamed into place, so a concurrent
    importer sees either nothing or a complete folder.
    """
    version = subprocess.run([protoc, "--version"], check=True, capture_output=True, text=True)
    digest = hashlib.sha256(version.stdout.encode())
    for name in _PROTOS:
        digest.update(name.encode() + b"\0" + (proto_dir / name).read_bytes())
    key = digest.hexdigest()[:16]
    last_error: OSError | None = None
    for root in _cache_roots():
        target = root / key
        if (target / "complete").is_file():
            return target
        try:
            root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
        except OSError as error:
            last_error = error
            continue
        result = subprocess.run(
            [protoc, f"-I{proto_dir}", f"--python_out={staging}", *_PROTOS],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise ImportError(f"tasks_manager_client: protoc failed: {result.stderr.strip()}")
        (staging / "complete").write_text(version.stdout)
        try:
            os.replace(staging, target)
        except OSError:  # another process got there first
            shutil.rmtree(staging, ignore_errors=True)
        return target
    raise ImportError(f"tasks_manager_client: no writable cache folder for generated code: {last_error}")


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _google_rpc_importable(status_pb2: ModuleType) -> Iterator[None]:
    """Lets the generated tasks_manager_pb2 run `from google.rpc import status_pb2`.

    Without googleapis-common-protos there is no `google.rpc` package: ours stands in while the
    module loads, and is removed again so that nothing else ever imports it by that name.
    """
    if "google.rpc.status_pb2" in sys.modules:
        yield
        return
    package = ModuleType("google.rpc")
    package.__path__ = []  # a package, so that `from google.rpc import x` looks up x on it
    package.status_pb2 = status_pb2  # type: ignore[attr-defined]
    sys.modules["google.rpc"] = package
    sys.modules["google.rpc.status_pb2"] = status_pb2
    try:
        yield
    finally:
        del sys.modules["google.rpc"], sys.modules["google.rpc.status_pb2"]


def _load_all() -> tuple[ModuleType, ModuleType, ModuleType]:
    generated = _generate(_proto_dir(), _protoc())
    prefix = __package__ + "._generated."
    try:
        # googleapis-common-protos registers google.rpc.Status in the same descriptor pool; a
        # second, differently optioned copy of the file would be rejected, so use theirs.
        from google.rpc import error_details_pb2, status_pb2  # type: ignore[import-not-found]
    except ImportError:
        status_pb2 = _load(generated / "google/rpc/status_pb2.py", prefix + "status_pb2")
        error_details_pb2 = _load(
            generated / "google/rpc/error_details_pb2.py", prefix + "error_details_pb2"
        )
    with _google_rpc_importable(status_pb2):
        tasks = _load(generated / _PROTOS[0].replace(".proto", "_pb2.py"), prefix + "tasks_manager_pb2")
    return tasks, status_pb2, error_details_pb2


tasks_manager_pb2, status_pb2, error_details_pb2 = _load_all()
