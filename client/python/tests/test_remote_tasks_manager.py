"""RemoteTasksManager against a real tasks-server and fake Hub: Optimum 1.23.3's answers.

Expected values come from Optimum's rules and the reference tables in tests/reference/ (an
independent copy of Optimum's facts), not from the server.
"""

from __future__ import annotations

import inspect
import json
import socket
import time
from collections import OrderedDict
from typing import Any

import grpc
import pytest

from conftest import REPO
from tasks_manager_client import (
    GatedRepoError,
    HfHubHTTPError,
    RemoteTasksManager,
    RepositoryNotFoundError,
    TasksManagerError,
)
from tasks_manager_client.errors import exception_class, from_rpc_error

GATED = "meta-llama/Llama-2-7b-hf"
GATED_TOKEN = "hf_fakeHubLlama2GatedAccess0000000000"
REFERENCE = REPO / "tests/reference"


def reference(name: str) -> Any:
    return json.loads((REFERENCE / name).read_text())


# -- the drop-in contract -----------------------------------------------------------------


@pytest.mark.parametrize(
    "method",
    [
        "get_all_tasks",
        "map_from_synonym",
        "synonyms_for_task",
        "get_supported_tasks_for_model_type",
        "get_supported_model_type_for_task",
        "get_exporter_config_constructor",
        "get_model_class_for_task",
        "determine_framework",
        "infer_library_from_model",
        "infer_task_from_model",
    ],
)
def test_signature_is_optimums(method: str) -> None:
    """Same parameter names, order and defaults (HUGGINGFACE_HUB_CACHE defaults become None)."""
    declared = reference("tasks.json")["method_signatures"]["methods"][method]["parameters"]
    expected = [(p["name"], p.get("default", None if "default_name" in p else "REQUIRED"))
                for p in declared]
    ours = [(p.name, "REQUIRED" if p.default is inspect.Parameter.empty else p.default)
            for p in inspect.signature(getattr(RemoteTasksManager, "__dict__")[method].__func__)
            .parameters.values() if p.name != "self"]
    assert ours == expected


# -- registry methods ---------------------------------------------------------------------


def test_get_all_tasks(tm: RemoteTasksManager) -> None:
    tasks = reference("tasks.json")["all_tasks"]
    assert sorted(tm.get_all_tasks()) == tasks["by_environment"][tasks["default_environment"]]


def test_map_from_synonym_and_synonyms_for_task(tm: RemoteTasksManager) -> None:
    synonyms: dict[str, str] = reference("tasks.json")["synonyms"]["map"]
    assert tm.map_from_synonym("causal-lm-with-past") == "text-generation-with-past"
    assert tm.map_from_synonym("masked-lm") == "fill-mask"
    assert tm.map_from_synonym("fill-mask") == "fill-mask"
    for task in ("feature-extraction", "text-generation", "masked-lm"):
        canonical = synonyms.get(task, task)
        expected = {k for k, v in synonyms.items() if v in (task, canonical)} - {task}
        result = tm.synonyms_for_task(task)
        assert isinstance(result, set) and result == expected, task


def test_supported_tasks_are_an_ordered_mapping_to_class_names(tm: RemoteTasksManager) -> None:
    tasks = tm.get_supported_tasks_for_model_type("distilbert", "onnx")
    assert isinstance(tasks, OrderedDict)
    assert list(tasks) == ["feature-extraction", "fill-mask", "text-classification",
                           "multiple-choice", "token-classification", "question-answering"]
    assert set(tasks.values()) == {"DistilBertOnnxConfig"}
    gpt2 = tm.get_supported_tasks_for_model_type("gpt2", "onnx", library_name="transformers")
    assert list(gpt2) == ["feature-extraction", "feature-extraction-with-past", "text-generation",
                          "text-generation-with-past", "text-classification",
                          "token-classification"]


def test_unknown_model_type_raises_key_error_with_the_servers_details(
    tm: RemoteTasksManager,
) -> None:
    with pytest.raises(KeyError) as caught:
        tm.get_supported_tasks_for_model_type("bertt", "onnx")
    error = caught.value
    assert "bertt" in str(error)
    assert error.grpc_code == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
    assert error.reason == "KeyError"  # type: ignore[attr-defined]
    assert error.error_metadata.get("did_you_mean") == "bert"  # type: ignore[attr-defined]


def test_get_supported_model_type_for_task(tm: RemoteTasksManager) -> None:
    model_types = reference("supported_model_types.json")["libraries"]["transformers"]["model_types"]
    expected = [name.replace("-", "_") for name, entry in model_types.items()
                if "multiple-choice" in entry["exporters"].get("tflite", {})]
    assert tm.get_supported_model_type_for_task("multiple-choice", "tflite") == expected


