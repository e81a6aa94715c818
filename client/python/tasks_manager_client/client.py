"""`RemoteTasksManager`: Optimum 1.23.3's `TasksManager` static methods, answered by the service.

Method names, parameters and defaults are Optimum's, so a worker switches with one import:
`from tasks_manager_client import RemoteTasksManager as TasksManager`. Where Optimum returns a
Python object the service cannot send (a class, a `functools.partial`), the method returns a
small description of it instead; see README.md for each.
"""

from __future__ import annotations

import importlib
import os
import random
import threading
import time
import types
from collections import OrderedDict
from dataclasses import dataclass, field
from os import PathLike
from typing import Any, Iterable, Iterator, Optional, Sequence, Union

import grpc
from google.protobuf import json_format, struct_pb2

from ._proto.optimum.tasks.v1 import tasks_manager_pb2 as pb
from .errors import TasksManagerError, error_info_of, from_rpc_error, from_status

DEFAULT_ADDRESS = "127.0.0.1:50051"
_SERVICE = pb.DESCRIPTOR.services_by_name["TasksManager"]

Token = Optional[Union[bool, str]]
ModelName = Union[str, "PathLike[str]"]


@dataclass(frozen=True)
class ExporterConfigConstructor:
    """What Optimum's `get_exporter_config_constructor` returns, described instead of built.

    Optimum returns `functools.partial(config_class, task=task, use_past=..., **kwargs)`;
    `keywords` is that partial's keywords, so code reading `constructor.keywords["task"]` works.
    """

    config_class: str
    task: str
    use_past: bool
    kwargs: dict[str, Any] = field(default_factory=dict)
    task_key: str = ""  # registry key used: the requested task or a synonym of it
    model_type: str = ""  # registry key used, e.g. "default-timm-config"

    @property
    def keywords(self) -> dict[str, Any]:
        keywords: dict[str, Any] = {"task": self.task}
        if self.use_past:
            keywords["use_past"] = True
        return {**keywords, **self.kwargs}


@dataclass(frozen=True)
class ModelClass:
    """What Optimum's `get_model_class_for_task` returns (a class), named instead of imported."""

    module: str
    class_name: str
    task: str = ""
    candidates: tuple[str, ...] = ()
    resolution: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.module}.{self.class_name}"

    def load(self) -> type:
        """Imports the class, for workers that have the library installed."""
        return getattr(importlib.import_module(self.module), self.class_name)


def _model_name(value: Any, argument: str) -> str:
    """Optimum also accepts model objects; only names and paths can cross the wire."""
    if isinstance(value, (str, PathLike)):
        return os.fspath(value)
    raise TypeError(
        f"RemoteTasksManager: {argument} must be a model id or a path, not "
        f"{type(value).__name__}; model objects cannot be sent to the service"
    )


class _static_like:
    """Makes a method callable on the class too, as Optimum's static methods are called.

    `RemoteTasksManager.get_all_tasks()` uses a process-wide client configured from the
    environment (`RemoteTasksManager.default()`); `RemoteTasksManager(...).get_all_tasks()`
    uses that instance.
    """

    def __init__(self, function: Any) -> None:
        self.__func__ = function
        self.__doc__ = function.__doc__
        self.__name__ = function.__name__
        self.__wrapped__ = function

    def __get__(self, instance: Any, owner: type) -> Any:
        return types.MethodType(self.__func__, instance if instance is not None else owner.default())


