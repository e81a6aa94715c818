"""What each method sends and how its answer reads: one plan per method, shared by the blocking
(`RemoteTasksManager`) and asyncio (`AsyncRemoteTasksManager`) clients.

A plan function has the method's signature (Optimum's names, parameters and defaults) and
returns an `Rpc`: the request to send and how to turn the response into the method's value.
The clients only send it, retrying and mapping errors (see `_channel.py`).
"""

from __future__ import annotations

import importlib
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from os import PathLike
from typing import Any, Callable, Generic, Optional, TypeVar, Union

from google.protobuf import json_format, struct_pb2
from google.protobuf.message import Message

from ._proto.optimum.tasks.v1 import tasks_manager_pb2 as pb
from .errors import from_status

T = TypeVar("T")
Token = Optional[Union[bool, str]]
ModelName = Union[str, "PathLike[str]"]
BatchAnswer = tuple[str, Union[dict[str, Any], Exception]]


@dataclass(frozen=True)
class Rpc(Generic[T]):
    """One unary call: `method` of the service with `request`; `result` reads the response."""

    method: str
    request: Message
    result: Callable[[Any], T]
    token: Token = None  # the method's `token` argument (see `_channel.metadata`)


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
        loaded: type = getattr(importlib.import_module(self.module), self.class_name)
        return loaded


def _model_name(value: Any, argument: str) -> str:
    """Optimum also accepts model objects; only names and paths can cross the wire."""
    if isinstance(value, (str, PathLike)):
        return os.fspath(value)
    raise TypeError(
        f"RemoteTasksManager: {argument} must be a model id or a path, not "
        f"{type(value).__name__}; model objects cannot be sent to the service"
    )


def _request(message: str, **fields: Any) -> Message:
    """A request message; None leaves a field unset, so the server applies Optimum's default."""
    request: Message = getattr(pb, message)(**{k: v for k, v in fields.items() if v is not None})
    return request


def _ask(method: str, result: Callable[[Any], T], token: Token = None, **fields: Any) -> Rpc[T]:
    return Rpc(method, _request(f"{method}Request", **fields), result, token)


def _as_dict(message: Message) -> dict[str, Any]:
    """A response message as a dict, proto field names, every field present."""
    fields: dict[str, Any] = json_format.MessageToDict(
        message, preserving_proto_field_name=True, including_default_value_fields=True
    )
    return fields


# -- registry methods ---------------------------------------------------------------------


def get_all_tasks() -> Rpc[list[str]]:
    return _ask("GetAllTasks", lambda response: list(response.tasks))


def map_from_synonym(task: str) -> Rpc[str]:
    return _ask("MapFromSynonym", lambda response: str(response.task), task=task)


def synonyms_for_task(task: str) -> Rpc[set[str]]:
    return _ask("MapFromSynonym", lambda response: set(response.synonyms_for_task), task=task)


def get_supported_tasks_for_model_type(
    model_type: str,
    exporter: str,
    model_name: Optional[str] = None,
    library_name: Optional[str] = None,
) -> Rpc["OrderedDict[str, str]"]:
    """Task -> exporter config class *name* (Optimum maps to the constructor), in order."""
    return _ask(
        "GetSupportedTasksForModelType",
        lambda response: OrderedDict((task.task, task.config_class) for task in response.tasks),
        model_type=model_type,
        exporter=exporter,
        model_name=model_name,
        library_name=library_name,
    )


def get_supported_model_type_for_task(task: str, exporter: str) -> Rpc[list[str]]:
    return _ask(
        "GetSupportedModelTypeForTask",
        lambda response: list(response.model_types),
        task=task,
        exporter=exporter,
    )


def get_exporter_config_constructor(
    exporter: str,
    model: Any = None,
    task: str = "feature-extraction",
    model_type: Optional[str] = None,
    model_name: Optional[str] = None,
    exporter_config_kwargs: Optional[dict[str, Any]] = None,
    library_name: Optional[str] = None,
) -> Rpc[ExporterConfigConstructor]:
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

    def result(response: Any) -> ExporterConfigConstructor:
        return ExporterConfigConstructor(
            config_class=response.config_class,
            task=response.task,
            use_past=response.use_past,
            # The caller's own values: a Struct would turn ints into floats.
            kwargs=dict(exporter_config_kwargs or {}),
            task_key=response.task_key,
            model_type=response.model_type,
        )

    return _ask(
        "GetExporterConfigConstructor",
        result,
        exporter=exporter,
        task=task,
        model_type=model_type,
        model_name=model_name,
        exporter_config_kwargs=kwargs,
        library_name=library_name,
    )


