"""`AsyncRemoteTasksManager`: `RemoteTasksManager`'s methods as coroutines, on grpc.aio.

Same plans (`_calls.py`), settings, TLS, deadlines, retry policy and exceptions as the blocking
client; only the sending differs. Use it from one event loop, and close it (`await close()` or
`async with`) before the loop ends.

    async with AsyncRemoteTasksManager() as tm:
        task = await tm.infer_task_from_model("openai/whisper-tiny")
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from typing import (
    Any,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Coroutine,
    Generic,
    Iterable,
    Optional,
    ParamSpec,
    TypeVar,
    Union,
    overload,
)

import grpc
import grpc.aio

from . import _calls
from ._calls import BatchAnswer, Rpc, Token
from ._channel import ClientBase, remaining
from .errors import from_rpc_error

P = ParamSpec("P")
T = TypeVar("T")


class _Coroutine(Generic[P, T]):
    """A plan as a coroutine method of an AsyncRemoteTasksManager instance."""

    def __init__(self, plan: Callable[P, Rpc[T]]) -> None:
        self.__func__ = plan
        functools.update_wrapper(self, plan)

    @overload
    def __get__(self, instance: None, owner: type[AsyncRemoteTasksManager]) -> _Coroutine[P, T]:
        ...

    @overload
    def __get__(
        self, instance: AsyncRemoteTasksManager, owner: type[AsyncRemoteTasksManager]
    ) -> Callable[P, Coroutine[Any, Any, T]]:
        ...

    def __get__(
        self, instance: Optional[AsyncRemoteTasksManager], owner: type[AsyncRemoteTasksManager]
    ) -> Union[_Coroutine[P, T], Callable[P, Coroutine[Any, Any, T]]]:
        if instance is None:
            return self
        client = instance
        plan = self.__func__

        @functools.wraps(plan)
        async def method(*args: P.args, **kwargs: P.kwargs) -> T:
            return await client._run(plan(*args, **kwargs))

        return method


class AsyncRemoteTasksManager(ClientBase):
    """`RemoteTasksManager` for asyncio: the same methods, each a coroutine, on an instance."""

    _insecure_channel = staticmethod(grpc.aio.insecure_channel)
    _secure_channel = staticmethod(grpc.aio.secure_channel)

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> AsyncRemoteTasksManager:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _run(self, rpc: Rpc[T]) -> T:
        """Sends `rpc`, retrying as `RetryPolicy` says, and raises Optimum's exception."""
        metadata = self._metadata(rpc.token)
        deadline_at = self._deadline_at()
        for attempt in itertools.count(1):
            try:
                response = await self._methods[rpc.method](
                    rpc.request, timeout=remaining(deadline_at), metadata=metadata
                )
                break
            except grpc.RpcError as error:
                delay = self._retry.delay(error, attempt, deadline_at)
                if delay is None:
                    raise from_rpc_error(error) from error
                await asyncio.sleep(delay)
        return rpc.result(response)

    get_all_tasks = _Coroutine(_calls.get_all_tasks)
    map_from_synonym = _Coroutine(_calls.map_from_synonym)
    synonyms_for_task = _Coroutine(_calls.synonyms_for_task)
    get_supported_tasks_for_model_type = _Coroutine(_calls.get_supported_tasks_for_model_type)
    get_supported_model_type_for_task = _Coroutine(_calls.get_supported_model_type_for_task)
    get_exporter_config_constructor = _Coroutine(_calls.get_exporter_config_constructor)
    get_model_class_for_task = _Coroutine(_calls.get_model_class_for_task)
    determine_framework = _Coroutine(_calls.determine_framework)
    infer_library_from_model = _Coroutine(_calls.infer_library_from_model)
    infer_task_from_model = _Coroutine(_calls.infer_task_from_model)
    infer_export_model_type = _Coroutine(_calls.infer_export_model_type)
    get_support_matrix = _Coroutine(_calls.get_support_matrix)
    list_generations = _Coroutine(_calls.list_generations)
    resolve_export = _Coroutine(_calls.resolve_export)

    async def batch_resolve_export(
        self,
        requests: Union[Iterable[dict[str, Any]], AsyncIterable[dict[str, Any]]],
        token: Token = None,
        deadline: Optional[float] = None,
    ) -> AsyncIterator[BatchAnswer]:
        """`RemoteTasksManager.batch_resolve_export` as an async iterator.

        `requests` may be an iterable or an async iterable; grpc.aio reads it only as the
        stream's flow control lets it, and answers are yielded as they arrive.
        """

        async def items() -> AsyncIterator[Any]:
            if isinstance(requests, AsyncIterable):
                async for request in requests:
                    yield _calls.batch_item(request)
            else:
                for request in requests:
                    yield _calls.batch_item(request)

        stream = self._methods["BatchResolveExport"](
            items(), timeout=deadline, metadata=self._metadata(token)
        )
        try:
            async for answer in stream:
                yield _calls.batch_answer(answer)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from error
        finally:
            stream.cancel()  # a no-op once it has ended; stops it if the caller stopped early
