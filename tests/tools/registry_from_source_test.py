#!/usr/bin/env python3
"""Offline tests of tools/registry_from_source.py (CI has no upstream sources).

A small synthetic source tree, written here with made-up tables in the shape of the upstream
constructs the tool reads, checks each table's extraction rule (guards, tuple-restricted tasks,
duplicate collapse, auto-class inheritance, create_register overwrite semantics, side effects);
a tree with an expression the tool cannot evaluate must stop it with file:line; and the
committed generation file must agree with the committed reference (provenance and prose), so the
two cannot drift apart; tools/check_registry_from_source.sh runs on git repositories of the
synthetic sources (pinned commits checked, output diffed). Its run on the real upstream sources
is by hand (tools/README.md).
Usage: registry_from_source_test.py [REPO_ROOT]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
TOOL = os.path.join(ROOT, "tools", "registry_from_source.py")

TASKS_PY = '''
def is_backend_available(backend):
    table = {"onnx": is_onnx_available(), "tflite": is_tf_available()}
    return table[backend]


def supported_tasks_mapping(*supported_tasks, **exporters):
    pass


class TasksManager:
    _TRANSFORMERS_TASKS_TO_MODEL_LOADERS = {}
    _DIFFUSERS_TASKS_TO_MODEL_LOADERS = {}
    _TRANSFORMERS_TASKS_TO_TF_MODEL_LOADERS = {}
    if is_torch_available():
        _TRANSFORMERS_TASKS_TO_MODEL_LOADERS = {
            "feature-extraction": "AutoModel",
            "automatic-speech-recognition": ("AutoModelForSpeechSeq2Seq", "AutoModelForCTC"),
        }
        _TIMM_TASKS_TO_MODEL_LOADERS = {"image-classification": "create_model"}
        _SENTENCE_TRANSFORMERS_TASKS_TO_MODEL_LOADERS = {"feature-extraction": "ST"}
        if is_diffusers_available():
            _DIFFUSERS_TASKS_TO_MODEL_LOADERS = {"text-to-image": "AutoPipelineForText2Image"}
        _LIBRARY_TO_TASKS_TO_MODEL_LOADER_MAP = {
            "diffusers": _DIFFUSERS_TASKS_TO_MODEL_LOADERS,
            "sentence_transformers": _SENTENCE_TRANSFORMERS_TASKS_TO_MODEL_LOADERS,
            "timm": _TIMM_TASKS_TO_MODEL_LOADERS,
            "transformers": _TRANSFORMERS_TASKS_TO_MODEL_LOADERS,
        }
    if is_tf_available():
        _TRANSFORMERS_TASKS_TO_TF_MODEL_LOADERS = {"feature-extraction": "TFAutoModel",
                                                  "image-segmentation": "TFAutoMissing"}
        _LIBRARY_TO_TF_TASKS_TO_MODEL_LOADER_MAP = {
            "transformers": _TRANSFORMERS_TASKS_TO_TF_MODEL_LOADERS}
    _SYNONYM_TASK_MAP = {"default": "feature-extraction"}
    _CUSTOM_CLASSES = {("pt", "alpha", "image-to-text"): ("transformers", "AlphaModel")}
    _ENCODER_DECODER_TASKS = ("automatic-speech-recognition",)
    _MODEL_TYPE_FOR_DEFAULT_CONFIG = {"timm": "default-timm-config"}
    _DIFFUSERS_SUPPORTED_MODEL_TYPE = {
        "unet": supported_tasks_mapping("semantic-segmentation", onnx="UNetOnnxConfig")}
    _TIMM_SUPPORTED_MODEL_TYPE = {}
    _SENTENCE_TRANSFORMERS_SUPPORTED_MODEL_TYPE = {}
    _SUPPORTED_MODEL_TYPE = {
        "alpha": supported_tasks_mapping(
            "feature-extraction",
            ("multiple-choice", ("onnx",)),
            "feature-extraction",
            onnx="AlphaOnnxConfig",
            tflite="AlphaTFLiteConfig",
        ),
        "beta": supported_tasks_mapping(*["text-generation", "text-generation-with-past"],
                                        onnx="BetaOnnxConfig"),
    }
    _LIBRARY_TO_SUPPORTED_MODEL_TYPES = {
        "diffusers": _DIFFUSERS_SUPPORTED_MODEL_TYPE,
        "sentence_transformers": _SENTENCE_TRANSFORMERS_SUPPORTED_MODEL_TYPE,
        "timm": _TIMM_SUPPORTED_MODEL_TYPE,
        "transformers": _SUPPORTED_MODEL_TYPE,
    }
    _UNSUPPORTED_CLI_MODEL_TYPE = {"unet"}
    _SUPPORTED_CLI_MODEL_TYPE = (set(_SUPPORTED_MODEL_TYPE.keys())
                                 | set(_DIFFUSERS_SUPPORTED_MODEL_TYPE.keys())) - _UNSUPPORTED_CLI_MODEL_TYPE

    @staticmethod
    def determine_framework(model, subfolder="", framework=None, cache_dir=HUB_CACHE):
        return "model_index.json", "config_sentence_transformers.json"

    @classmethod
    def _infer_library_from_model_name_or_path(cls, model, *, revision=None, **kwargs):
        return "config.json", "sentence_", "pretrained_cfg", "_diffusers_version"

    @classmethod
    def _infer_task_from_model_name_or_path(cls, model):
        pass

    @classmethod
    def infer_task_from_model(cls, model, subfolder=""):
        pass

    @staticmethod
    def get_supported_tasks_for_model_type(model_type, exporter, library_name=None):
        if library_name is None:
            model_type = default_model_type
        model_type = model_type.lower().replace("_", "-")
        return model_type

    @staticmethod
    def get_all_tasks():
        return [t for d in TasksManager._LIBRARY_TO_TASKS_TO_MODEL_LOADER_MAP.values() for t in d]
'''

CONFIGS_PY = '''
class ExportConfig(ABC):
    pass
class OnnxConfig(ExportConfig):
    pass
class OnnxConfigWithPast(OnnxConfig):
    SUPPORTS_PAST = True
class AlphaOnnxConfig(OnnxConfig):
    pass
class BetaOnnxConfig(OnnxConfigWithPast):
    pass
class UNetOnnxConfig(OnnxConfig):
    pass
class AlphaTFLiteConfig(ExportConfig):
    pass
'''

MODELING_AUTO = '''
MODEL_MAPPING_NAMES = OrderedDict([("alpha", "AlphaModel"), ("beta", ("BetaModel", "BetaModel2"))])
MODEL_FOR_CTC_MAPPING_NAMES = OrderedDict([("alpha", "AlphaForCTC")])
MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES = OrderedDict([("beta", "BetaForS2S")])
MODEL_MAPPING = _LazyAutoMapping(CONFIG_MAPPING_NAMES, MODEL_MAPPING_NAMES)
MODEL_FOR_CTC_MAPPING = _LazyAutoMapping(CONFIG_MAPPING_NAMES, MODEL_FOR_CTC_MAPPING_NAMES)
MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING = _LazyAutoMapping(
    CONFIG_MAPPING_NAMES, MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES)
class AutoModel(_BaseAutoModelClass):
    _model_mapping = MODEL_MAPPING
class AutoModelForCTC(_BaseAutoModelClass):
    _model_mapping = MODEL_FOR_CTC_MAPPING
class AutoModelForSpeechSeq2Seq(_BaseAutoModelClass):
    _model_mapping = MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING
class AutoModelDeprecatedAlias(AutoModel):
    pass
'''

MODELING_TF_AUTO = '''
TF_MODEL_MAPPING_NAMES = OrderedDict([("alpha", "TFAlphaModel")])
TF_MODEL_MAPPING = _LazyAutoMapping(CONFIG_MAPPING_NAMES, TF_MODEL_MAPPING_NAMES)
class TFAutoModel(_BaseAutoModelClass):
    _model_mapping = TF_MODEL_MAPPING
'''

UTILS = '''
WEIGHTS_NAME = "pytorch_model.bin"
SAFE_WEIGHTS_NAME = "model.safetensors"
TF2_WEIGHTS_NAME = "tf_model.h5"
CONFIG_NAME = "config.json"
ALIAS_NAME = CONFIG_NAME
'''

TRANSFORMERS_INIT = '''
__version__ = "9.9.9.dev0"
_import_structure = {"models.auto": ["AutoModel", "AutoModelForCTC"]}
'''

AUTO_PIPELINE = '''
AUTO_TEXT2IMAGE_PIPELINES_MAPPING = OrderedDict([("sd", StableDiffusionPipeline)])
AUTO_IMAGE2IMAGE_PIPELINES_MAPPING = OrderedDict([("sd", StableDiffusionImg2ImgPipeline)])
AUTO_INPAINT_PIPELINES_MAPPING = OrderedDict([("sd", StableDiffusionInpaintPipeline)])
if is_sentencepiece_available():
    AUTO_TEXT2IMAGE_PIPELINES_MAPPING["kolors"] = KolorsPipeline
'''

INTEL_PY = '''
def init_model_configs():
    if "open_clip" not in TasksManager._LIBRARY_TO_SUPPORTED_MODEL_TYPES:
        TasksManager._LIBRARY_TO_SUPPORTED_MODEL_TYPES["open_clip"] = {}
    TasksManager._TRANSFORMERS_TASKS_TO_MODEL_LOADERS["image-text-to-text"] = \\
        TasksManager._TRANSFORMERS_TASKS_TO_MODEL_LOADERS["feature-extraction"]

register = TasksManager.create_register("openvino", overwrite_existing=True)

@register("alpha", *["feature-extraction", "text-generation"], library_name="transformers")
class AlphaOpenVINOConfig(AlphaOnnxConfig):
    pass

@register("alpha", "feature-extraction")
class AlphaOpenVINOConfig2(AlphaOnnxConfig):
    pass
'''

NEURON_PY = '''
TEXT_TASKS = ["feature-extraction", "fill-mask", "multiple-choice"]
register = TasksManager.create_register("neuron")

@register("alpha", *[t for t in TEXT_TASKS if t != "multiple-choice"])
class AlphaNeuronConfig(NeuronConfig):
    pass

@register("alpha", "feature-extraction")
class AlphaNeuronConfig2(NeuronConfig):
    pass
'''


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(text))


def commit(n):
    return ("%x" % n) * 40


def generation():
    prov = {name: {"repository": "https://example.invalid/" + name, "commit": commit(i + 1)}
            for i, name in enumerate(("optimum", "transformers", "diffusers", "huggingface_hub"))}
    annotations = {
        "tasks.all_tasks.note": "n1", "tasks.tasks_to_library.note": "n2",
        "tasks.multi_loader_resolution.note": "n3", "tasks.table_guards.note": "n4",
        "tasks.method_signatures.note": "n5", "auto.note": "n6",
        "supported_model_types.exporter_availability": {"note": "n7", "onnx": "a", "tflite": "b"},
        "supported_model_types.task_value_semantics": "n8",
        "inference.determine_framework": {"ordered_checks": []},
        "inference.infer_library": {"ordered_checks": []},
        "inference.marker_files": {"exact": ["model_index.json", "config.json"],
                                   "prefix": ["sentence_"],
                                   "config_json_keys": {"timm": ["pretrained_cfg"]}},
        "inference.infer_task": {"library_defaults": {}},
        "inference.transformers_note": "n9", "inference.diffusers_note": "n10",
        "backend.openvino.effective_registry_note": "n11", "backend.openvino.notes": [],
        "backend.neuron.notes": []}
    annotations.update({"rules.%s.upstream" % rule: "cited: " + rule for rule in (
        "model_type_keys", "frameworks", "get_all_tasks_custom_class_tasks",
        "infer_task_from_model_library_name", "exporters", "core_exporters")})
    sources = {name: {"fetch": "github:x/" + name, "ref": "v0", "commit": commit(i + 1),
                      "paths": []}
               for i, name in enumerate(("optimum", "transformers", "diffusers"))}
    sources["optimum-intel"] = dict(sources["optimum"], commit=commit(5))
    sources["optimum-neuron"] = dict(sources["optimum"], commit=commit(6))
    backends = {
        "openvino": {"source": "optimum-intel", "repository": {"commit": commit(5)},
                     "copies_onnx_entries": True,
                     "files": ["optimum/exporters/openvino/model_configs.py"]},
        "neuron": {"source": "optimum-neuron", "repository": {"commit": commit(6)},
                   "files": ["optimum/exporters/neuron/model_configs.py"]}}
    return {"name": "test", "sources": sources, "provenance": prov, "backends": backends,
            "annotations": annotations}


class SourcesFixture(unittest.TestCase):
    """The synthetic source tree in a temporary folder, and a run of the tool on it."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.roots = {n: os.path.join(self.dir, n) for n in (
            "optimum", "transformers", "diffusers", "optimum-intel", "optimum-neuron")}
        write(self.roots["optimum"], "optimum/exporters/tasks.py", TASKS_PY)
        write(self.roots["optimum"], "optimum/exporters/onnx/model_configs.py", CONFIGS_PY)
        auto = "src/transformers/models/auto/"
        write(self.roots["transformers"], auto + "modeling_auto.py", MODELING_AUTO)
        write(self.roots["transformers"], auto + "modeling_tf_auto.py", MODELING_TF_AUTO)
        write(self.roots["transformers"], "src/transformers/utils/__init__.py", UTILS)
        write(self.roots["transformers"], "src/transformers/__init__.py", TRANSFORMERS_INIT)
        write(self.roots["diffusers"], "src/diffusers/pipelines/auto_pipeline.py", AUTO_PIPELINE)
        write(self.roots["optimum-intel"], "optimum/exporters/openvino/model_configs.py",
              INTEL_PY)
        write(self.roots["optimum-neuron"], "optimum/exporters/neuron/model_configs.py",
              NEURON_PY)
        self.gen = generation()

    def tearDown(self):
        self.tmp.cleanup()

    def run_tool(self):
        gen_path = os.path.join(self.dir, "gen.json")
        with open(gen_path, "w") as f:
            json.dump(self.gen, f)
        out = os.path.join(self.dir, "out")
        args = [sys.executable, TOOL, "--generation", gen_path, "--out", out]
        for name, root in self.roots.items():
            args += ["--source", "%s=%s" % (name, root)]
        proc = subprocess.run(args, capture_output=True, text=True)
        return proc, out

    def load(self, out, name):
        with open(os.path.join(out, name)) as f:
            return json.load(f)


