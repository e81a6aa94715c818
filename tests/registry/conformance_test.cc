// Conformance of the core TasksManager of every embedded generation with that generation's
// reference tables (tests/reference/ for 1.23, tests/reference-2.1/ for 2.1, ...), table-driven
// over every entry. The expectations come from the reference JSON, never from data/registry*/;
// where a generation's rules (rules.json) change an answer, the expectation follows the rule.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace tasks::registry {
namespace {

using ::tasks::testing::EmbeddedGeneration;
using ::tasks::testing::EmbeddedGenerationNames;
using ::tasks::testing::GenerationReference;
using ::tasks::testing::GenerationReferenceExists;
using ::tasks::testing::Reason;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using json = nlohmann::ordered_json;

// (task key, config class) in registry order.
using TaskList = std::vector<std::pair<std::string, std::string>>;

TaskList ToList(const ExporterTasks& tasks) {
  TaskList list;
  for (const TaskEntry& entry : tasks.tasks) list.emplace_back(entry.key, entry.config_class);
  return list;
}

TaskList ToList(const json& task_to_class) {
  TaskList list;
  for (const auto& [task, config_class] : task_to_class.items()) {
    list.emplace_back(task, config_class.get<std::string>());
  }
  return list;
}

std::string Dashed(const std::string& model_type) {
  return absl::StrReplaceAll(model_type, {{"_", "-"}});
}
std::string Underscored(const std::string& model_type) {
  return absl::StrReplaceAll(model_type, {{"-", "_"}});
}
std::string WithoutPast(const std::string& task) {
  return absl::StrReplaceAll(task, {{"-with-past", ""}});
}

// The parameter is a generation's name ("1.23", "2.1", ...).
class Conformance : public ::testing::TestWithParam<std::string> {
 protected:
  const TasksManager& Manager() const { return EmbeddedGeneration(GetParam()); }
  const json& Ref(const std::string& relative_path) const {
    return GenerationReference(GetParam(), relative_path);
  }
  const json& Rule(const std::string& name) const {
    return Ref("rules.json")["rules"][name]["value"];
  }
  // optimum 1.x lower-cases a queried model type and spells '_' as '-'; from 1.27 the keys are
  // transformers' own spellings and nothing is rewritten (huggingface/optimum#2279).
  bool ExactModelTypeKeys() const { return Rule("model_type_keys") == "exact"; }
  std::vector<std::string> CoreExporters() const {
    return Rule("core_exporters").get<std::vector<std::string>>();
  }

  // The four libraries whose registries Optimum's core declares.
  const json& CoreLibraries() const { return Ref("supported_model_types.json")["libraries"]; }

  // library → model type → exporter → {task key: config class}, in registration order: the core
  // registries as the core exporters fill them. Optimum 1.x declares them in tasks.py
  // (supported_model_types.json); Optimum 2.x ships them empty and the backend package of a core
  // exporter (optimum-onnx) registers into them (backends/<exporter>.json).
  json CoreRegistrations() const {
    json expected = json::object();
    for (const auto& [library, registry] : CoreLibraries().items()) {
      expected[library] = json::object();
      for (const auto& [model_type, entry] : registry["model_types"].items()) {
        expected[library][model_type] = entry["exporters"];
      }
    }
    for (const std::string& exporter : CoreExporters()) {
      const std::string backend = "backends/" + exporter + ".json";
      if (!GenerationReferenceExists(GetParam(), backend)) continue;
      for (const auto& [library, registry] : Ref(backend)["registered_by_decorators"].items()) {
        for (const auto& [model_type, tasks] : registry.items()) {
          expected[library][model_type][exporter] = tasks;
        }
      }
    }
    return expected;
  }

  void ExpectSupportedTasks(const std::string& library, const std::string& model_type,
                            const std::string& exporter, const TaskList& expected) const {
    SCOPED_TRACE(GetParam() + " " + library + "/" + model_type + "/" + exporter);
    auto answer =
        Manager().GetSupportedTasksForModelType(model_type, exporter, std::nullopt, library);
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(ToList(*answer->tasks), expected);
    for (const TaskEntry& entry : answer->tasks->tasks) {
      EXPECT_EQ(entry.use_past, absl::StrContains(entry.key, "-with-past")) << entry.key;
      EXPECT_EQ(entry.bound_task, WithoutPast(entry.key));
    }
  }