class RemoteTasksManager:
    """A client of `optimum.tasks.v1.TasksManager` with the methods of Optimum's TasksManager.

    Methods can be called on an instance or, like Optimum's static methods, on the class (a
    shared client from the environment). Calls are blocking and thread-safe.
    """

    _default: Optional["RemoteTasksManager"] = None
    _default_lock = threading.Lock()

    @classmethod
    def default(cls) -> "RemoteTasksManager":
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

    def __init__(
        self,
        address: Optional[str] = None,
        *,
        token: Optional[str] = None,
        deadline: float = 30.0,
        max_attempts: int = 4,
        initial_backoff: float = 0.1,
        max_backoff: float = 2.0,
        credentials: Optional[grpc.ChannelCredentials] = None,
        channel_options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        """
        address: host:port or unix:path; default $TASKS_MANAGER_ADDRESS, then 127.0.0.1:50051.
        token: the Hub token sent as `authorization: Bearer` metadata; default $HF_TOKEN.
        deadline: seconds one method call may take, retries included.
        max_attempts: attempts per call; only UNAVAILABLE from the transport is retried, with
          exponential backoff and full jitter, within the deadline.
        credentials: TLS credentials; plaintext when None (sidecar on localhost).
        """
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.address = address or os.environ.get("TASKS_MANAGER_ADDRESS") or DEFAULT_ADDRESS
        self._token = token if token is not None else os.environ.get("HF_TOKEN")
        self._deadline = deadline
        self._max_attempts = max_attempts
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        options = list(channel_options)
        self._channel = (
            grpc.secure_channel(self.address, credentials, options)
            if credentials is not None
            else grpc.insecure_channel(self.address, options)
        )
        # The service descriptor names each method and its messages: no generated stub needed.
        self._methods = {
            method.name: (
                self._channel.stream_stream if method.client_streaming else self._channel.unary_unary
            )(
                f"/{_SERVICE.full_name}/{method.name}",
                request_serializer=lambda message: message.SerializeToString(),
                response_deserializer=getattr(pb, method.output_type.name).FromString,
            )
            for method in _SERVICE.methods
        }

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "RemoteTasksManager":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the one place that calls, retries and maps errors ----------------------------------

    def _call(self, method: str, request: Any, token: Token = None) -> Any:
        """Calls `method`, retrying transport UNAVAILABLE, and raises Optimum's exception.

        UNAVAILABLE that carries the server's ErrorInfo (the Hub unreachable) is not retried:
        the server has already retried the Hub within its own budget.
        """
        metadata = self._metadata(token)
        deadline_at = time.monotonic() + self._deadline
        for attempt in range(1, self._max_attempts + 1):
            try:
                return self._methods[method](
                    request, timeout=max(deadline_at - time.monotonic(), 0.001), metadata=metadata
                )
            except grpc.RpcError as error:
                backoff = random.uniform(
                    0, min(self._max_backoff, self._initial_backoff * 2 ** (attempt - 1))
                )
                retry = (
                    error.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]
                    and error_info_of(error) is None
                    and attempt < self._max_attempts
                    and time.monotonic() + backoff < deadline_at
                )
                if not retry:
                    raise from_rpc_error(error) from error
                time.sleep(backoff)
        raise AssertionError("unreachable")

    def _metadata(self, token: Token) -> tuple[tuple[str, str], ...]:
        """Optimum's token argument: a str, True/None (the default token), False (anonymous)."""
        chosen = token if isinstance(token, str) else (None if token is False else self._token)
        return (("authorization", f"Bearer {chosen}"),) if chosen else ()

    @staticmethod
    def _request(message: str, **fields: Any) -> Any:
        """A request message; None leaves a field unset, so the server applies Optimum's default."""
        return getattr(pb, message)(**{k: v for k, v in fields.items() if v is not None})

    def _ask(self, method: str, token: Token = None, **fields: Any) -> Any:
        return self._call(method, self._request(f"{method}Request", **fields), token)

    # -- registry methods -------------------------------------------------------------------

    @_static_like
    def get_all_tasks(self) -> list[str]:
        return list(self._ask("GetAllTasks").tasks)

    @_static_like
    def map_from_synonym(self, task: str) -> str:
        return self._ask("MapFromSynonym", task=task).task

    @_static_like
    def synonyms_for_task(self, task: str) -> set[str]:
        return set(self._ask("MapFromSynonym", task=task).synonyms_for_task)

    @_static_like
    def get_supported_tasks_for_model_type(
        self,
        model_type: str,
        exporter: str,
        model_name: Optional[str] = None,
        library_name: Optional[str] = None,
    ) -> "OrderedDict[str, str]":
        """Task -> exporter config class *name* (Optimum maps to the constructor), in order."""
        response = self._ask(
            "GetSupportedTasksForModelType",
            model_type=model_type,
            exporter=exporter,
            model_name=model_name,
            library_name=library_name,
        )
        return OrderedDict((task.task, task.config_class) for task in response.tasks)

    @_static_like
    def get_supported_model_type_for_task(self, task: str, exporter: str) -> list[str]:
        return list(
            self._ask("GetSupportedModelTypeForTask", task=task, exporter=exporter).model_types
        )

    @_static_like
    def get_exporter_config_constructor(
        self,
        exporter: str,
        model: Any = None,
        task: str = "feature-extraction",
        model_type: Optional[str] = None,
        model_name: Optional[str] = None,
        exporter_config_kwargs: Optional[dict[str, Any]] = None,
        library_name: Optional[str] = None,
    ) -> ExporterConfigConstructor:
        """The config class bound to task/use_past/kwargs; `model` objects cannot be sent."""
        if model is not None:
            raise TypeError(
                "RemoteTasksManager.get_exporter_config_constructor: model objects cannot be "
                "sent to the service; pass model_type= (model.config.model_type) instead"
            )
        kwargs: Optional[struct_pb2.Struct] = None
        if exporter_config_kwargs:
            kwargs = struct_pb2.Struct()
            kwargs.update(exporter_config_kwargs)
        response = self._ask(
            "GetExporterConfigConstructor",
            exporter=exporter,
            task=task,
            model_type=model_type,
            model_name=model_name,
            exporter_config_kwargs=kwargs,
            library_name=library_name,
        )
        return ExporterConfigConstructor(
            config_class=response.config_class,
            task=response.task,
            use_past=response.use_past,
            # The caller's own values: a Struct would turn ints into floats.
            kwargs=dict(exporter_config_kwargs or {}),
            task_key=response.task_key,
            model_type=response.model_type,
        )

    @_static_like
    def get_model_class_for_task(
        self,
        task: str,
        framework: str = "pt",
        model_type: Optional[str] = None,
        model_class_name: Optional[str] = None,
        library: str = "transformers",
    ) -> ModelClass:
        response = self._ask(
            "GetModelClassForTask",
            task=task,
            framework=framework,
            model_type=model_type,
            model_class_name=model_class_name,
            library=library,
        )
        return ModelClass(
            module=response.module,
            class_name=response.class_name,
            task=response.task,
            candidates=tuple(response.candidates),
            resolution=pb.GetModelClassForTaskResponse.Resolution.Name(response.resolution),
        )

    @_static_like
    def get_support_matrix(
        self,
        exporter: Optional[str] = None,
        library_name: Optional[str] = None,
        task: Optional[str] = None,
        model_type: Optional[str] = None,
    ) -> list[dict[str, Any]]:
        """Rows {exporter, library_name, model_type, task, config_class, use_past}; not Optimum's."""
        response = self._ask(
            "GetSupportMatrix",
            exporter=exporter,
            library_name=library_name,
            task=task,
            model_type=model_type,
        )
        return [_as_dict(row) for row in response.rows]

    # -- inference methods (the Hub, the cache folder or a local folder under a model root) --
    # `cache_dir` is accepted for Optimum's signatures and ignored: the server reads its own.

    @_static_like
    def determine_framework(
        self,
        model_name_or_path: ModelName,
        subfolder: str = "",
        revision: Optional[str] = None,
        cache_dir: Optional[str] = None,
        token: Token = None,
    ) -> str:
        return self._ask(
            "DetermineFramework",
            token,
            model_name_or_path=_model_name(model_name_or_path, "model_name_or_path"),
            subfolder=subfolder,
            revision=revision,
        ).framework

    @_static_like
    def infer_library_from_model(
        self,
        model: ModelName,
        subfolder: str = "",
        revision: Optional[str] = None,
        cache_dir: Optional[str] = None,
        token: Token = None,
    ) -> str:
        return self._ask(
            "InferLibraryFromModel",
            token,
            model=_model_name(model, "model"),
            subfolder=subfolder,
            revision=revision,
        ).library_name

    @_static_like
    def infer_task_from_model(
        self,
        model: ModelName,
        subfolder: str = "",
        revision: Optional[str] = None,
        cache_dir: Optional[str] = None,
        token: Token = None,
    ) -> str:
        return self._ask(
            "InferTaskFromModel",
            token,
            model=_model_name(model, "model"),
            subfolder=subfolder,
            revision=revision,
        ).task

    @_static_like
    def infer_export_model_type(
        self,
        model: Optional[ModelName] = None,
        subfolder: str = "",
        revision: Optional[str] = None,
        library_name: Optional[str] = None,
        class_name: Optional[str] = None,
        token: Token = None,
    ) -> str:
        """The `export_model_type` Optimum's `standardize_model_attributes` sets on a model.

        Optimum works on a loaded model object; this asks from a repo or folder (`model`), or
        from `library_name` and the name Optimum reads off the object (`class_name`: the
        pipeline class, timm architecture, first module class or transformers model type).
        """
        return self._ask(
            "StandardizeModelAttributes",
            token,
            model=None if model is None else _model_name(model, "model"),
            subfolder=subfolder,
            revision=revision,
            library_name=library_name,
            class_name=class_name,
        ).export_model_type

    @_static_like
    def resolve_export(
        self,
        model: ModelName,
        exporter: str,
        task: str = "auto",
        subfolder: str = "",
        revision: Optional[str] = None,
        framework: Optional[str] = None,
        library_name: Optional[str] = None,
        token: Token = None,
    ) -> dict[str, Any]:
        """The export plan as a dict of ResolveExportResponse's fields (proto field names)."""
        response = self._ask(
            "ResolveExport",
            token,
            model=_model_name(model, "model"),
            exporter=exporter,
            task=task,
            subfolder=subfolder,
            revision=revision,
            framework=framework,
            library_name=library_name,
        )
        return _as_dict(response)

    @_static_like
    def batch_resolve_export(
        self,
        requests: Iterable[dict[str, Any]],
        token: Token = None,
        deadline: Optional[float] = None,
    ) -> Iterator[tuple[str, Union[dict[str, Any], Exception]]]:
        """`resolve_export` for many models over one stream; not one of Optimum's methods.

        Each request is a dict of resolve_export's arguments (`model`, `exporter`, `task`, ...)
        plus an optional `id` (default: the model). Yields `(id, plan)`, or `(id, exception)`
        with the exception resolve_export would raise, in completion order, as each is ready;
        `requests` is consumed lazily, as the server's flow control lets it. `deadline`
        (seconds) bounds the whole stream; None: no bound (the server bounds each item).
        A failure of the stream itself (server unreachable, deadline) is raised.
        """
        stream = self._methods["BatchResolveExport"](
            (_batch_item(request) for request in requests),
            timeout=deadline,
            metadata=self._metadata(token),
        )
        try:
            for answer in stream:
                if answer.HasField("error"):
                    yield answer.id, from_status(answer.error)
                else:
                    yield answer.id, _as_dict(answer.answer)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from error
        finally:
            stream.cancel()  # a no-op once it has ended; stops it if the caller stopped early


def _as_dict(message: Any) -> dict[str, Any]:
    """A response message as a dict, proto field names, every field present."""
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, including_default_value_fields=True
    )


def _batch_item(request: dict[str, Any]) -> Any:
    fields = dict(request)
    model = _model_name(fields.pop("model", None), "model")
    item_id = str(fields.pop("id", model))
    return pb.BatchResolveExportRequest(
        id=item_id,
        request=RemoteTasksManager._request("ResolveExportRequest", model=model, **fields),
    )


__all__ = [
    "DEFAULT_ADDRESS",
    "ExporterConfigConstructor",
    "ModelClass",
    "RemoteTasksManager",
    "TasksManagerError",
]
