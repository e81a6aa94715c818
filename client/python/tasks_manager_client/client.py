"""`RemoteTasksManager`: Optimum's `TasksManager` static methods, answered by the service.

Method names, parameters and defaults are Optimum's, so a worker switches with one import:
`from tasks_manager_client import RemoteTasksManager as TasksManager`. Where Optimum returns a
Python object the service cannot send (a class, a `functools.partial`), the method returns a
small description of it instead; see README.md for each. `aio.py` has the asyncio twin's
transport; what each method sends and returns is defined once, in `_calls.py`.
"""

from __future__ import annotations

import functools
import itertools
import threading
import time
from typing import Any, Callable, Generic, Iterable, Iterator, Optional, ParamSpec, TypeVar

import grpc

from . import _calls
from ._calls import BatchAnswer, ExporterConfigConstructor, ModelClass, Rpc, Token
from ._channel import DEFAULT_ADDRESS, ClientBase, remaining
from .errors import TasksManagerError, from_rpc_error

P = ParamSpec("P")
T = TypeVar("T")


class _StaticLike(Generic[P, T]):
    """A method callable on an instance or, like Optimum's static methods, on the class.

    `RemoteTasksManager.get_all_tasks()` uses a process-wide client configured from the
    environment (`RemoteTasksManager.default()`); `RemoteTasksManager(...).get_all_tasks()`
    uses that instance. `__func__` is the plan, with Optimum's signature.
    """

    def __init__(self, plan: Callable[P, Rpc[T]]) -> None:
        self.__func__ = plan
        functools.update_wrapper(self, plan)

    def __get__(
        self, instance: Optional[RemoteTasksManager], owner: type[RemoteTasksManager]
    ) -> Callable[P, T]:
        client = instance if instance is not None else owner.default()
        plan = self.__func__

        @functools.wraps(plan)
        def method(*args: P.args, **kwargs: P.kwargs) -> T:
            return client._run(plan(*args, **kwargs))

        return method


class RemoteTasksManager(ClientBase):
    """A client of `optimum.tasks.v1.TasksManager` with the methods of Optimum's TasksManager.

    Methods can be called on an instance or, like Optimum's static methods, on the class (a
    shared client from the environment). Calls are blocking and thread-safe. The constructor's
    arguments are `ClientBase`'s (address, token, deadline, retries, TLS, optimum_version).
    """

    _insecure_channel = staticmethod(grpc.insecure_channel)
    _secure_channel = staticmethod(grpc.secure_channel)
    _default: Optional[RemoteTasksManager] = None
    _default_lock = threading.Lock()

    @classmethod
    def default(cls) -> RemoteTasksManager:
        """The process-wide client class-level calls use, created on first use from the env."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls()
            return cls._default

    @classmethod
    def close_default(cls) -> None:
        """Closes the process-wide client; the next class-level call makes a new one."""
        with cls._default_lock:
            if cls._default is not None:
                cls._default.close()
                cls._default = None

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> RemoteTasksManager:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, rpc: Rpc[T]) -> T:
        """Sends `rpc`, retrying as `RetryPolicy` says, and raises Optimum's exception."""
        metadata = self._metadata(rpc.token)
        deadline_at = self._deadline_at()
        for attempt in itertools.count(1):
            try:
                response = self._methods[rpc.method](
                    rpc.request, timeout=remaining(deadline_at), metadata=metadata
                )
                break
            except grpc.RpcError as error:
                delay = self._retry.delay(error, attempt, deadline_at)
                if delay is None:
                    raise from_rpc_error(error) from error
                time.sleep(delay)
        return rpc.result(response)

    # Optimum's methods, then the fleet's (see _calls.py for each).
    get_all_tasks = _StaticLike(_calls.get_all_tasks)
    map_from_synonym = _StaticLike(_calls.map_from_synonym)
    synonyms_for_task = _StaticLike(_calls.synonyms_for_task)
    get_supported_tasks_for_model_type = _StaticLike(_calls.get_supported_tasks_for_model_type)
    get_supported_model_type_for_task = _StaticLike(_calls.get_supported_model_type_for_task)
    get_exporter_config_constructor = _StaticLike(_calls.get_exporter_config_constructor)
    get_model_class_for_task = _StaticLike(_calls.get_model_class_for_task)
    determine_framework = _StaticLike(_calls.determine_framework)
    infer_library_from_model = _StaticLike(_calls.infer_library_from_model)
    infer_task_from_model = _StaticLike(_calls.infer_task_from_model)
    infer_export_model_type = _StaticLike(_calls.infer_export_model_type)
    get_support_matrix = _StaticLike(_calls.get_support_matrix)
    list_generations = _StaticLike(_calls.list_generations)
    resolve_export = _StaticLike(_calls.resolve_export)

    def batch_resolve_export(
        self,
        requests: Iterable[dict[str, Any]],
        token: Token = None,
        deadline: Optional[float] = None,
    ) -> Iterator[BatchAnswer]:
        """`resolve_export` for many models over one stream; not one of Optimum's methods.

        Each request is a dict of resolve_export's arguments (`model`, `exporter`, `task`, ...)
        plus an optional `id` (default: the model). Yields `(id, plan)`, or `(id, exception)`
        with the exception resolve_export would raise, in completion order, as each is ready;
        `requests` is consumed lazily, as the server's flow control lets it. `deadline`
        (seconds) bounds the whole stream; None: no bound (the server bounds each item).
        A failure of the stream itself (server unreachable, deadline) is raised.
        """
        stream = self._methods["BatchResolveExport"](
            (_calls.batch_item(request) for request in requests),
            timeout=deadline,
            metadata=self._metadata(token),
        )
        try:
            for answer in stream:
                yield _calls.batch_answer(answer)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from error
        finally:
            stream.cancel()  # a no-op once it has ended; stops it if the caller stopped early


__all__ = [
    "DEFAULT_ADDRESS",
    "ExporterConfigConstructor",
    "ModelClass",
    "RemoteTasksManager",
    "TasksManagerError",
]