class SyntheticSources(SourcesFixture):
    def test_tables(self):
        proc, out = self.run_tool()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        smt = self.load(out, "supported_model_types.json")
        alpha = smt["libraries"]["transformers"]["model_types"]["alpha"]
        # A task restricted to ("onnx",) is absent for tflite; the repeated one keeps its place.
        self.assertEqual(list(alpha["exporters"]["onnx"]), ["feature-extraction", "multiple-choice"])
        self.assertEqual(list(alpha["exporters"]["tflite"]), ["feature-extraction"])
        self.assertEqual(smt["duplicates_in_source"][0]["duplicate_tasks"], ["feature-extraction"])
        self.assertEqual(smt["libraries"]["transformers"]["model_types"]["beta"]["exporters"],
                         {"onnx": {"text-generation": "BetaOnnxConfig",
                                   "text-generation-with-past": "BetaOnnxConfig"}})
        beta = smt["config_classes"]["BetaOnnxConfig"]
        self.assertTrue(beta["supports_past"])
        self.assertEqual(beta["definitions"][0]["ancestry"],
                         ["BetaOnnxConfig", "OnnxConfigWithPast", "OnnxConfig", "ExportConfig"])
        self.assertFalse(smt["config_classes"]["AlphaOnnxConfig"]["supports_past"])
        self.assertEqual(smt["with_past_support_violations"], [])

        tasks = self.load(out, "tasks.json")
        pt = tasks["model_loaders"]["pt"]["libraries"]
        self.assertEqual(list(pt), ["transformers", "diffusers", "timm", "sentence_transformers"])
        self.assertEqual(pt["diffusers"]["source"]["guards"],
                         ["is_torch_available()", "is_diffusers_available()"])
        asr = pt["transformers"]["tasks"]["automatic-speech-recognition"]
        self.assertTrue(asr["multiple"])
        self.assertEqual(asr["loaders"][1]["names_table"], "MODEL_FOR_CTC_MAPPING_NAMES")
        self.assertFalse(asr["loaders"][0]["exported_by_transformers"])
        self.assertEqual(tasks["cli_model_types"]["supported"], ["alpha", "beta"])
        self.assertEqual(tasks["all_tasks"]["by_environment"]["torch_without_diffusers"],
                         ["automatic-speech-recognition", "feature-extraction",
                          "image-classification"])
        guards = tasks["table_guards"]["attributes"]["_TRANSFORMERS_TASKS_TO_MODEL_LOADERS"]
        self.assertEqual([g["assigns_empty_dict"] for g in guards], [True, False])
        params = tasks["method_signatures"]["methods"]["determine_framework"]["parameters"]
        self.assertEqual(params[0], {"name": "model", "kind": "positional_or_keyword",
                                     "required": True})
        self.assertEqual(params[3]["default_name"], "HUB_CACHE")

        auto = self.load(out, "transformers_auto_mappings.json")
        self.assertEqual(auto["frameworks"]["pt"]["auto_classes"]["AutoModelDeprecatedAlias"]
                         ["names_table"], "MODEL_MAPPING_NAMES")
        self.assertEqual(auto["constants"]["ALIAS_NAME"]["value"], "config.json")

        inference = self.load(out, "inference.json")
        asr_map = inference["transformers_tasks_to_model_mappings"]["pt"][
            "automatic-speech-recognition"]
        self.assertEqual(asr_map, {"beta": "BetaForS2S", "alpha": "AlphaForCTC"})
        self.assertEqual(inference["transformers_tasks_to_model_mappings"]["tf_missing_loaders"],
                         [{"task": "image-segmentation", "loader": "TFAutoMissing"}])
        kolors = inference["diffusers_tasks_to_model_mappings"]["map"]["text-to-image"]["kolors"]
        self.assertEqual(kolors["condition"], "is_sentencepiece_available()")

    def test_backends(self):
        proc, out = self.run_tool()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        ov = self.load(out, "backends/openvino.json")
        # overwrite_existing=True: the later decorator wins; the onnx entries were copied first.
        self.assertEqual(ov["effective_registry"]["transformers"]["alpha"],
                         {"feature-extraction": "AlphaOpenVINOConfig2",
                          "multiple-choice": "AlphaOnnxConfig",
                          "text-generation": "AlphaOpenVINOConfig"})
        self.assertEqual([e["table"] for e in ov["tasks_manager_side_effects"]],
                         ["_TRANSFORMERS_TASKS_TO_MODEL_LOADERS",
                          "_LIBRARY_TO_SUPPORTED_MODEL_TYPES"])
        self.assertEqual(ov["tasks_manager_side_effects"][0]["value"],
                         {"same_object_as": {"table": "_TRANSFORMERS_TASKS_TO_MODEL_LOADERS",
                                             "key": ["feature-extraction"]}})
        self.assertEqual(ov["tasks_outside_core_get_all_tasks"],
                         ["image-text-to-text", "text-generation"])
        neuron = self.load(out, "backends/neuron.json")
        # Without overwrite the first registration wins; the comprehension filtered a task.
        self.assertEqual(neuron["registered_by_decorators"]["transformers"]["alpha"],
                         {"feature-extraction": "AlphaNeuronConfig",
                          "fill-mask": "AlphaNeuronConfig"})
        self.assertEqual(neuron["register_calls"][0]["overwrite_existing"], False)

    def use_onnx_backend(self, base):
        """Optimum 2.x's layout: optimum-onnx registers 'onnx' through create_register, with
        one class whose base is `<base>`; openvino is imported after it."""
        self.roots["optimum-onnx"] = os.path.join(self.dir, "optimum-onnx")
        write(self.roots["optimum-onnx"], "optimum/exporters/onnx/model_configs.py",
              'register = TasksManager.create_register("onnx")\n\n'
              '@register("gamma", "text-generation", "text-generation-with-past")\n'
              "class GammaOnnxConfig(%s):\n    pass\n" % base)
        self.gen["sources"]["optimum-onnx"] = dict(self.gen["sources"]["optimum"],
                                                   commit=commit(7))
        self.gen["backends"] = {
            "onnx": {"source": "optimum-onnx", "repository": {"commit": commit(7)},
                     "registers_core_exporter": True,
                     "files": ["optimum/exporters/onnx/model_configs.py"]},
            "openvino": self.gen["backends"]["openvino"]}
        self.gen["annotations"]["backend.onnx.notes"] = []

    def test_core_exporter_from_a_backend_with_conditional_base(self):
        self.use_onnx_backend('OnnxConfigWithPast if is_transformers_version(">=", "4.46") '
                              "else BetaOnnxConfig")
        proc, out = self.run_tool()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        onnx = self.load(out, "backends/onnx.json")
        gamma = onnx["config_classes"]["GammaOnnxConfig"]
        self.assertTrue(gamma["supports_past"])
        self.assertEqual(gamma["definitions"][0]["package"], "optimum-onnx")
        self.assertEqual(gamma["definitions"][0]["ancestry"],
                         ["GammaOnnxConfig", "OnnxConfigWithPast", "OnnxConfig", "ExportConfig"])
        self.assertEqual(onnx["with_past_support_violations"], [])
        ov = self.load(out, "backends/openvino.json")
        self.assertEqual(ov["effective_registry"]["transformers"]["gamma"],
                         {"text-generation": "GammaOnnxConfig",
                          "text-generation-with-past": "GammaOnnxConfig"})

    def test_core_exporter_registered_by_optimum_itself(self):
        # Optimum 1.27's layout: the core tables keep their model types, and the onnx classes
        # are registered by decorators in optimum's own onnx/model_configs.py.
        configs = os.path.join(self.roots["optimum"], "optimum/exporters/onnx/model_configs.py")
        with open(configs, "a") as f:
            f.write('\nregister = TasksManager.create_register("onnx")\n\n'
                    '@register("gamma", "text-generation", "text-generation-with-past")\n'
                    "class GammaOnnxConfig(OnnxConfigWithPast):\n    pass\n")
        self.gen["backends"] = {
            "onnx": {"source": "optimum", "repository": {"commit": commit(1)},
                     "registers_core_exporter": True,
                     "files": ["optimum/exporters/onnx/model_configs.py"]},
            "openvino": self.gen["backends"]["openvino"]}
        self.gen["annotations"]["backend.onnx.notes"] = []
        proc, out = self.run_tool()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        onnx = self.load(out, "backends/onnx.json")
        gamma = onnx["config_classes"]["GammaOnnxConfig"]["definitions"]
        self.assertEqual(len(gamma), 1)
        self.assertNotIn("package", gamma[0])  # one package: optimum's classes, read once
        rules = self.load(out, "rules.json")["rules"]
        self.assertEqual(rules["core_exporters"]["value"], ["onnx", "tflite"])
        self.assertEqual(rules["exporters"]["value"], ["onnx", "tflite", "openvino"])
        ov = self.load(out, "backends/openvino.json")
        self.assertEqual(ov["effective_registry"]["transformers"]["gamma"],
                         {"text-generation": "GammaOnnxConfig",
                          "text-generation-with-past": "GammaOnnxConfig"})

    def test_conditional_base_whose_branches_disagree_on_past_stops(self):
        self.use_onnx_backend('OnnxConfigWithPast if is_transformers_version(">=", "4.46") '
                              "else AlphaOnnxConfig")
        proc, _ = self.run_tool()
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("optimum/exporters/onnx/model_configs.py:4: the base class of "
                      "GammaOnnxConfig is conditional", proc.stderr)

    def test_rules_read_from_the_sources(self):
        proc, out = self.run_tool()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rules = self.load(out, "rules.json")["rules"]
        self.assertEqual({name: rule["value"] for name, rule in rules.items()}, {
            "model_type_keys": "lower_dash", "frameworks": ["pt", "tf"],
            "get_all_tasks_custom_class_tasks": "none",
            "infer_task_from_model_library_name": False,
            "exporters": ["onnx", "tflite", "openvino", "neuron"],
            "core_exporters": ["onnx", "tflite"]})
        line = TASKS_PY.count("\n", 0, TASKS_PY.index('model_type = model_type.lower()')) + 1
        self.assertEqual(rules["model_type_keys"]["evidence"]["line"], line)
        self.assertEqual(rules["frameworks"]["upstream"], "cited: frameworks")
        # Optimum 2.x: keys used as given, library_name taken, exporters from the backends.
        write(self.roots["optimum"], "optimum/exporters/tasks.py", TASKS_PY.replace(
            '        model_type = model_type.lower().replace("_", "-")\n', "").replace(
            'subfolder=""):', 'subfolder="", library_name=None):'))
        self.use_onnx_backend("OnnxConfigWithPast")
        proc, out = self.run_tool()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rules = self.load(out, "rules.json")["rules"]
        self.assertEqual(rules["model_type_keys"]["value"], "exact")
        self.assertTrue(rules["infer_task_from_model_library_name"]["value"])

    def test_unknown_model_type_rewrite_stops(self):
        write(self.roots["optimum"], "optimum/exporters/tasks.py", TASKS_PY.replace(
            'model_type.lower().replace("_", "-")', 'model_type.upper()'))
        proc, _ = self.run_tool()
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("unknown model type normalization model_type.upper()", proc.stderr)

    def test_get_all_tasks_lists_custom_class_tasks_when_it_reads_them(self):
        proc, out = self.run_tool()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        envs = self.load(out, "tasks.json")["all_tasks"]["by_environment"]
        self.assertNotIn("image-to-text", envs["torch_and_diffusers"])
        write(self.roots["optimum"], "optimum/exporters/tasks.py", TASKS_PY.replace(
            "for d in TasksManager._LIBRARY_TO_TASKS_TO_MODEL_LOADER_MAP.values() for t in d]",
            "for d in TasksManager._LIBRARY_TO_TASKS_TO_MODEL_LOADER_MAP.values() for t in d]"
            " + [k[2] for k in TasksManager._CUSTOM_CLASSES]"))
        proc, out = self.run_tool()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        envs = self.load(out, "tasks.json")["all_tasks"]["by_environment"]
        self.assertIn("image-to-text", envs["torch_and_diffusers"])
        self.assertIn("image-to-text", envs["tensorflow_only"])
        # 1.27's form: only the custom classes of the active framework.
        write(self.roots["optimum"], "optimum/exporters/tasks.py", TASKS_PY.replace(
            "for d in TasksManager._LIBRARY_TO_TASKS_TO_MODEL_LOADER_MAP.values() for t in d]",
            "for d in TasksManager._LIBRARY_TO_TASKS_TO_MODEL_LOADER_MAP.values() for t in d]"
            " + [k[2] for k in TasksManager._CUSTOM_CLASSES if k[0] == 'pt']"))
        proc, out = self.run_tool()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        envs = self.load(out, "tasks.json")["all_tasks"]["by_environment"]
        self.assertIn("image-to-text", envs["torch_without_diffusers"])
        self.assertNotIn("image-to-text", envs["tensorflow_only"])

    def test_unreadable_expression_names_file_and_line(self):
        write(self.roots["optimum"], "optimum/exporters/tasks.py",
              TASKS_PY.replace('_SYNONYM_TASK_MAP = {"default": "feature-extraction"}',
                               "_SYNONYM_TASK_MAP = build_synonyms()"))
        proc, _ = self.run_tool()
        self.assertNotEqual(proc.returncode, 0)
        line = TASKS_PY.count("\n", 0, TASKS_PY.index("_SYNONYM_TASK_MAP")) + 1
        self.assertIn("optimum/exporters/tasks.py:%d: cannot evaluate call build_synonyms()"
                      % line, proc.stderr)

    def test_pinned_commit_must_match_provenance(self):
        self.gen["sources"]["optimum"]["commit"] = commit(9)
        proc, _ = self.run_tool()
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("sources.optimum.commit", proc.stderr)


