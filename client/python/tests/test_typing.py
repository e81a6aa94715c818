"""`mypy --strict` on the installed package and on the example worker (examples/worker.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

CLIENT = REPO / "client/python"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for both runs: the standard library's stubs are analysed once."""
    return tmp_path_factory.mktemp("mypy-cache")


def _mypy(tmp_path: Path, cache: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *arguments],
        cwd=tmp_path, capture_output=True, text=True, timeout=240,
    )


def test_package_passes_mypy_strict(tmp_path: Path, cache: Path) -> None:
    """With the package's own settings: grpc and protobuf have no stubs on Debian 12."""
    result = _mypy(tmp_path, cache, "--config-file", str(CLIENT / "pyproject.toml"),
                   "-p", "tasks_manager_client")
    assert result.returncode == 0, result.stdout + result.stderr


def test_worker_passes_mypy_strict_and_a_misuse_does_not(tmp_path: Path, cache: Path) -> None:
    """A worker type-checks against the installed package, with no settings of its own."""
    result = _mypy(tmp_path, cache, str(CLIENT / "examples/worker.py"))
    assert result.returncode == 0, result.stdout + result.stderr
    misuse = tmp_path / "misuse.py"
    misuse.write_text(
        "from tasks_manager_client import AsyncRemoteTasksManager, RemoteTasksManager\n"
        "tasks: set[str] = RemoteTasksManager.get_all_tasks()\n"
        "async def f(tm: AsyncRemoteTasksManager) -> str:\n"
        "    return tm.map_from_synonym('masked-lm')\n"
    )
    result = _mypy(tmp_path, cache, str(misuse))
    assert result.returncode == 1
    assert "misuse.py:2: error: Incompatible types in assignment" in result.stdout, result.stdout
    assert "misuse.py:4: error: Incompatible return value type" in result.stdout, result.stdout
