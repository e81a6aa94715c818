"""A drop-in remote for Optimum's `TasksManager`, backed by the tasks-manager gRPC service.

    from tasks_manager_client import RemoteTasksManager as TasksManager
    tm = TasksManager()  # $TASKS_MANAGER_ADDRESS or 127.0.0.1:50051, token from $HF_TOKEN
    tm.get_supported_tasks_for_model_type("gpt2", "onnx", library_name="transformers")

`AsyncRemoteTasksManager` has the same methods as coroutines (grpc.aio).

The protobuf modules are generated when the package is built (see setup.py), under `_proto`.
"""

from .aio import AsyncRemoteTasksManager
from .client import DEFAULT_ADDRESS, ExporterConfigConstructor, ModelClass, RemoteTasksManager
from .errors import (
    DisabledRepoError,
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    InvalidHeader,
    JSONDecodeError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
    TasksManagerError,
    Timeout,
    TooManyRedirects,
)

__all__ = [
    "AsyncRemoteTasksManager",
    "DEFAULT_ADDRESS",
    "DisabledRepoError",
    "EntryNotFoundError",
    "ExporterConfigConstructor",
    "GatedRepoError",
    "HFValidationError",
    "HfHubHTTPError",
    "InvalidHeader",
    "JSONDecodeError",
    "LocalEntryNotFoundError",
    "ModelClass",
    "RemoteTasksManager",
    "RepositoryNotFoundError",
    "RevisionNotFoundError",
    "TasksManagerError",
    "Timeout",
    "TooManyRedirects",
]
