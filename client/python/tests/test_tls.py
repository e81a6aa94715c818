"""TLS and mutual TLS, from arguments and from TASKS_MANAGER_TLS_*, blocking and asyncio."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest

from tasks_manager_client import AsyncRemoteTasksManager, RemoteTasksManager, TasksManagerError


def _fails_unavailable(client: RemoteTasksManager) -> None:
    with client, pytest.raises(TasksManagerError) as caught:
        client.get_all_tasks()
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE


def test_tls(tls_server_address: str, tls_dir: Path) -> None:
    with RemoteTasksManager(tls_server_address, tls_ca=str(tls_dir / "ca.pem"),
                            tls_server_name="localhost") as client:
        assert "fill-mask" in client.get_all_tasks()
    # 127.0.0.1 is not the certificate's name; a plaintext client cannot talk to it at all.
    _fails_unavailable(RemoteTasksManager(tls_server_address, tls_ca=str(tls_dir / "ca.pem"),
                                          deadline=2.0, max_attempts=1))
    _fails_unavailable(RemoteTasksManager(tls_server_address, deadline=2.0, max_attempts=1))


def test_tls_from_the_environment(
    tls_server_address: str, tls_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKS_MANAGER_TLS_CA", str(tls_dir / "ca.pem"))
    monkeypatch.setenv("TASKS_MANAGER_TLS_SERVER_NAME", "localhost")
    with RemoteTasksManager(tls_server_address) as client:
        assert client.map_from_synonym("masked-lm") == "fill-mask"


def test_mutual_tls(mtls_server_address: str, tls_dir: Path,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    tls = {"tls_ca": str(tls_dir / "ca.pem"), "tls_server_name": "localhost"}
    with RemoteTasksManager(mtls_server_address, tls_cert=str(tls_dir / "client.pem"),
                            tls_key=str(tls_dir / "client.key"), **tls) as client:
        assert "fill-mask" in client.get_all_tasks()
    _fails_unavailable(RemoteTasksManager(mtls_server_address, deadline=2.0, max_attempts=1,
                                          **tls))

    monkeypatch.setenv("TASKS_MANAGER_TLS_CERT", str(tls_dir / "client.pem"))
    monkeypatch.setenv("TASKS_MANAGER_TLS_KEY", str(tls_dir / "client.key"))

    async def over_aio() -> str:
        async with AsyncRemoteTasksManager(mtls_server_address, **tls) as client:
            return await client.map_from_synonym("masked-lm")

    assert asyncio.run(over_aio()) == "fill-mask"


def test_tls_settings_are_checked_as_tasks_cli_checks_them(tls_dir: Path) -> None:
    ca, cert = str(tls_dir / "ca.pem"), str(tls_dir / "client.pem")
    with pytest.raises(ValueError, match="tls_key"):
        RemoteTasksManager(tls_ca=ca, tls_cert=cert)
    with pytest.raises(ValueError, match="tls_ca"):
        RemoteTasksManager(tls_server_name="localhost")
    with pytest.raises(FileNotFoundError):
        RemoteTasksManager(tls_ca=str(tls_dir / "missing.pem"))
    with pytest.raises(ValueError, match="credentials"):
        RemoteTasksManager(tls_ca=ca, credentials=grpc.ssl_channel_credentials())