def get_model_class_for_task(
    task: str,
    framework: str = "pt",
    model_type: Optional[str] = None,
    model_class_name: Optional[str] = None,
    library: str = "transformers",
) -> Rpc[ModelClass]:
    def result(response: Any) -> ModelClass:
        return ModelClass(
            module=response.module,
            class_name=response.class_name,
            task=response.task,
            candidates=tuple(response.candidates),
            resolution=pb.GetModelClassForTaskResponse.Resolution.Name(response.resolution),
        )

    return _ask(
        "GetModelClassForTask",
        result,
        task=task,
        framework=framework,
        model_type=model_type,
        model_class_name=model_class_name,
        library=library,
    )


def get_support_matrix(
    exporter: Optional[str] = None,
    library_name: Optional[str] = None,
    task: Optional[str] = None,
    model_type: Optional[str] = None,
) -> Rpc[list[dict[str, Any]]]:
    """Rows {exporter, library_name, model_type, task, config_class, use_past}; not Optimum's."""
    return _ask(
        "GetSupportMatrix",
        lambda response: [_as_dict(row) for row in response.rows],
        exporter=exporter,
        library_name=library_name,
        task=task,
        model_type=model_type,
    )


def list_generations() -> Rpc[list[dict[str, Any]]]:
    """The Optimum generations the server ships, oldest first, as dicts of `Generation`'s fields
    (proto field names): name, optimum_version, is_default, is_latest, packages, exporters,
    frameworks, tasks, registry_fingerprint. Not an Optimum method."""
    return _ask(
        "ListGenerations", lambda response: [_as_dict(g) for g in response.generations]
    )


# -- inference methods (the Hub, the cache folder or a local folder under a model root) --
# `cache_dir` is accepted for Optimum's signatures and ignored: the server reads its own.


def determine_framework(
    model_name_or_path: ModelName,
    subfolder: str = "",
    revision: Optional[str] = None,
    cache_dir: Optional[str] = None,
    token: Token = None,
) -> Rpc[str]:
    return _ask(
        "DetermineFramework",
        lambda response: str(response.framework),
        token,
        model_name_or_path=_model_name(model_name_or_path, "model_name_or_path"),
        subfolder=subfolder,
        revision=revision,
    )


def infer_library_from_model(
    model: ModelName,
    subfolder: str = "",
    revision: Optional[str] = None,
    cache_dir: Optional[str] = None,
    token: Token = None,
) -> Rpc[str]:
    return _ask(
        "InferLibraryFromModel",
        lambda response: str(response.library_name),
        token,
        model=_model_name(model, "model"),
        subfolder=subfolder,
        revision=revision,
    )


def infer_task_from_model(
    model: ModelName,
    subfolder: str = "",
    revision: Optional[str] = None,
    cache_dir: Optional[str] = None,
    token: Token = None,
) -> Rpc[str]:
    return _ask(
        "InferTaskFromModel",
        lambda response: str(response.task),
        token,
        model=_model_name(model, "model"),
        subfolder=subfolder,
        revision=revision,
    )


def infer_export_model_type(
    model: Optional[ModelName] = None,
    subfolder: str = "",
    revision: Optional[str] = None,
    library_name: Optional[str] = None,
    class_name: Optional[str] = None,
    token: Token = None,
) -> Rpc[str]:
    """The `export_model_type` Optimum's `standardize_model_attributes` sets on a model.

    Optimum works on a loaded model object; this asks from a repo or folder (`model`), or
    from `library_name` and the name Optimum reads off the object (`class_name`: the
    pipeline class, timm architecture, first module class or transformers model type).
    """
    return _ask(
        "StandardizeModelAttributes",
        lambda response: str(response.export_model_type),
        token,
        model=None if model is None else _model_name(model, "model"),
        subfolder=subfolder,
        revision=revision,
        library_name=library_name,
        class_name=class_name,
    )


def resolve_export(
    model: ModelName,
    exporter: str,
    task: str = "auto",
    subfolder: str = "",
    revision: Optional[str] = None,
    framework: Optional[str] = None,
    library_name: Optional[str] = None,
    token: Token = None,
) -> Rpc[dict[str, Any]]:
    """The export plan as a dict of ResolveExportResponse's fields (proto field names)."""
    return _ask(
        "ResolveExport",
        _as_dict,
        token,
        model=_model_name(model, "model"),
        exporter=exporter,
        task=task,
        subfolder=subfolder,
        revision=revision,
        framework=framework,
        library_name=library_name,
    )


# -- batch_resolve_export: one stream, items and answers as the stream's flow control allows --


def batch_item(request: dict[str, Any]) -> Message:
    """One stream item from a dict of resolve_export's arguments plus an optional `id`."""
    fields = dict(request)
    model = _model_name(fields.pop("model", None), "model")
    item_id = str(fields.pop("id", model))
    item: Message = pb.BatchResolveExportRequest(
        id=item_id, request=_request("ResolveExportRequest", model=model, **fields)
    )
    return item


def batch_answer(answer: Any) -> BatchAnswer:
    """`(id, plan)`, or `(id, exception)` with the exception resolve_export would raise."""
    if answer.HasField("error"):
        return answer.id, from_status(answer.error)
    return answer.id, _as_dict(answer.answer)

