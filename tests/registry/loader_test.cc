// Registry loading: create_register semantics, extra registry dirs, and golden negative tests
// (testdata/bad/<case>.txtpb next to the exact error it must produce in <case>.error).
// TASKS_UPDATE_GOLDEN=1 rewrites the .error files; review the diff before committing.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace tasks::registry {
namespace {

namespace fs = std::filesystem;
using ::tasks::testing::ReadTestFile;
using ::tasks::testing::Reference;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The embedded registry followed by `extra` exporter files.
absl::StatusOr<LoadedRegistry> LoadWith(std::vector<RegistrySource> extra) {
  absl::StatusOr<RegistrySources> sources = CollectRegistrySources({});
  if (!sources.ok()) return sources.status();
  for (RegistrySource& source : extra) sources->exporter_files.push_back(std::move(source));
  return LoadRegistry(*sources);
}

const ExporterTasks* Tasks(const LoadedRegistry& loaded, absl::string_view library,
                           absl::string_view model_type, absl::string_view exporter) {
  const ModelTypeEntry* entry = loaded.snapshot->FindLibrary(library)->model_types.Find(model_type);
  return entry == nullptr ? nullptr : entry->FindExporter(exporter);
}

TEST(LoadRegistry, EmbeddedRegistryLoadsCleanly) {
  absl::StatusOr<LoadedRegistry> loaded = LoadWith({});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT(loaded->warnings, IsEmpty());
  EXPECT_EQ(loaded->snapshot->ExporterNames(),
            (std::vector<std::string>{"onnx", "tflite", "openvino", "neuron"}));
  const ExporterInfo& openvino = loaded->snapshot->exporters[2];
  ASSERT_EQ(openvino.provenance.size(), 1u);
  EXPECT_EQ(openvino.provenance[0].package, "optimum-intel");
  EXPECT_EQ(openvino.provenance[0].version, "1.20.1");
  EXPECT_EQ(openvino.provenance[0].registry_file, "embedded:registry/30-openvino.txtpb");
}

// Replicas compare fingerprints to see whether they answer from the same data: the same files
// give the same one, wherever their folder is; any change of contents or file gives another.
TEST(LoadRegistry, TheFingerprintNamesTheDataLoaded) {
  const std::string file = R"(exporter: "onnx"
    registration { library: "transformers" model_type: "fp-test" config_class: "C"
                   task: ["fill-mask"] })";
  absl::StatusOr<LoadedRegistry> embedded = LoadWith({});
  absl::StatusOr<LoadedRegistry> here = LoadWith({{"/a/extra.txtpb", file}});
  absl::StatusOr<LoadedRegistry> there = LoadWith({{"/b/extra.txtpb", file}});
  absl::StatusOr<LoadedRegistry> changed =
      LoadWith({{"/a/extra.txtpb", absl::StrReplaceAll(file, {{"fill-mask", "text-generation"}})}});
  ASSERT_TRUE(embedded.ok() && here.ok() && there.ok() && changed.ok());
  EXPECT_THAT(embedded->snapshot->fingerprint, ::testing::MatchesRegex("[0-9a-f]{16}"));
  EXPECT_EQ(here->snapshot->fingerprint, there->snapshot->fingerprint);
  EXPECT_NE(here->snapshot->fingerprint, embedded->snapshot->fingerprint);
  EXPECT_NE(here->snapshot->fingerprint, changed->snapshot->fingerprint);
  EXPECT_THAT(DescribeRegistry(*here), HasSubstr(here->snapshot->fingerprint));
}