@unittest.skipUnless(shutil.which("git"), "git is not installed (a developer running the "
                     "check script has it; a bare build container may not)")
class CheckScript(SourcesFixture):
    """tools/check_registry_from_source.sh on git repositories of the synthetic sources."""

    def git(self, repo, *args):
        return subprocess.run(["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t",
                               "-c", "commit.gpgsign=false", *args], check=True,
                              capture_output=True, text=True).stdout.strip()

    def setUp(self):
        super().setUp()
        self.mirrors = os.path.join(self.dir, "mirrors")
        commits = {}
        for name, root in self.roots.items():
            repo = os.path.join(self.mirrors, "x+" + name)
            os.makedirs(repo)
            subprocess.run(["cp", "-r", root + "/.", repo], check=True)
            self.git(repo, "init", "-q")
            self.git(repo, "add", "-A")
            self.git(repo, "commit", "-q", "-m", "sources")
            self.git(repo, "tag", "v0")
            commits[name] = self.git(repo, "rev-parse", "HEAD")
            top = "src" if name in ("transformers", "diffusers") else "optimum"
            self.gen["sources"][name] = {"fetch": "github:x/" + name, "ref": "v0",
                                         "commit": commits[name], "paths": [top]}
        for name in ("optimum", "transformers", "diffusers"):
            self.gen["provenance"][name]["commit"] = commits[name]
        for spec in self.gen["backends"].values():
            spec["repository"]["commit"] = commits[spec["source"]]

    def run_script(self, reference):
        script = os.path.join(ROOT, "tools", "check_registry_from_source.sh")
        return subprocess.run(["bash", script, os.path.join(self.dir, "gen.json"), self.mirrors,
                               reference], capture_output=True, text=True)

    def test_script_rebuilds_from_the_pinned_commits_and_diffs(self):
        proc, reference = self.run_tool()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        proc = self.run_script(reference)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("reference JSON: identical", proc.stdout)
        # A reference that differs from what the sources give fails the check.
        with open(os.path.join(reference, "tasks.json"), "a") as f:
            f.write(" ")
        self.assertNotEqual(self.run_script(reference).returncode, 0)

    def test_script_refuses_a_ref_that_is_not_the_pinned_commit(self):
        proc, reference = self.run_tool()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        repo = os.path.join(self.mirrors, "x+diffusers")
        write(repo, "src/diffusers/pipelines/auto_pipeline.py", AUTO_PIPELINE + "\n")
        self.git(repo, "commit", "-q", "-am", "moved")
        self.git(repo, "tag", "-f", "v0")
        proc = self.run_script(reference)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("diffusers v0 is", proc.stderr)


