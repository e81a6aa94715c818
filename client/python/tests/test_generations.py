"""Choosing the Optimum generation: the `optimum-version` metadata the clients send, its default
(the installed `optimum` distribution), and `list_generations`.

Expected values come from each generation's reference tables (tests/reference/ for 1.23,
tests/reference-<generation>/ for the others), not from the server.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from tasks_manager_client import AsyncRemoteTasksManager, RemoteTasksManager

REFERENCES = {"1.23": REPO / "tests/reference", "1.27": REPO / "tests/reference-1.27",
              "2.1": REPO / "tests/reference-2.1"}
NEWEST = "2.1"  # the server's default generation when started without --default_optimum_version


def reference(generation: str, name: str) -> Any:
    return json.loads((REFERENCES[generation] / name).read_text())


def all_tasks(generation: str) -> list[str]:
    tasks = reference(generation, "tasks.json")["all_tasks"]
    expected: list[str] = tasks["by_environment"][tasks["default_environment"]]
    return expected


def install_fake_optimum(site: Path, version: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed `optimum` distribution as importlib.metadata finds one: a dist-info folder
    on sys.path (no code, no pip)."""
    dist_info = site / f"optimum-{version}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: optimum\nVersion: {version}\n"
    )
    monkeypatch.syspath_prepend(str(site))


@pytest.fixture
def no_installed_optimum() -> None:
    try:
        pytest.skip(f"this environment has optimum {importlib.metadata.version('optimum')}")
    except importlib.metadata.PackageNotFoundError:
        pass


@pytest.mark.parametrize("generation", list(REFERENCES))
def test_the_metadata_selects_the_generation(server_address: str, generation: str) -> None:
    with RemoteTasksManager(server_address, token="", optimum_version=generation) as client:
        assert sorted(client.get_all_tasks()) == all_tasks(generation)

    async def over_aio() -> list[str]:
        async with AsyncRemoteTasksManager(server_address, token="",
                                           optimum_version=generation) as client:
            return await client.get_all_tasks()

    assert sorted(asyncio.run(over_aio())) == all_tasks(generation)


def test_a_full_version_selects_its_generation(server_address: str) -> None:
    """qwen3 is an onnx model type of optimum-onnx 0.1.0 (Optimum 2.1) and unknown to 1.23.3."""
    qwen3 = reference("2.1", "backends/onnx.json")["registered_by_decorators"]["transformers"]
    with RemoteTasksManager(server_address, token="", optimum_version="2.1.0") as client:
        supported = client.get_supported_tasks_for_model_type(
            "qwen3", "onnx", library_name="transformers")
        assert list(supported.items()) == list(qwen3["qwen3"].items())
    with RemoteTasksManager(server_address, token="", optimum_version="1.23.3") as client, \
            pytest.raises(KeyError, match="qwen3 is not supported yet"):
        client.get_supported_tasks_for_model_type("qwen3", "onnx", library_name="transformers")


def test_by_default_the_installed_optimum_chooses(
    server_address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    no_installed_optimum: None,
) -> None:
    # No optimum next to the client: nothing is sent and the server's default answers.
    with RemoteTasksManager(server_address, token="") as client:
        assert client.optimum_version == ""
        assert sorted(client.get_all_tasks()) == all_tasks(NEWEST)

    install_fake_optimum(tmp_path, "1.23.3", monkeypatch)
    with RemoteTasksManager(server_address, token="") as client:
        assert client.optimum_version == "1.23.3"
        assert sorted(client.get_all_tasks()) == all_tasks("1.23")
    # "" sends nothing even so.
    with RemoteTasksManager(server_address, token="", optimum_version="") as client:
        assert sorted(client.get_all_tasks()) == all_tasks(NEWEST)

    async def over_aio() -> list[str]:
        async with AsyncRemoteTasksManager(server_address, token="") as client:
            return await client.get_all_tasks()

    assert sorted(asyncio.run(over_aio())) == all_tasks("1.23")


def test_an_unknown_version_is_a_value_error_naming_the_shipped_ones(server_address: str) -> None:
    with RemoteTasksManager(server_address, token="", optimum_version="1.9.0") as client, \
            pytest.raises(ValueError) as caught:
        client.get_all_tasks()
    choices = caught.value.error_metadata["valid_choices"].split(",")  # type: ignore[attr-defined]
    assert set(REFERENCES) <= {choice.strip() for choice in choices}


def test_list_generations(server_address: str) -> None:
    """Not an Optimum method: which generations the server ships, oldest first."""
    with RemoteTasksManager(server_address, token="", optimum_version="1.23") as client:
        generations = client.list_generations()
    assert [g["name"] for g in generations] == list(REFERENCES)
    assert [g["name"] for g in generations if g["is_default"]] == [NEWEST]
    assert [g["name"] for g in generations if g["is_latest"]] == [NEWEST]
    for generation in generations:
        provenance = reference(generation["name"], "rules.json")["provenance"]
        assert "v" + generation["optimum_version"] == provenance["optimum"]["tag"]
        assert generation["tasks"] == len(all_tasks(generation["name"]))
        packages = {p["package"]: p for p in generation["packages"]}
        assert packages["transformers"]["version"] == provenance["transformers"]["version_in_tree"]
        assert packages["transformers"]["commit"] == provenance["transformers"]["commit"]
        assert "v" + packages["diffusers"]["version"] == provenance["diffusers"]["tag"]
        exporters = [e["name"] for e in generation["exporters"]]
        assert exporters == reference(generation["name"], "rules.json")["rules"]["exporters"]["value"]
