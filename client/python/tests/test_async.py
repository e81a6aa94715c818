"""AsyncRemoteTasksManager: the blocking client's methods as coroutines, against the same server.

No pytest-asyncio: each test runs its coroutine with asyncio.run.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
import time
from typing import Any, AsyncIterator, Awaitable, Callable, TypeVar

import grpc
import pytest

from conftest import REFERENCE_GENERATION
from tasks_manager_client import (
    AsyncRemoteTasksManager,
    GatedRepoError,
    RemoteTasksManager,
    RepositoryNotFoundError,
    TasksManagerError,
)
from test_remote_tasks_manager import GATED, GATED_TOKEN

T = TypeVar("T")


def run(server_address: str, body: Callable[[AsyncRemoteTasksManager], Awaitable[T]],
        **settings: Any) -> T:
    async def main() -> T:
        settings.setdefault("optimum_version", REFERENCE_GENERATION)
        async with AsyncRemoteTasksManager(server_address, token="", **settings) as tm:
            return await body(tm)

    return asyncio.run(main())


def test_every_method_is_a_coroutine_with_the_blocking_ones_signature() -> None:
    blocking = {name: value for name, value in vars(RemoteTasksManager).items()
                if hasattr(value, "__func__") and not isinstance(value, (classmethod, staticmethod))}
    assert len(blocking) == 14
    tm = AsyncRemoteTasksManager("127.0.0.1:1")
    for name, method in blocking.items():
        assert vars(AsyncRemoteTasksManager)[name].__func__ is method.__func__, name
        assert inspect.iscoroutinefunction(getattr(tm, name)), name
        assert inspect.signature(getattr(tm, name)) == inspect.signature(method.__func__), name
    assert inspect.isasyncgenfunction(AsyncRemoteTasksManager.batch_resolve_export)
    assert (inspect.signature(AsyncRemoteTasksManager.batch_resolve_export).parameters.keys()
            == inspect.signature(RemoteTasksManager.batch_resolve_export).parameters.keys())
    asyncio.run(tm.close())


def test_answers_match_the_blocking_client(server_address: str, tm: RemoteTasksManager) -> None:
    async def body(client: AsyncRemoteTasksManager) -> tuple[Any, ...]:
        return await asyncio.gather(
            client.get_all_tasks(),
            client.get_supported_tasks_for_model_type("gpt2", "onnx", library_name="transformers"),
            client.get_exporter_config_constructor("onnx", model_type="bert"),
            client.infer_task_from_model("google-bert/bert-base-uncased"),
            client.resolve_export(GATED, "onnx", token=GATED_TOKEN),
        )

    def without_source(answers: tuple[Any, ...]) -> tuple[Any, ...]:
        """The plan's `source` says whether the Hub or the server's cache answered."""
        return (*answers[:-1], {k: v for k, v in answers[-1].items() if k != "source"})

    assert without_source(run(server_address, body)) == without_source((
        tm.get_all_tasks(),
        tm.get_supported_tasks_for_model_type("gpt2", "onnx", library_name="transformers"),
        tm.get_exporter_config_constructor("onnx", model_type="bert"),
        tm.infer_task_from_model("google-bert/bert-base-uncased"),
        tm.resolve_export(GATED, "onnx", token=GATED_TOKEN),
    ))


def test_same_exceptions(server_address: str) -> None:
    async def body(client: AsyncRemoteTasksManager) -> list[BaseException]:
        outcomes = await asyncio.gather(
            client.get_supported_tasks_for_model_type("bertt", "onnx"),
            client.resolve_export(GATED, "onnx"),
            client.infer_task_from_model("example-org/no-such-model"),
            return_exceptions=True,
        )
        return [outcome for outcome in outcomes if isinstance(outcome, BaseException)]

    missing_type, gated, missing_repo = run(server_address, body)
    assert isinstance(missing_type, KeyError)
    assert missing_type.error_metadata.get("did_you_mean") == "bert"  # type: ignore[attr-defined]
    assert type(gated) is GatedRepoError
    assert isinstance(missing_repo, RepositoryNotFoundError)
    assert missing_repo.grpc_code == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]


def test_unavailable_is_retried_then_raised_within_the_deadline() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    attempts = 0

    async def body(client: AsyncRemoteTasksManager) -> None:
        nonlocal attempts
        call = client._methods["GetAllTasks"]

        def counting(*args: Any, **kwargs: Any) -> Any:
            nonlocal attempts
            attempts += 1
            return call(*args, **kwargs)

        client._methods["GetAllTasks"] = counting
        await client.get_all_tasks()

    started = time.monotonic()
    with pytest.raises(TasksManagerError) as caught:
        run(f"127.0.0.1:{port}", body, deadline=3.0, max_attempts=2, initial_backoff=0.05)
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    assert attempts == 2
    assert time.monotonic() - started < 3.0


def test_batch_resolve_export_yields_answers_and_exceptions(server_address: str) -> None:
    async def requests() -> AsyncIterator[dict[str, Any]]:
        yield {"model": "google-bert/bert-base-uncased", "exporter": "onnx"}
        yield {"id": "missing", "model": "example-org/no-such-model", "exporter": "onnx"}
        yield {"id": "gated", "model": GATED, "exporter": "onnx"}

    async def body(client: AsyncRemoteTasksManager) -> dict[str, Any]:
        return {item_id: answer async for item_id, answer in client.batch_resolve_export(requests())}

    answers = run(server_address, body)
    assert answers["google-bert/bert-base-uncased"]["task"] == "fill-mask"
    assert isinstance(answers["missing"], RepositoryNotFoundError)
    assert type(answers["gated"]) is GatedRepoError


def test_batch_resolve_export_keeps_the_streams_flow_control(server_address: str) -> None:
    """Requests are read only as the server takes them: stopping early leaves most unread."""
    total, produced = 200_000, 0

    def requests() -> Any:
        nonlocal produced
        for i in range(total):
            produced += 1
            yield {"id": str(i), "model": "google-bert/bert-base-uncased", "exporter": "onnx"}

    async def body(client: AsyncRemoteTasksManager) -> int:
        received = 0
        async with contextlib.aclosing(client.batch_resolve_export(requests())) as answers:
            async for _, answer in answers:
                assert isinstance(answer, dict) and answer["task"] == "fill-mask"
                received += 1
                if received == 50:
                    break
        return received

    assert run(server_address, body) == 50
    assert 50 <= produced < total // 4
