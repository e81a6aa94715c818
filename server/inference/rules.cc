#include "server/inference/rules.h"

#include <algorithm>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "server/common/errors.h"
#include "server/common/json_members.h"

namespace tasks::inference {
namespace {

using absl::StatusCode;

// transformers' weight file names (WEIGHTS_NAME, SAFE_WEIGHTS_NAME, TF2_WEIGHTS_NAME) as the
// stem and suffix Optimum tests separately, so shards like model-00001-of-00002.safetensors match.
bool IsPyTorchWeights(absl::string_view file) {
  return (absl::StartsWith(file, "pytorch_model") && absl::EndsWith(file, ".bin")) ||
         (absl::StartsWith(file, "model") && absl::EndsWith(file, ".safetensors"));
}
bool IsTensorFlowWeights(absl::string_view file) {
  return absl::StartsWith(file, "tf_model") && absl::EndsWith(file, ".h5");
}

bool Lists(absl::Span<const std::string> files, absl::string_view name) {
  return std::find(files.begin(), files.end(), name) != files.end();
}

const std::string* FirstMatch(absl::Span<const std::string> files,
                              bool (*matches)(absl::string_view)) {
  for (const std::string& file : files) {
    if (matches(file)) return &file;
  }
  return nullptr;
}

Inferred FromPipelineTag(const registry::RegistrySnapshot& snapshot, const std::string& tag,
                         absl::string_view rule, absl::string_view field) {
  auto synonym = snapshot.synonym_to_task.find(tag);
  const std::string task = synonym == snapshot.synonym_to_task.end() ? tag : synonym->second;
  Evidence evidence{std::string(rule), {absl::StrCat(field, " ", tag)}};
  if (task != tag) evidence.facts.push_back(absl::StrCat("synonym of ", task));
  return Inferred{task, std::move(evidence)};
}

// The first AutoPipeline table entry whose class is `class_name`.
const registry::DiffusersPipeline* FindPipeline(const registry::RegistrySnapshot& snapshot,
                                                absl::string_view class_name) {
  for (const registry::DiffusersPipeline& pipeline : snapshot.diffusers_pipelines) {
    if (pipeline.class_name == class_name) return &pipeline;
  }
  return nullptr;
}

absl::Status TaskNotFound(absl::string_view model, absl::string_view why) {
  return MakeError(StatusCode::kNotFound, "KeyError",
                   absl::StrCat("Could not find the proper task name for the model ",
                                EchoInput(model), ": ", why, ". Pass the task explicitly."),
                   {"model"});
}

}  // namespace

absl::StatusOr<Inferred> DetermineFramework(absl::Span<const std::string> files,
                                            absl::Span<const std::string> frameworks) {
  const bool tensorflow = absl::c_linear_search(frameworks, "tf");
  if (const std::string* file = FirstMatch(files, IsPyTorchWeights)) {
    return Inferred{"pt", {"determine_framework: PyTorch weights", {*file + " at top level"}}};
  }
  const std::string* tf_file = tensorflow ? FirstMatch(files, IsTensorFlowWeights) : nullptr;
  if (tf_file != nullptr) {
    return Inferred{"tf", {"determine_framework: TensorFlow weights", {*tf_file + " at top level"}}};
  }
  if (Lists(files, "model_index.json")) {
    for (const std::string& file : files) {
      if (absl::EndsWith(file, ".bin") || absl::EndsWith(file, ".safetensors")) {
        return Inferred{"pt",
                        {"determine_framework: diffusers pipeline",
                         {"model_index.json at top level", file + " below it"}}};
      }
    }
  }
  if (Lists(files, "config_sentence_transformers.json")) {
    return Inferred{"pt",
                    {"determine_framework: sentence-transformers",
                     {"config_sentence_transformers.json at top level"}}};
  }
  return MakeError(StatusCode::kNotFound, "FileNotFoundError",
                   absl::StrCat("Cannot determine the framework: expected a pytorch_model*.bin or "
                                "model*.safetensors (PyTorch)",
                                tensorflow ? " or tf_model*.h5 (TensorFlow)" : "",
                                " at the top of the model folder. Pass the framework explicitly."),
                   {"model_name_or_path"});
}

absl::StatusOr<std::optional<Inferred>> InferLibraryFromFiles(absl::Span<const std::string> files) {
  if (Lists(files, "model_index.json")) {
    return Inferred{"diffusers",
                    {"infer_library: diffusers pipeline", {"model_index.json listed"}}};
  }
  for (const std::string& file : files) {
    if (absl::StartsWith(file, "sentence_")) {
      return Inferred{"sentence_transformers",
                      {"infer_library: sentence-transformers", {file + " listed"}}};
    }
  }
  if (Lists(files, "config_sentence_transformers.json")) {
    return Inferred{
        "sentence_transformers",
        {"infer_library: sentence-transformers", {"config_sentence_transformers.json listed"}}};
  }
  if (Lists(files, "config.json")) return std::optional<Inferred>();
  return MakeError(StatusCode::kInvalidArgument, "ValueError",
                   "The library could not be inferred: no model_index.json, sentence_* file, "
                   "config_sentence_transformers.json or config.json. Pass library_name "
                   "(transformers, diffusers, timm, sentence_transformers).",
                   {"library_name"});
}

Inferred InferLibraryFromConfig(const nlohmann::json& config) {
  // Key presence, as Optimum's hasattr on the config built from the JSON (null values count).
  for (const char* key : {"pretrained_cfg", "architecture"}) {
    if (config.is_object() && config.contains(key)) {
      return Inferred{"timm",
                      {"infer_library: timm config", {absl::StrCat("config.json has ", key)}}};
    }
  }
  if (config.is_object() && config.contains("_diffusers_version")) {
    return Inferred{"diffusers",
                    {"infer_library: diffusers component", {"config.json has _diffusers_version"}}};
  }
  return Inferred{"transformers",
                  {"infer_library: transformers",
                   {"config.json without pretrained_cfg, architecture or _diffusers_version"}}};
}

absl::StatusOr<Inferred> InferTaskFromHub(const registry::RegistrySnapshot& snapshot,
                                          absl::string_view repo_id, absl::string_view library,
                                          const HubTaskFacts& facts) {
  if (library == "timm") {
    return Inferred{"image-classification", {"infer_task: timm models classify images", {}}};
  }
  if (library == "sentence_transformers") {
    // Optimum 1.23.3 has no rule and raises KeyError; later releases answer this.
    return Inferred{"feature-extraction",
                    {"infer_task: sentence-transformers embed (deliberate improvement)", {}}};
  }
  if (library == "diffusers") {
    if (facts.pipeline_tag) {
      return FromPipelineTag(snapshot, *facts.pipeline_tag, "infer_task: Hub pipeline_tag",
                             "pipeline_tag");
    }
    const nlohmann::json* diffusers = facts.config.is_object() && facts.config.contains("diffusers")
                                          ? &facts.config["diffusers"]
                                          : nullptr;
    if (diffusers != nullptr && !diffusers->is_null()) {
      const std::optional<std::string> class_name = StringMember(*diffusers, "_class_name");
      if (!class_name) return TaskNotFound(repo_id, "the Hub config has no diffusers._class_name");
      if (const registry::DiffusersPipeline* pipeline = FindPipeline(snapshot, *class_name)) {
        return Inferred{pipeline->task,
                        {"infer_task: diffusers pipeline class",
                         {"config.diffusers._class_name " + *class_name}}};
      }
      return TaskNotFound(
          repo_id, absl::StrCat("pipeline class ", *class_name, " is in no AutoPipeline table"));
    }
    return TaskNotFound(repo_id, "no pipeline_tag and no diffusers config on the Hub");
  }
  if (library == "transformers") {
    if (facts.pipeline_tag) {
      return FromPipelineTag(snapshot, *facts.pipeline_tag, "infer_task: Hub pipeline_tag",
                             "pipeline_tag");
    }
    if (!facts.transformers_info.is_null()) {
      if (auto tag = StringMember(facts.transformers_info, "pipeline_tag")) {
        return FromPipelineTag(snapshot, *tag, "infer_task: Hub transformersInfo.pipeline_tag",
                               "transformersInfo.pipeline_tag");
      }
      if (auto auto_model = StringMember(facts.transformers_info, "auto_model")) {
        // Optimum removes every "TF" and compares with the PyTorch loaders in table order.
        const std::string loader = absl::StrReplaceAll(*auto_model, {{"TF", ""}});
        const registry::LoaderTable* table = snapshot.FindLoaderTable("pt", "transformers");
        for (const registry::TaskLoaders& task :
             table ? table->tasks : std::vector<registry::TaskLoaders>{}) {
          if (std::find(task.loaders.begin(), task.loaders.end(), loader) != task.loaders.end()) {
            return Inferred{task.task,
                            {"infer_task: Hub transformersInfo.auto_model",
                             {"transformersInfo.auto_model " + *auto_model, "loader " + loader}}};
          }
        }
        return TaskNotFound(repo_id,
                            absl::StrCat("auto_model ", *auto_model, " is no PyTorch loader"));
      }
    }
    return TaskNotFound(repo_id, "no pipeline_tag and no transformersInfo on the Hub");
  }
  return TaskNotFound(repo_id, absl::StrCat("Optimum has no task rule for library ", library));
}

absl::StatusOr<Inferred> InferTaskFromFolder(const registry::RegistrySnapshot& snapshot,
                                             absl::string_view model, absl::string_view library,
                                             const FolderTaskFacts& facts) {
  if (library == "timm") {
    return Inferred{"image-classification", {"infer_task (folder): timm default", {}}};
  }
  if (library == "sentence_transformers") {
    return Inferred{"feature-extraction",
                    {"infer_task (folder): sentence-transformers default", {}}};
  }
  if (library == "diffusers") {
    const std::optional<std::string> class_name =
        facts.model_index ? StringMember(*facts.model_index, "_class_name") : std::nullopt;
    if (!class_name) return TaskNotFound(model, "no model_index.json _class_name");
    if (const registry::DiffusersPipeline* pipeline = FindPipeline(snapshot, *class_name)) {
      return Inferred{pipeline->task,
                      {"infer_task (folder): diffusers pipeline class",
                       {"model_index.json _class_name " + *class_name}}};
    }
    return TaskNotFound(
        model, absl::StrCat("pipeline class ", *class_name, " is in no AutoPipeline table"));
  }
  const nlohmann::json* architectures =
      facts.config && facts.config->is_object() && facts.config->contains("architectures")
          ? &(*facts.config)["architectures"]
          : nullptr;
  if (architectures == nullptr || !architectures->is_array() || architectures->empty() ||
      !(*architectures)[0].is_string()) {
    return TaskNotFound(model, "config.json has no architectures");
  }
  const std::string architecture = (*architectures)[0].get<std::string>();
  const absl::string_view framework = absl::StartsWith(architecture, "TF") ? "tf" : "pt";
  for (const registry::TaskModelClasses& task : snapshot.task_model_classes) {
    if (task.framework == framework && task.class_names.contains(architecture)) {
      return Inferred{task.task,
                      {"infer_task (folder): transformers architecture",
                       {"config.json architectures[0] " + architecture}}};
    }
  }
  return TaskNotFound(model,
                      absl::StrCat("architecture ", architecture, " is in no auto-class table"));
}

absl::StatusOr<Inferred> ExportModelType(const registry::RegistrySnapshot& snapshot,
                                         absl::string_view library, absl::string_view name) {
  if (library == "diffusers") {
    if (const registry::DiffusersPipeline* pipeline = FindPipeline(snapshot, name)) {
      return Inferred{pipeline->model_type,
                      {"standardize_model_attributes: diffusers pipeline class",
                       {absl::StrCat("pipeline class ", name)}}};
    }
    // Optimum sets export_model_type to None; exporting then fails on the model type.
    return MakeError(StatusCode::kNotFound, "KeyError",
                     absl::StrCat("Pipeline class ", EchoInput(name),
                                  " is in no AutoPipeline table, so it "
                                  "has no export model type."),
                     {"name"});
  }
  if (library == "timm") {
    return Inferred{std::string(name),
                    {"standardize_model_attributes: timm architecture",
                     {absl::StrCat("pretrained_cfg.architecture ", name)}}};
  }
  if (library == "sentence_transformers") {
    if (absl::StrContains(name, "Transformer")) {
      return Inferred{"transformer",
                      {"standardize_model_attributes: sentence-transformers",
                       {absl::StrCat("first module ", name)}}};
    }
    if (absl::StrContains(name, "CLIP")) {
      return Inferred{"clip",
                      {"standardize_model_attributes: sentence-transformers",
                       {absl::StrCat("first module ", name)}}};
    }
    return MakeError(StatusCode::kInvalidArgument, "ValueError",
                     absl::StrCat("A sentence-transformers model whose first module is ",
                                  EchoInput(name), " cannot be exported by Optimum."),
                     {"name"});
  }
  if (library == "transformers") {
    return Inferred{std::string(name),
                    {"standardize_model_attributes: transformers unchanged",
                     {absl::StrCat("model_type ", name)}}};
  }
  static const std::vector<std::string> kLibraries = {"transformers", "diffusers", "timm",
                                                      "sentence_transformers"};
  return MakeError(StatusCode::kInvalidArgument, "ValueError",
                   absl::StrCat("Unknown library ", EchoInput(library), "."),
                   {"library", library, kLibraries});
}

}  // namespace tasks::inference
