"""An export worker's use of the client, blocking and asyncio; `mypy --strict` checks it.

    python worker.py [MODEL ...]   # server from $TASKS_MANAGER_ADDRESS, TLS from $TASKS_MANAGER_TLS_*
"""

from __future__ import annotations

import asyncio
import sys

from tasks_manager_client import AsyncRemoteTasksManager, RepositoryNotFoundError
from tasks_manager_client import RemoteTasksManager as TasksManager


def plan_exports(models: list[str], exporter: str = "onnx") -> dict[str, str]:
    """Model -> the export config class, one blocking call per model."""
    plans: dict[str, str] = {}
    for model in models:
        try:
            task = TasksManager.infer_task_from_model(model)
        except RepositoryNotFoundError:
            continue
        library = TasksManager.infer_library_from_model(model)
        plan = TasksManager.resolve_export(model, exporter, task=task, library_name=library)
        plans[model] = str(plan["exporter_config"]["config_class"])
    return plans


async def plan_exports_async(models: list[str], exporter: str = "onnx") -> dict[str, str]:
    """The same over one BatchResolveExport stream; failures are returned, not raised."""
    plans: dict[str, str] = {}
    async with AsyncRemoteTasksManager() as tm:
        requests = [{"model": model, "exporter": exporter} for model in models]
        async for model, answer in tm.batch_resolve_export(requests):
            if not isinstance(answer, Exception):
                plans[model] = str(answer["exporter_config"]["config_class"])
    return plans


def main(argv: list[str]) -> int:
    models = argv or ["openai/whisper-tiny"]
    print(plan_exports(models))
    print(asyncio.run(plan_exports_async(models)))
    TasksManager.close_default()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