  // The tasks the generation's core tables know: those of its loader tables and of its core
  // registrations.
  std::set<std::string> TaskVocabulary() const {
    std::set<std::string> vocabulary;
    for (const auto& [framework, tables] : Ref("tasks.json")["model_loaders"].items()) {
      for (const auto& [library, table] : tables["libraries"].items()) {
        for (const auto& [task, loaders] : table["tasks"].items()) vocabulary.insert(task);
      }
    }
    const json registrations = CoreRegistrations();
    for (const auto& [library, registry] : registrations.items()) {
      for (const auto& [model_type, exporters] : registry.items()) {
        for (const auto& [exporter, tasks] : exporters.items()) {
          for (const auto& [task, config_class] : tasks.items())
            vocabulary.insert(WithoutPast(task));
        }
      }
    }
    return vocabulary;
  }

  // Number of model types of `library` that have `exporter` in the generation's registry.
  int CountModelTypesWith(const std::string& library, const std::string& exporter) const {
    int count = 0;
    const LibraryRegistry* registry = Manager().snapshot().FindLibrary(library);
    for (const ModelTypeEntry& entry : registry->model_types.entries()) {
      count += entry.FindExporter(exporter) != nullptr;
    }
    return count;
  }
};

TEST_P(Conformance, EveryCoreModelTypeAndExporterMatchesTheReference) {
  const json expected = CoreRegistrations();
  int checked = 0;
  for (const auto& [library, registry] : expected.items()) {
    for (const auto& [model_type, exporters] : registry.items()) {
      for (const auto& [exporter, tasks] : exporters.items()) {
        ExpectSupportedTasks(library, model_type, exporter, ToList(tasks));
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100);
  // And no core library has more model types for these exporters than the reference.
  for (const std::string& exporter : CoreExporters()) {
    for (const auto& [library, registry] : expected.items()) {
      int model_types = 0;
      for (const auto& [model_type, exporters] : registry.items()) {
        model_types += exporters.contains(exporter);
      }
      EXPECT_EQ(CountModelTypesWith(library, exporter), model_types) << library << "/" << exporter;
    }
  }
}

TEST_P(Conformance, OpenvinoMatchesOptimumIntelsEffectiveRegistry) {
  // optimum-intel also registers an `open_clip` library and tasks Optimum's core tables do not
  // know (1.23: `image-text-to-text`; 2.1: `document-question-answering`); the service leaves
  // those out (README, "Differences from Optimum").
  const std::set<std::string> vocabulary = TaskVocabulary();
  const json& effective = Ref("backends/openvino.json")["effective_registry"];
  int model_types = 0;
  for (const auto& [library, registry] : effective.items()) {
    if (!CoreLibraries().contains(library)) continue;
    int library_model_types = 0;
    for (const auto& [model_type, tasks] : registry.items()) {
      TaskList expected;
      for (const auto& [task, config_class] : ToList(tasks)) {
        if (vocabulary.contains(WithoutPast(task))) expected.emplace_back(task, config_class);
      }
      if (expected.empty()) continue;
      ExpectSupportedTasks(library, model_type, "openvino", expected);
      ++library_model_types;
    }
    EXPECT_EQ(CountModelTypesWith(library, "openvino"), library_model_types) << library;
    model_types += library_model_types;
  }
  EXPECT_GT(model_types, 100);
}

// neuron registrations, by library and model type, from the decorations of `files` (or of every
// file but those when `exclude`), in decoration order, first registration winning.
json NeuronRegistrations(const json& decorations, const std::string& decoder_file, bool exclude) {
  json expected = json::object();
  for (const json& decoration : decorations) {
    if ((decoration["file"] == decoder_file) == exclude) continue;
    json& tasks = expected[decoration["library_name"].get<std::string>()]
                          [decoration["model_type"].get<std::string>()];
    for (const json& task : decoration["tasks"]) {
      if (!tasks.contains(task.get<std::string>()))
        tasks[task.get<std::string>()] = decoration["class"];
    }
  }
  return expected;
}

constexpr char kNeuronDecoderConfigs[] =
    "optimum/exporters/neuron/model_configs/decoder_configs.py";

TEST_P(Conformance, NeuronMatchesOptimumNeuronWithoutTransformersNeuronx) {
  if (!GenerationReferenceExists(GetParam(), "backends/neuron.json")) {
    // No optimum-neuron release accepts this generation's Optimum: no neuron exporter at all.
    auto neuron =
        Manager().GetSupportedTasksForModelType("bert", "neuron", std::nullopt, "transformers");
    EXPECT_EQ(Reason(neuron.status()), "KeyError");
    EXPECT_THAT(Manager().snapshot().ExporterNames(),
                ::testing::Not(::testing::Contains("neuron")));
    return;
  }
  const json expected = NeuronRegistrations(Ref("backends/neuron.json")["decorations"],
                                            kNeuronDecoderConfigs, /*exclude=*/true);
  for (const auto& [library, registry] : expected.items()) {
    for (const auto& [model_type, tasks] : registry.items()) {
      ExpectSupportedTasks(library, model_type, "neuron", ToList(tasks));
    }
    EXPECT_EQ(CountModelTypesWith(library, "neuron"), static_cast<int>(registry.size()));
  }
  // Only registered when transformers_neuronx is installed (data/registry-optional/).
  auto gpt2 =
      Manager().GetSupportedTasksForModelType("gpt2", "neuron", std::nullopt, "transformers");
  EXPECT_EQ(gpt2.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(Conformance, TfliteExistsOnlyWhereTheGenerationHasIt) {
  const std::vector<std::string> exporters = Rule("exporters").get<std::vector<std::string>>();
  EXPECT_EQ(Manager().snapshot().ExporterNames(), exporters);
  if (absl::c_linear_search(exporters, "tflite")) return;  // checked with the core exporters
  auto tflite =
      Manager().GetSupportedTasksForModelType("bert", "tflite", std::nullopt, "transformers");
  EXPECT_EQ(Reason(tflite.status()), "KeyError");
  EXPECT_EQ(
      Reason(Manager().GetSupportedModelTypeForTask("text-classification", "tflite").status()),
      "KeyError");
}

TEST_P(Conformance, WithoutLibraryTheLastRegistryInMergeOrderWins) {
  // Optimum merges diffusers, timm, sentence_transformers, transformers (in every generation);
  // a later library's entry replaces the whole model type.
  const json registrations = CoreRegistrations();
  std::map<std::string, TaskList> expected;
  for (const std::string library : {"diffusers", "timm", "sentence_transformers", "transformers"}) {
    for (const auto& [model_type, exporters] : registrations[library].items()) {
      if (exporters.contains("onnx")) expected[model_type] = ToList(exporters["onnx"]);
    }
  }
  EXPECT_GT(expected.size(), 100u);
  for (const auto& [model_type, tasks] : expected) {
    auto answer =
        Manager().GetSupportedTasksForModelType(model_type, "onnx", std::nullopt, std::nullopt);
    ASSERT_TRUE(answer.ok()) << model_type << ": " << answer.status();
    EXPECT_EQ(ToList(*answer->tasks), tasks) << model_type;
    EXPECT_EQ(answer->library_name, "");
  }
}

// How a queried model type is looked up: 1.x normalizes the query (lower case, '-' for '_'),
// from 1.27 it is a key as given.
TEST_P(Conformance, QueriedModelTypesFollowTheGenerationsKeyRule) {
  const json registrations = CoreRegistrations();
  int checked = 0;
  for (const auto& [model_type, exporters] : registrations["transformers"].items()) {
    if (!exporters.contains("onnx")) continue;
    const std::string other_spelling =
        absl::StrContains(model_type, "-") ? Underscored(model_type) : Dashed(model_type);
    if (other_spelling == model_type) continue;
    auto answer = Manager().GetSupportedTasksForModelType(other_spelling, "onnx", std::nullopt,
                                                          "transformers");
    if (ExactModelTypeKeys()) {
      // Another spelling is another key: unknown unless the registry has it too.
      if (!registrations["transformers"].contains(other_spelling)) {
        EXPECT_EQ(Reason(answer.status()), "KeyError") << other_spelling;
      }
    } else {
      ASSERT_TRUE(answer.ok()) << other_spelling << ": " << answer.status();
      EXPECT_EQ(answer->model_type, model_type);
    }
    ++checked;
  }
  EXPECT_GT(checked, 5);
  // Nor case-folded from 1.27.
  auto upper =
      Manager().GetSupportedTasksForModelType("GPT2", "onnx", std::nullopt, "transformers");
  if (ExactModelTypeKeys()) {
    EXPECT_EQ(Reason(upper.status()), "KeyError");
  } else {
    ASSERT_TRUE(upper.ok()) << upper.status();
    EXPECT_EQ(upper->model_type, "gpt2");
  }
  // Never trimmed.
  auto padded =
      Manager().GetSupportedTasksForModelType(" bert", "onnx", std::nullopt, "transformers");
  EXPECT_EQ(padded.status().code(), absl::StatusCode::kNotFound);
}

TEST_P(Conformance, DefaultConfigLibrariesAnswerEveryModelTypeWithTheirDefault) {
  const json registrations = CoreRegistrations();
  const json& defaults = Ref("tasks.json")["model_type_for_default_config"]["map"];
  ASSERT_FALSE(defaults.empty());
  for (const auto& [library, default_model_type] : defaults.items()) {
    const json& exporters = registrations[library][default_model_type.get<std::string>()];
    for (const std::string model_type : {"resnet50", "vit_base_patch16_224", "bert"}) {
      for (const auto& [exporter, tasks] : exporters.items()) {
        auto answer =
            Manager().GetSupportedTasksForModelType(model_type, exporter, std::nullopt, library);
        ASSERT_TRUE(answer.ok()) << library << "/" << model_type << ": " << answer.status();
        EXPECT_EQ(answer->model_type, default_model_type.get<std::string>());
        EXPECT_EQ(ToList(*answer->tasks), ToList(tasks));
      }
    }
  }
}

TEST_P(Conformance, GetAllTasksIsTheReferenceListForTorchWithDiffusers) {
  const json& expected = Ref("tasks.json")["all_tasks"]["by_environment"]["torch_and_diffusers"];
  EXPECT_THAT(Manager().GetAllTasks(), ElementsAreArray(expected.get<std::vector<std::string>>()));
}

TEST_P(Conformance, EverySynonymMapsOneStepAndOtherNamesAreUnchanged) {
  const json& synonyms = Ref("tasks.json")["synonyms"]["map"];
  ASSERT_FALSE(synonyms.empty());
  for (const auto& [name, task] : synonyms.items()) {
    EXPECT_EQ(Manager().MapFromSynonym(name), task.get<std::string>()) << name;
  }
  EXPECT_EQ(Manager().MapFromSynonym("text-generation"), "text-generation");
  EXPECT_EQ(Manager().MapFromSynonym("Default"), "Default");  // no case folding
  EXPECT_EQ(Manager().MapFromSynonym("no-such-task"), "no-such-task");
}

TEST_P(Conformance, SynonymsForTaskEqualTheDefinitionForEveryKnownName) {
  const json& synonyms = Ref("tasks.json")["synonyms"]["map"];
  std::set<std::string> names;
  for (const auto& [name, task] : synonyms.items()) {
    names.insert(name);
    names.insert(task.get<std::string>());
  }
  for (const json& task : Ref("tasks.json")["all_tasks"]["by_environment"]["torch_and_diffusers"]) {
    names.insert(task.get<std::string>());
  }
  for (const std::string& task : names) {
    // {k : map[k] == task} | {k : map[k] == map_from_synonym(task)}, minus task itself.
    const std::string canonical =
        synonyms.contains(task) ? synonyms[task].get<std::string>() : task;
    std::vector<std::string> expected;
    for (const auto& [name, target] : synonyms.items()) {
      if ((target == task || target == canonical) && name != task) expected.push_back(name);
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(Manager().SynonymsForTask(task), expected) << task;
  }
}

TEST_P(Conformance, GetSupportedModelTypeForTaskListsTransformersModelTypesInRegistryOrder) {
  const json transformers = CoreRegistrations()["transformers"];
  std::set<std::string> tasks = {"causal-lm", "no-such-task"};
  for (const auto& [model_type, exporters] : transformers.items()) {
    for (const auto& [exporter, task_map] : exporters.items()) {
      for (const auto& [task, config_class] : task_map.items()) tasks.insert(task);
    }
  }
  for (const std::string& exporter : CoreExporters()) {
    for (const std::string& task : tasks) {
      std::vector<std::string> expected;
      for (const auto& [model_type, exporters] : transformers.items()) {
        if (exporters.contains(exporter) && exporters[exporter].contains(task)) {
          // 1.x returns '_' spellings of its '-' keys; from 1.27 the keys as they are.
          expected.push_back(ExactModelTypeKeys() ? model_type : Underscored(model_type));
        }
      }
      auto answer = Manager().GetSupportedModelTypeForTask(task, exporter);
      ASSERT_TRUE(answer.ok()) << task << "/" << exporter << ": " << answer.status();
      EXPECT_EQ(*answer, expected) << task << "/" << exporter;
    }
  }
}

TEST_P(Conformance, GetExporterConfigConstructorGivesEveryCoreRegistryKeysClass) {
  int checked = 0;
  const json registrations = CoreRegistrations();
  for (const auto& [library, registry] : registrations.items()) {
    for (const auto& [model_type, exporters] : registry.items()) {
      for (const auto& [exporter, tasks] : exporters.items()) {
        for (const auto& [task, config_class] : tasks.items()) {
          auto answer = Manager().GetExporterConfigConstructor(exporter, task, model_type,
                                                               std::nullopt, library);
          ASSERT_TRUE(answer.ok())
              << library << "/" << model_type << "/" << task << ": " << answer.status();
          EXPECT_EQ(answer->entry->config_class, config_class.get<std::string>());
          EXPECT_EQ(answer->entry->key, task);
          EXPECT_EQ(answer->model_type, model_type);
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 400);
}

TEST_P(Conformance, GetModelClassForTaskGivesEverySingleLoaderTasksClassAndModule) {
  int checked = 0;
  for (const auto& [framework, tables] : Ref("tasks.json")["model_loaders"].items()) {
    for (const auto& [library, table] : tables["libraries"].items()) {
      for (const auto& [task, entry] : table["tasks"].items()) {
        if (entry["multiple"].get<bool>()) continue;
        const json& loader = entry["loaders"][0];
        auto answer =
            Manager().GetModelClassForTask(task, framework, std::nullopt, std::nullopt, library);
        SCOPED_TRACE(framework + "/" + library + "/" + task);
        if (loader.value("auto_class_defined_in_transformers", true)) {
          ASSERT_TRUE(answer.ok()) << answer.status();
          EXPECT_EQ(answer->class_name, loader["class"].get<std::string>());
          EXPECT_EQ(answer->module, table["python_module"].get<std::string>());
          EXPECT_EQ(answer->resolution, ModelClass::Resolution::kLoader);
        } else {
          EXPECT_EQ(answer.status().code(), absl::StatusCode::kNotFound);
          EXPECT_EQ(Reason(answer.status()), "AttributeError");
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 20);
}

TEST_P(Conformance, GetModelClassForTaskRefusesTheFrameworksTheGenerationLacks) {
  const std::vector<std::string> frameworks = Rule("frameworks").get<std::vector<std::string>>();
  EXPECT_EQ(Manager().snapshot().frameworks, frameworks);
  for (const std::string framework : {"pt", "tf", "jax"}) {
    auto answer = Manager().GetModelClassForTask("text-classification", framework, "bert",
                                                 std::nullopt, "transformers");
    if (absl::c_linear_search(frameworks, framework)) {
      EXPECT_TRUE(answer.ok()) << framework << ": " << answer.status();
    } else {
      EXPECT_EQ(Reason(answer.status()), "ValueError") << framework;
      EXPECT_THAT(answer.status().message(), HasSubstr(framework)) << framework;
    }
  }
}

TEST_P(Conformance, SeveralLoadersPickTheFirstWhoseNamesTableListsTheModelType) {
  const json& auto_mappings = Ref("transformers_auto_mappings.json")["frameworks"]["pt"];
  auto model_types_of = [&](const std::string& auto_class) -> const json& {
    const std::string table = auto_mappings["auto_classes"][auto_class]["names_table"];
    return auto_mappings["names_tables"][table]["entries"];
  };
  // get_model_from_task's caller passes config.model_type, which 1.x spells with '-' and checks
  // in each names table as given and with '_'; from 1.27 it is passed and checked as given.
  auto listed_by = [&](const json& listed, const std::string& query) {
    return listed.contains(query) || (!ExactModelTypeKeys() && listed.contains(Underscored(query)));
  };
  std::set<std::pair<std::string, std::string>> custom_classes;  // (task, model type)
  for (const json& custom : Ref("tasks.json")["custom_classes"]["entries"]) {
    if (custom["framework"] == "pt") custom_classes.emplace(custom["task"], custom["model_type"]);
  }
  int checked = 0;
  for (const auto& [task, candidates] :
       Ref("tasks.json")["multi_loader_resolution"]["pt"].items()) {
    const auto names = candidates.get<std::vector<std::string>>();
    auto first =
        Manager().GetModelClassForTask(task, "pt", std::nullopt, std::nullopt, "transformers");
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->class_name, names.front());
    EXPECT_EQ(first->resolution, ModelClass::Resolution::kFirstCandidate);
    EXPECT_EQ(first->candidates, names);
    std::set<std::string> queries;
    for (const std::string& candidate : names) {
      for (const auto& [model_type, model_class] : model_types_of(candidate).items()) {
        queries.insert(model_type);
        queries.insert(Dashed(model_type));
      }
    }
    for (const std::string& query : queries) {
      if (custom_classes.contains({task, query})) continue;  // checked below
      std::string expected;
      for (const std::string& candidate : names) {
        if (listed_by(model_types_of(candidate), query)) {
          expected = candidate;
          break;
        }
      }
      auto answer = Manager().GetModelClassForTask(task, "pt", query, std::nullopt, "transformers");
      if (expected.empty()) {
        EXPECT_EQ(Reason(answer.status()), "ValueError") << task << "/" << query;
      } else {
        ASSERT_TRUE(answer.ok()) << task << "/" << query << ": " << answer.status();
        EXPECT_EQ(answer->class_name, expected) << task << "/" << query;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 30);
}

TEST_P(Conformance, CustomClassesWinOverLibraryAndModelClassName) {
  const json& entries = Ref("tasks.json")["custom_classes"]["entries"];
  ASSERT_FALSE(entries.empty());
  for (const json& custom : entries) {
    auto answer = Manager().GetModelClassForTask(
        custom["task"].get<std::string>(), custom["framework"].get<std::string>(),
        custom["model_type"].get<std::string>(), "SomethingElse", "timm");
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->class_name, custom["class_name"].get<std::string>());
    EXPECT_EQ(answer->module, custom["library"].get<std::string>());
    EXPECT_EQ(answer->resolution, ModelClass::Resolution::kCustomClass);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryGeneration, Conformance,
                         ::testing::ValuesIn(EmbeddedGenerationNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return absl::StrReplaceAll(info.param, {{".", "_"}});
                         });

// The 1.23 environment: backends register into their own views, never into the core answers.
TEST(Conformance123, BackendRegistrationsNeverChangeCoreAnswers) {
  const TasksManager& manager = EmbeddedGeneration("1.23");
  // openvino registers a transformers clip-text-model; for onnx the diffusers one still wins.
  auto onnx =
      manager.GetSupportedTasksForModelType("clip-text-model", "onnx", std::nullopt, std::nullopt);
  ASSERT_TRUE(onnx.ok()) << onnx.status();
  EXPECT_EQ(onnx->tasks->tasks.front().config_class, "CLIPTextOnnxConfig");
  // ... while openvino sees what Optimum sees with optimum-intel installed.
  auto openvino = manager.GetSupportedTasksForModelType("clip-text-model", "openvino", std::nullopt,
                                                        std::nullopt);
  ASSERT_TRUE(openvino.ok()) << openvino.status();
  EXPECT_EQ(openvino->tasks->tasks.front().config_class, "CLIPTextOpenVINOConfig");
  // A model type only a backend knows is unknown to the core exporters.
  auto baichuan =
      manager.GetSupportedTasksForModelType("baichuan", "onnx", std::nullopt, "transformers");
  EXPECT_EQ(baichuan.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Reason(baichuan.status()), "KeyError");
  // And a core model type lists the core exporters only when asked for an unknown one.
  auto typo = manager.GetSupportedTasksForModelType("bert", "onxx", std::nullopt, "transformers");
  EXPECT_THAT(std::string(typo.status().message()), HasSubstr("onnx, tflite."));
}

}  // namespace
}  // namespace tasks::registry
