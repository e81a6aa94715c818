// Conformance of the core TasksManager over the embedded registry with the reference tables
// (tests/reference/), table-driven over every entry. The expectations come from the reference
// JSON, never from data/registry/.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace tasks::registry {
namespace {

using ::tasks::testing::EmbeddedTasksManager;
using ::tasks::testing::Reason;
using ::tasks::testing::Reference;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
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

const json& CoreLibraries() { return Reference("supported_model_types.json")["libraries"]; }

// The four libraries whose registries Optimum's core declares.
bool IsCoreLibrary(const std::string& library) { return CoreLibraries().contains(library); }

void ExpectSupportedTasks(const std::string& library, const std::string& model_type,
                          const std::string& exporter, const TaskList& expected) {
  SCOPED_TRACE(library + "/" + model_type + "/" + exporter);
  auto answer = EmbeddedTasksManager().GetSupportedTasksForModelType(model_type, exporter,
                                                                     std::nullopt, library);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(ToList(*answer->tasks), expected);
  for (const TaskEntry& entry : answer->tasks->tasks) {
    EXPECT_EQ(entry.use_past, absl::StrContains(entry.key, "-with-past")) << entry.key;
    EXPECT_EQ(entry.bound_task, absl::StrReplaceAll(entry.key, {{"-with-past", ""}}));
  }
}

// Number of model types of `library` that have `exporter` in the embedded registry.
int CountModelTypesWith(const std::string& library, const std::string& exporter) {
  int count = 0;
  const LibraryRegistry* registry = EmbeddedTasksManager().snapshot().FindLibrary(library);
  for (const ModelTypeEntry& entry : registry->model_types.entries()) {
    count += entry.FindExporter(exporter) != nullptr;
  }
  return count;
}

TEST(GetSupportedTasksForModelType, EveryCoreModelTypeAndExporterMatchesTheReference) {
  int checked = 0;
  for (const auto& [library, registry] : CoreLibraries().items()) {
    for (const auto& [model_type, entry] : registry["model_types"].items()) {
      for (const auto& [exporter, tasks] : entry["exporters"].items()) {
        ExpectSupportedTasks(library, model_type, exporter, ToList(tasks));
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 102 + 16 + 5 + 1 + 2);  // transformers onnx + tflite, diffusers, timm, ST
  // And no core library has more model types for these exporters than the reference.
  for (const std::string exporter : {"onnx", "tflite"}) {
    for (const auto& [library, registry] : CoreLibraries().items()) {
      int expected = 0;
      for (const auto& [model_type, entry] : registry["model_types"].items()) {
        expected += entry["exporters"].contains(exporter);
      }
      EXPECT_EQ(CountModelTypesWith(library, exporter), expected) << library << "/" << exporter;
    }
  }
}

TEST(GetSupportedTasksForModelType, OpenvinoMatchesOptimumIntelsEffectiveRegistry) {
  // optimum-intel also registers an `open_clip` library and `image-text-to-text`, which extend
  // Optimum's core tables; the service leaves those out (README, "Differences from Optimum").
  const json& effective = Reference("backends/openvino.json")["effective_registry"];
  int model_types = 0;
  for (const auto& [library, registry] : effective.items()) {
    if (!IsCoreLibrary(library)) continue;
    int library_model_types = 0;
    for (const auto& [model_type, tasks] : registry.items()) {
      TaskList expected;
      for (const auto& [task, config_class] : ToList(tasks)) {
        if (task != "image-text-to-text") expected.emplace_back(task, config_class);
      }
      if (expected.empty()) continue;
      ExpectSupportedTasks(library, model_type, "openvino", expected);
      ++library_model_types;
    }
    EXPECT_EQ(CountModelTypesWith(library, "openvino"), library_model_types) << library;
    model_types += library_model_types;
  }
  EXPECT_GT(model_types, 130);
}

// neuron registrations, by library and model type, from the decorations of `files` (or of every
// file but those when `exclude`), in decoration order, first registration winning.
json NeuronRegistrations(const std::string& decoder_file, bool exclude) {
  json expected = json::object();
  for (const json& decoration : Reference("backends/neuron.json")["decorations"]) {
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

TEST(GetSupportedTasksForModelType, NeuronMatchesOptimumNeuronWithoutTransformersNeuronx) {
  const json expected = NeuronRegistrations(kNeuronDecoderConfigs, /*exclude=*/true);
  for (const auto& [library, registry] : expected.items()) {
    for (const auto& [model_type, tasks] : registry.items()) {
      ExpectSupportedTasks(library, model_type, "neuron", ToList(tasks));
    }
    EXPECT_EQ(CountModelTypesWith(library, "neuron"), static_cast<int>(registry.size()));
  }
  // Only registered when transformers_neuronx is installed (data/registry-optional/).
  auto gpt2 = EmbeddedTasksManager().GetSupportedTasksForModelType("gpt2", "neuron", std::nullopt,
                                                                   "transformers");
  EXPECT_EQ(gpt2.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(GetSupportedTasksForModelType, WithoutLibraryTheLastRegistryInMergeOrderWins) {
  // Optimum merges diffusers, timm, sentence_transformers, transformers; a later library's entry
  // replaces the whole model type.
  std::map<std::string, TaskList> expected;
  for (const std::string library : {"diffusers", "timm", "sentence_transformers", "transformers"}) {
    for (const auto& [model_type, entry] : CoreLibraries()[library]["model_types"].items()) {
      expected[model_type] = ToList(entry["exporters"]["onnx"]);
    }
  }
  for (const auto& [model_type, tasks] : expected) {
    auto answer = EmbeddedTasksManager().GetSupportedTasksForModelType(model_type, "onnx",
                                                                       std::nullopt, std::nullopt);
    ASSERT_TRUE(answer.ok()) << model_type << ": " << answer.status();
    EXPECT_EQ(ToList(*answer->tasks), tasks) << model_type;
    EXPECT_EQ(answer->library_name, "");
  }
  EXPECT_EQ(expected.size(), 102u + 5 + 1 + 1);  // clip is both transformers and ST
  auto clip = EmbeddedTasksManager().GetSupportedTasksForModelType("clip", "onnx", std::nullopt,
                                                                   std::nullopt);
  ASSERT_TRUE(clip.ok());
  EXPECT_EQ(clip->tasks->tasks.front().config_class, "CLIPOnnxConfig");
}

TEST(GetSupportedTasksForModelType, BackendRegistrationsNeverChangeCoreAnswers) {
  const auto& manager = EmbeddedTasksManager();
  // openvino registers a transformers clip-text-model; for onnx the diffusers one still wins.
  auto onnx = manager.GetSupportedTasksForModelType("clip-text-model", "onnx", std::nullopt,
                                                    std::nullopt);
  ASSERT_TRUE(onnx.ok()) << onnx.status();
  EXPECT_EQ(onnx->tasks->tasks.front().config_class, "CLIPTextOnnxConfig");
  // ... while openvino sees what Optimum sees with optimum-intel installed.
  auto openvino = manager.GetSupportedTasksForModelType("clip-text-model", "openvino",
                                                        std::nullopt, std::nullopt);
  ASSERT_TRUE(openvino.ok()) << openvino.status();
  EXPECT_EQ(openvino->tasks->tasks.front().config_class, "CLIPTextOpenVINOConfig");
  // A model type only a backend knows is unknown to the core exporters.
  auto baichuan = manager.GetSupportedTasksForModelType("baichuan", "onnx", std::nullopt,
                                                        "transformers");
  EXPECT_EQ(baichuan.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Reason(baichuan.status()), "KeyError");
  // And a core model type lists the core exporters only when asked for an unknown one.
  auto typo = manager.GetSupportedTasksForModelType("bert", "onxx", std::nullopt, "transformers");
  EXPECT_THAT(std::string(typo.status().message()), ::testing::HasSubstr("onnx, tflite."));
}

TEST(GetSupportedTasksForModelType, NormalisesTheQueryButNotTheKeys) {
  const auto& manager = EmbeddedTasksManager();
  auto gpt_neo =
      manager.GetSupportedTasksForModelType("GPT_Neo", "onnx", std::nullopt, "transformers");
  ASSERT_TRUE(gpt_neo.ok());
  EXPECT_EQ(gpt_neo->model_type, "gpt-neo");
  // No trimming.
  auto padded =
      manager.GetSupportedTasksForModelType(" bert", "onnx", std::nullopt, "transformers");
  EXPECT_EQ(padded.status().code(), absl::StatusCode::kNotFound);
}

TEST(GetSupportedTasksForModelType, TimmAnswersEveryModelTypeWithItsDefaultConfig) {
  for (const std::string model_type : {"resnet50", "vit_base_patch16_224", "bert"}) {
    auto answer = EmbeddedTasksManager().GetSupportedTasksForModelType(model_type, "onnx",
                                                                       std::nullopt, "timm");
    ASSERT_TRUE(answer.ok()) << model_type;
    EXPECT_EQ(answer->model_type, "default-timm-config");
    EXPECT_THAT(ToList(*answer->tasks), ElementsAre(std::pair<std::string, std::string>(
                                            "image-classification", "TimmDefaultOnnxConfig")));
  }
  auto tflite = EmbeddedTasksManager().GetSupportedTasksForModelType("resnet50", "tflite",
                                                                     std::nullopt, "timm");
  EXPECT_EQ(Reason(tflite.status()), "KeyError");
}

TEST(GetAllTasks, IsTheReferenceListForTorchWithDiffusers) {
  const json& expected =
      Reference("tasks.json")["all_tasks"]["by_environment"]["torch_and_diffusers"];
  EXPECT_THAT(EmbeddedTasksManager().GetAllTasks(),
              ElementsAreArray(expected.get<std::vector<std::string>>()));
}

TEST(MapFromSynonym, EverySynonymMapsOneStepAndOtherNamesAreUnchanged) {
  const json& synonyms = Reference("tasks.json")["synonyms"]["map"];
  for (const auto& [name, task] : synonyms.items()) {
    EXPECT_EQ(EmbeddedTasksManager().MapFromSynonym(name), task.get<std::string>()) << name;
  }
  EXPECT_EQ(EmbeddedTasksManager().MapFromSynonym("text-generation"), "text-generation");
  EXPECT_EQ(EmbeddedTasksManager().MapFromSynonym("Default"), "Default");  // no case folding
  EXPECT_EQ(EmbeddedTasksManager().MapFromSynonym("no-such-task"), "no-such-task");
}

TEST(SynonymsForTask, EqualsTheDefinitionForEveryKnownName) {
  const json& synonyms = Reference("tasks.json")["synonyms"]["map"];
  std::set<std::string> names;
  for (const auto& [name, task] : synonyms.items()) {
    names.insert(name);
    names.insert(task.get<std::string>());
  }
  for (const json& task :
       Reference("tasks.json")["all_tasks"]["by_environment"]["torch_and_diffusers"]) {
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
    EXPECT_EQ(EmbeddedTasksManager().SynonymsForTask(task), expected) << task;
  }
  EXPECT_THAT(
      EmbeddedTasksManager().SynonymsForTask("feature-extraction"),
      ElementsAre("default", "image-feature-extraction", "mask-generation", "sentence-similarity"));
  EXPECT_THAT(EmbeddedTasksManager().SynonymsForTask("causal-lm"), ElementsAre());
}

TEST(GetSupportedModelTypeForTask, ListsTransformersModelTypesUnderscoredInRegistryOrder) {
  const json& transformers = CoreLibraries()["transformers"]["model_types"];
  std::set<std::string> tasks = {"causal-lm", "no-such-task"};
  for (const auto& [model_type, entry] : transformers.items()) {
    for (const auto& [exporter, task_map] : entry["exporters"].items()) {
      for (const auto& [task, config_class] : task_map.items()) tasks.insert(task);
    }
  }
  for (const std::string exporter : {"onnx", "tflite"}) {
    for (const std::string& task : tasks) {
      std::vector<std::string> expected;
      for (const auto& [model_type, entry] : transformers.items()) {
        if (entry["exporters"].contains(exporter) && entry["exporters"][exporter].contains(task)) {
          expected.push_back(absl::StrReplaceAll(model_type, {{"-", "_"}}));
        }
      }
      auto answer = EmbeddedTasksManager().GetSupportedModelTypeForTask(task, exporter);
      ASSERT_TRUE(answer.ok()) << task << "/" << exporter << ": " << answer.status();
      EXPECT_EQ(*answer, expected) << task << "/" << exporter;
    }
  }
}

TEST(GetExporterConfigConstructor, EveryCoreRegistryKeyGivesItsClassAndBinding) {
  int checked = 0;
  for (const auto& [library, registry] : CoreLibraries().items()) {
    for (const auto& [model_type, entry] : registry["model_types"].items()) {
      for (const auto& [exporter, tasks] : entry["exporters"].items()) {
        for (const auto& [task, config_class] : tasks.items()) {
          auto answer = EmbeddedTasksManager().GetExporterConfigConstructor(
              exporter, task, model_type, std::nullopt, library);
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
  EXPECT_EQ(checked, 411 + 90 + 5 + 1 + 4);
}

TEST(GetModelClassForTask, EverySingleLoaderTaskGivesItsClassAndModule) {
  int checked = 0;
  for (const auto& [framework, tables] : Reference("tasks.json")["model_loaders"].items()) {
    for (const auto& [library, table] : tables["libraries"].items()) {
      for (const auto& [task, entry] : table["tasks"].items()) {
        if (entry["multiple"].get<bool>()) continue;
        const json& loader = entry["loaders"][0];
        auto answer = EmbeddedTasksManager().GetModelClassForTask(task, framework, std::nullopt,
                                                                  std::nullopt, library);
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
  EXPECT_EQ(checked, 21 + 3 + 1 + 2 + 18);
}

TEST(GetModelClassForTask, SeveralLoadersPickTheFirstWhoseNamesTableListsTheModelType) {
  const json& auto_mappings = Reference("transformers_auto_mappings.json")["frameworks"]["pt"];
  auto model_types_of = [&](const std::string& auto_class) -> const json& {
    const std::string table = auto_mappings["auto_classes"][auto_class]["names_table"];
    return auto_mappings["names_tables"][table]["entries"];
  };
  int checked = 0;
  for (const auto& [task, candidates] :
       Reference("tasks.json")["multi_loader_resolution"]["pt"].items()) {
    const auto names = candidates.get<std::vector<std::string>>();
    auto first = EmbeddedTasksManager().GetModelClassForTask(task, "pt", std::nullopt, std::nullopt,
                                                             "transformers");
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->class_name, names.front());
    EXPECT_EQ(first->resolution, ModelClass::Resolution::kFirstCandidate);
    EXPECT_EQ(first->candidates, names);
    for (const std::string& candidate : names) {
      for (const auto& [model_type, model_class] : model_types_of(candidate).items()) {
        // Callers pass the config's model_type with '_' spelled '-' (get_model_from_task).
        const std::string query = absl::StrReplaceAll(model_type, {{"_", "-"}});
        std::string expected;
        for (const std::string& c : names) {
          const json& listed = model_types_of(c);
          if (listed.contains(query) || listed.contains(absl::StrReplaceAll(query, {{"-", "_"}}))) {
            expected = c;
            break;
          }
        }
        auto answer = EmbeddedTasksManager().GetModelClassForTask(task, "pt", query, std::nullopt,
                                                                  "transformers");
        ASSERT_TRUE(answer.ok()) << task << "/" << query << ": " << answer.status();
        EXPECT_EQ(answer->class_name, expected) << task << "/" << query;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 36);  // entries of the six auto classes' names tables
}

TEST(GetModelClassForTask, CustomClassesWinOverLibraryAndModelClassName) {
  for (const json& custom : Reference("tasks.json")["custom_classes"]["entries"]) {
    auto answer = EmbeddedTasksManager().GetModelClassForTask(
        custom["task"].get<std::string>(), custom["framework"].get<std::string>(),
        custom["model_type"].get<std::string>(), "SomethingElse", "timm");
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->class_name, custom["class_name"].get<std::string>());
    EXPECT_EQ(answer->module, custom["library"].get<std::string>());
    EXPECT_EQ(answer->resolution, ModelClass::Resolution::kCustomClass);
  }
}

}  // namespace
}  // namespace tasks::registry