class CommittedGenerations(unittest.TestCase):
    """Each tools/generations/*.json and its committed reference say the same of provenance and
    prose, and every generated file names its sources."""

    def generations(self):
        folder = os.path.join(ROOT, "tools", "generations")
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
        self.assertIn("1.23.json", names)
        self.assertIn("1.27.json", names)
        self.assertIn("2.1.json", names)
        for name in names:
            with open(os.path.join(folder, name)) as f:
                yield name, json.load(f)

    def reference(self, gen, name):
        with open(os.path.join(ROOT, gen["outputs"]["reference"], name)) as f:
            return json.load(f)

    def test_provenance_and_annotations_match_reference(self):
        for name, gen in self.generations():
            with self.subTest(generation=name):
                tasks = self.reference(gen, "tasks.json")
                self.assertEqual(tasks["provenance"], gen["provenance"])
                self.assertEqual(self.reference(gen, "transformers_auto_mappings.json")
                                 ["provenance"], gen["provenance"]["transformers"])
                ann = gen["annotations"]
                for backend, spec in gen["backends"].items():
                    ref = self.reference(gen, "backends/%s.json" % backend)
                    self.assertEqual(ref["repository"], spec["repository"])
                    self.assertEqual(ref["notes"], ann["backend.%s.notes" % backend])
                self.assertEqual(tasks["all_tasks"]["note"], ann["tasks.all_tasks.note"])
                rules = dict(self.reference(gen, "inference.json")["determine_framework"])
                del rules["method"]
                self.assertEqual(rules, ann["inference.determine_framework"])

    def test_every_data_file_has_provenance(self):
        for name, gen in self.generations():
            for key in ("registry", "registry_optional"):
                folder = os.path.join(ROOT, gen["outputs"][key])
                if key == "registry":
                    self.assertTrue(os.path.isdir(folder), folder)
                for data in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
                    with open(os.path.join(folder, data)) as f:
                        text = f.read()
                    with self.subTest(generation=name, file=data):
                        self.assertIn("\nprovenance {\n", text)
                        self.assertRegex(text, r'\n  commit: "[0-9a-f]{40}"\n')


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