TEST(LoadRegistry, FirstRegistrationWinsWithoutOverwriteAndTheIgnoredOneIsReported) {
  absl::StatusOr<LoadedRegistry> loaded = LoadWith({{"late-onnx.txtpb", R"(
    exporter: "onnx"
    registration { library: "transformers" model_type: "bert" config_class: "LateBertConfig"
                   task: ["fill-mask", "text-generation"] })"}});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const ExporterTasks* bert = Tasks(*loaded, "transformers", "bert", "onnx");
  EXPECT_EQ(bert->FindTask("fill-mask")->config_class, "BertOnnxConfig");
  // A new task key is still added, at the end.
  EXPECT_EQ(bert->tasks.back().key, "text-generation");
  EXPECT_EQ(bert->tasks.back().config_class, "LateBertConfig");
  EXPECT_THAT(loaded->warnings,
              Contains(HasSubstr("late-onnx.txtpb:4: ignored transformers/bert/onnx/fill-mask -> "
                                 "LateBertConfig: already registered to BertOnnxConfig")));
}

TEST(LoadRegistry, OverwriteExistingReplacesInPlace) {
  absl::StatusOr<LoadedRegistry> loaded = LoadWith({{"override.txtpb", R"(
    exporter: "onnx"
    overwrite_existing: true
    registration { library: "transformers" model_type: "bert" config_class: "LateBertConfig"
                   task: ["fill-mask"] })"}});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const ExporterTasks* bert = Tasks(*loaded, "transformers", "bert", "onnx");
  EXPECT_EQ(bert->tasks[1].key, "fill-mask");
  EXPECT_EQ(bert->tasks[1].config_class, "LateBertConfig");
  EXPECT_THAT(loaded->warnings, IsEmpty());
}

TEST(LoadRegistry, NewExporterAndModelTypeAreAddedWithProvenance) {
  absl::StatusOr<LoadedRegistry> loaded = LoadWith({{"/etc/extra/mine.txtpb", R"(
    exporter: "mine"
    provenance { package: "optimum-mine" version: "0.1" }
    registration { library: "transformers" model_type: "brand-new" config_class: "NewConfig"
                   task: ["text-generation", "text-generation-with-past"] })"}});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const ExporterTasks* tasks = Tasks(*loaded, "transformers", "brand-new", "mine");
  ASSERT_NE(tasks, nullptr);
  EXPECT_TRUE(tasks->tasks[1].use_past);  // an unknown (non-core) class is not checked
  EXPECT_EQ(loaded->snapshot->exporters.back().name, "mine");
  EXPECT_EQ(loaded->snapshot->exporters.back().provenance[0].registry_file,
            "/etc/extra/mine.txtpb");
  // Queries about "mine" see it, also without a library; queries about onnx do not.
  EXPECT_NE(loaded->snapshot->ViewFor("mine").merged.Find("brand-new"), nullptr);
  EXPECT_EQ(loaded->snapshot->ViewFor("onnx").merged.Find("brand-new"), nullptr);
}

TEST(LoadRegistry, KeysNoQueryCanReachAreReported) {
  absl::StatusOr<LoadedRegistry> loaded = LoadWith({{"odd.txtpb", R"(
    exporter: "onnx"
    registration { library: "transformers" model_type: "My_Model" config_class: "C"
                   task: ["fill-mask"] })"}});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT(loaded->warnings, Contains(HasSubstr("odd.txtpb:3: model type 'My_Model' can never "
                                                   "be found")));
}

TEST(CollectRegistrySources, OptionalNeuronDecoderRegistrationsLoadFromAnExtraDir) {
  absl::StatusOr<RegistrySources> sources =
      CollectRegistrySources({std::string(TASKS_REGISTRY_OPTIONAL_DIR)});
  ASSERT_TRUE(sources.ok()) << sources.status();
  absl::StatusOr<LoadedRegistry> loaded = LoadRegistry(*sources);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  // Now every optimum-neuron registration is there (compared as maps: the two modules register
  // disjoint keys, so their import order does not matter).
  int checked = 0;
  for (const auto& [library, model_types] :
       Reference("backends/neuron.json")["registered_by_decorators"].items()) {
    for (const auto& [model_type, tasks] : model_types.items()) {
      const ExporterTasks* loaded_tasks = Tasks(*loaded, library, model_type, "neuron");
      ASSERT_NE(loaded_tasks, nullptr) << library << "/" << model_type;
      EXPECT_EQ(loaded_tasks->tasks.size(), tasks.size()) << library << "/" << model_type;
      for (const auto& [task, config_class] : tasks.items()) {
        const TaskEntry* entry = loaded_tasks->FindTask(task);
        ASSERT_NE(entry, nullptr) << model_type << "/" << task;
        EXPECT_EQ(entry->config_class, config_class.get<std::string>());
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 170);
}

TEST(CollectRegistrySources, RejectsAMissingDirAndATablesFileInAnExtraDir) {
  EXPECT_EQ(CollectRegistrySources({"/nonexistent/registry"}).status().code(),
            absl::StatusCode::kNotFound);
  const fs::path dir = fs::path(::testing::TempDir()) / "registry_with_tables";
  fs::create_directories(dir);
  std::ofstream(dir / "tables.txtpb") << "";
  absl::StatusOr<RegistrySources> sources = CollectRegistrySources({dir.string()});
  EXPECT_EQ(sources.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(sources.status().message(), HasSubstr("only the embedded registry has a tables"));
}

TEST(LoadRegistry, GoldenNegativeCases) {
  const fs::path dir = fs::path(TASKS_TEST_DATA_DIR) / "registry/testdata/bad";
  const bool update = std::getenv("TASKS_UPDATE_GOLDEN") != nullptr;
  int cases = 0;
  for (const fs::directory_entry& file : fs::directory_iterator(dir)) {
    if (file.path().extension() != ".txtpb") continue;
    SCOPED_TRACE(file.path().filename().string());
    absl::StatusOr<LoadedRegistry> loaded =
        LoadWith({{file.path().filename().string(), ReadTestFile(file.path().string())}});
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
    fs::path golden = file.path();
    golden.replace_extension(".error");
    const std::string actual = absl::StrCat(loaded.status().message(), "\n");
    if (update) std::ofstream(golden) << actual;
    EXPECT_EQ(actual, ReadTestFile(golden.string()));
    ++cases;
  }
  EXPECT_GE(cases, 8);
}

}  // namespace
}  // namespace tasks::registry