def test_get_exporter_config_constructor(tm: RemoteTasksManager) -> None:
    constructor = tm.get_exporter_config_constructor(
        "onnx", task="text-generation-with-past", model_type="llama",
        library_name="transformers", exporter_config_kwargs={"int_dtype": "int32"})
    assert constructor.config_class == "LlamaOnnxConfig"
    assert (constructor.task, constructor.use_past) == ("text-generation", True)
    assert constructor.keywords == {"task": "text-generation", "use_past": True,
                                    "int_dtype": "int32"}
    default = tm.get_exporter_config_constructor("onnx", model_type="bert")
    assert (default.config_class, default.task, default.use_past) == (
        "BertOnnxConfig", "feature-extraction", False)
    with pytest.raises(ValueError):  # Optimum: neither model nor model_type
        tm.get_exporter_config_constructor("onnx")
    with pytest.raises(TypeError):  # model objects cannot cross the wire
        tm.get_exporter_config_constructor("onnx", model=object())


def test_get_model_class_for_task(tm: RemoteTasksManager) -> None:
    ctc = tm.get_model_class_for_task("automatic-speech-recognition", model_type="wav2vec2")
    assert (ctc.module, ctc.class_name) == ("transformers", "AutoModelForCTC")
    assert ctc.qualified_name == "transformers.AutoModelForCTC"
    tf = tm.get_model_class_for_task("text-classification", framework="tf")
    assert tf.qualified_name == "transformers.TFAutoModelForSequenceClassification"
    with pytest.raises(ValueError):
        tm.get_model_class_for_task("fill-mask", framework="jax")


# -- inference methods (fake Hub and local model root) ------------------------------------


def test_infer_task_and_library(tm: RemoteTasksManager) -> None:
    assert tm.infer_task_from_model("google-bert/bert-base-uncased") == "fill-mask"
    assert tm.infer_library_from_model("google-bert/bert-base-uncased") == "transformers"
    assert tm.infer_library_from_model("all-MiniLM-L6-v2") == "sentence_transformers"
    assert tm.infer_library_from_model("tiny-sd-pipeline") == "diffusers"


def test_determine_framework(tm: RemoteTasksManager) -> None:
    assert tm.determine_framework("Rocketknight1/distilgpt2-finetuned-wikitext2") == "tf"
    assert tm.determine_framework(REPO / "tests/hub/local_models/distilbert-pt") == "pt"
    with pytest.raises(TypeError):
        tm.determine_framework(object())  # type: ignore[arg-type]


def test_infer_export_model_type(tm: RemoteTasksManager) -> None:
    assert tm.infer_export_model_type("google-bert/bert-base-uncased") == "bert"
    assert tm.infer_export_model_type(library_name="transformers", class_name="gpt2") == "gpt2"


def test_missing_repo_raises_repository_not_found(tm: RemoteTasksManager) -> None:
    with pytest.raises(RepositoryNotFoundError) as caught:
        tm.infer_task_from_model("example-org/no-such-model")
    assert isinstance(caught.value, HfHubHTTPError) and isinstance(caught.value, OSError)
    assert caught.value.grpc_code == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
    assert "no-such-model" in str(caught.value)


def test_gated_repo_needs_a_token(tm: RemoteTasksManager) -> None:
    with pytest.raises(GatedRepoError) as caught:
        tm.resolve_export(GATED, "onnx")
    assert isinstance(caught.value, RepositoryNotFoundError)
    plan = tm.resolve_export(GATED, "onnx", token=GATED_TOKEN)
    assert (plan["library_name"], plan["framework"], plan["task"]) == (
        "transformers", "pt", "text-generation")
    assert plan["exporter_config"]["config_class"] == "LlamaOnnxConfig"
    assert plan["model_class"]["class_name"] == "AutoModelForCausalLM"


def test_hf_token_and_address_come_from_the_environment(
    server_address: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_TOKEN", GATED_TOKEN)
    monkeypatch.setenv("TASKS_MANAGER_ADDRESS", server_address)
    with RemoteTasksManager() as client:
        assert client.address == server_address
        assert client.infer_task_from_model(GATED) == "text-generation"
        with pytest.raises(GatedRepoError):  # token=False: anonymous for this call
            client.infer_task_from_model(GATED, token=False)
    # Called on the class, as Optimum's static methods are: a shared client from the env.
    try:
        assert RemoteTasksManager.infer_task_from_model(GATED) == "text-generation"
        assert "fill-mask" in RemoteTasksManager.get_all_tasks()
    finally:
        RemoteTasksManager.close_default()


# -- transport, retries, error mapping ----------------------------------------------------


def test_unavailable_is_retried_then_raised_within_the_deadline() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with RemoteTasksManager(f"127.0.0.1:{port}", deadline=3.0, max_attempts=2,
                            initial_backoff=0.05) as client:
        attempts = 0
        call = client._methods["GetAllTasks"]

        def counting(*args: Any, **kwargs: Any) -> Any:
            nonlocal attempts
            attempts += 1
            return call(*args, **kwargs)

        client._methods["GetAllTasks"] = counting  # type: ignore[assignment]
        started = time.monotonic()
        with pytest.raises(TasksManagerError) as caught:
            client.get_all_tasks()
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    assert attempts == 2
    assert time.monotonic() - started < 3.0


class _FakeRpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple:
        return ()


def test_reasons_map_to_classes() -> None:
    assert exception_class("KeyError") is KeyError
    assert exception_class("EnvironmentError") is OSError
    assert exception_class("GatedRepoError") is GatedRepoError
    assert exception_class("SystemExit") is None  # not an Exception: never raised from a reason
    assert exception_class("NoSuchError") is None
    error = from_rpc_error(_FakeRpcError(grpc.StatusCode.INTERNAL, "boom"))
    assert isinstance(error, TasksManagerError) and error.code == grpc.StatusCode.INTERNAL


# -- fleet methods (not Optimum's) ---------------------------------------------------------


def test_get_support_matrix_rows_match_the_reference_counts(tm: RemoteTasksManager) -> None:
    counts = reference("supported_model_types.json")["counts"]["transformers"]
    rows = tm.get_support_matrix(exporter="onnx", library_name="transformers")
    assert len(rows) == counts["model_type_task_pairs_per_exporter"]["onnx"]
    assert sum(row["use_past"] for row in rows) == counts["with_past_pairs_per_exporter"]["onnx"]
    assert set(rows[0]) == {"exporter", "library_name", "model_type", "task", "config_class",
                            "use_past"}
    gpt2 = tm.get_support_matrix(exporter="onnx", model_type="gpt2", task="causal-lm")
    assert [(r["task"], r["use_past"], r["config_class"]) for r in gpt2] == [
        ("text-generation", False, "GPT2OnnxConfig"), ("text-generation", True, "GPT2OnnxConfig")]
    with pytest.raises(ValueError) as caught:
        tm.get_support_matrix(exporter="onxx")
    assert caught.value.error_metadata["did_you_mean"] == "onnx"  # type: ignore[attr-defined]


def test_batch_resolve_export_yields_each_answer_or_exception_by_id(
    tm: RemoteTasksManager,
) -> None:
    requests = [
        {"model": "google-bert/bert-base-uncased", "exporter": "onnx"},
        {"id": "gpt2", "model": "openai-community/gpt2", "exporter": "onnx",
         "task": "text-generation"},
        {"id": "missing", "model": "example-org/no-such-model", "exporter": "onnx"},
        {"id": "gated", "model": GATED, "exporter": "onnx"},
    ]
    answers = dict(tm.batch_resolve_export(iter(requests)))
    assert set(answers) == {"google-bert/bert-base-uncased", "gpt2", "missing", "gated"}
    assert answers["google-bert/bert-base-uncased"]["task"] == "fill-mask"
    assert answers["gpt2"]["task_with_past"] == "text-generation-with-past"
    assert isinstance(answers["missing"], RepositoryNotFoundError)
    assert answers["missing"].grpc_code == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
    # The same exception and message resolve_export raises for that model.
    with pytest.raises(GatedRepoError) as caught:
        tm.resolve_export(GATED, "onnx")
    assert type(answers["gated"]) is GatedRepoError and str(answers["gated"]) == str(caught.value)
    # The stream's token reaches every item.
    with_token = dict(tm.batch_resolve_export([{"model": GATED, "exporter": "onnx"}],
                                              token=GATED_TOKEN))
    assert with_token[GATED]["exporter_config"]["config_class"] == "LlamaOnnxConfig"


def test_batch_resolve_export_streams_a_long_generator(tm: RemoteTasksManager) -> None:
    produced = 0

    def requests():  # type: ignore[no-untyped-def]
        nonlocal produced
        for i in range(2000):
            produced += 1
            yield {"id": str(i), "model": "google-bert/bert-base-uncased", "exporter": "onnx"}

    ids = [item_id for item_id, plan in tm.batch_resolve_export(requests())
           if isinstance(plan, dict) and plan["task"] == "fill-mask"]
    assert sorted(ids, key=int) == [str(i) for i in range(2000)]
    assert produced == 2000
