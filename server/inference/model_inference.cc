#include "server/inference/model_inference.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/common/errors.h"
#include "server/common/json_members.h"

namespace tasks::inference {
namespace {

InferenceAnswer Answer(Inferred inferred, const ModelFiles& files, std::string library = "") {
  return InferenceAnswer{std::move(inferred.value), std::move(library),
                         std::move(inferred.evidence), files.source(), files.commit_sha()};
}

absl::Status Missing(absl::string_view what) {
  return MakeError(absl::StatusCode::kFailedPrecondition, "ValueError",
                   absl::StrCat("Cannot standardize the model: ", what, "."), {"model"});
}

// The name standardize_model_attributes reads off the loaded model, from the model's files.
absl::StatusOr<std::string> NameForExportModelType(ModelFiles& files, absl::string_view library) {
  if (library == "diffusers") {
    // The Hub's model info already carries model_index.json's class: no extra request.
    if (const hub::ModelInfo* info = files.model_info().get();
        info && info->config.is_object() && info->config.contains("diffusers")) {
      if (auto name = StringMember(info->config["diffusers"], "_class_name")) return *name;
    }
    absl::StatusOr<JsonFile> index = files.ReadJson("model_index.json");
    if (!index.ok()) return index.status();
    if (auto name = StringMember(**index, "_class_name")) return *name;
    return Missing("model_index.json has no _class_name");
  }
  if (library == "sentence_transformers") {
    absl::StatusOr<JsonFile> modules = files.ReadJson("modules.json");
    if (!modules.ok()) return modules.status();
    if ((*modules)->is_array() && !(*modules)->empty()) {
      if (auto type = StringMember((**modules)[0], "type")) return *type;
    }
    return Missing("modules.json names no first module type");
  }
  absl::StatusOr<JsonFile> config = ReadTransformersConfig(files);
  if (!config.ok()) return config.status();
  const nlohmann::json& json = **config;
  if (library == "timm") {
    if (json.is_object() && json.contains("pretrained_cfg")) {
      if (auto name = StringMember(json["pretrained_cfg"], "architecture")) return *name;
    }
    if (auto name = StringMember(json, "architecture")) return *name;
    return Missing("the timm config has no architecture");
  }
  if (auto name = StringMember(json, "model_type")) return *name;
  return Missing("config.json has no model_type");
}

// "config.4.0.0.json" -> {4, 0, 0}; nothing for other names.
std::optional<std::vector<int>> ConfigFileVersion(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "config.") || !absl::ConsumeSuffix(&name, ".json")) {
    return std::nullopt;
  }
  std::vector<int> version;
  for (absl::string_view part : absl::StrSplit(name, '.')) {
    int number = 0;
    if (!absl::SimpleAtoi(part, &number)) return std::nullopt;
    version.push_back(number);
  }
  return version;
}

}  // namespace

absl::StatusOr<JsonFile> ReadTransformersConfig(ModelFiles& files) {
  absl::StatusOr<JsonFile> config = files.ReadJson("config.json");
  if (!config.ok()) return config;
  const nlohmann::json& json = **config;
  if (!json.is_object() || !json.contains("configuration_files") ||
      !json["configuration_files"].is_array()) {
    return config;
  }
  // transformers sorts the names as strings and takes the last one not newer than itself
  // (4.46.0.dev0, older than 4.46.0), stopping at the first newer one.
  std::vector<std::string> names;
  for (const nlohmann::json& name : json["configuration_files"]) {
    if (name.is_string()) names.push_back(name.get<std::string>());
  }
  std::sort(names.begin(), names.end());
  const std::vector<int> transformers_version = {4, 46, 0};
  std::string chosen = "config.json";
  for (const std::string& name : names) {
    std::optional<std::vector<int>> version = ConfigFileVersion(name);
    if (!version) continue;
    if (*version >= transformers_version) break;
    chosen = name;
  }
  return chosen == "config.json" ? config : files.ReadJson(chosen);
}

ModelInference::ModelInference(std::shared_ptr<const registry::TasksManager> tasks)
    : tasks_(std::move(tasks)) {}

absl::StatusOr<Inferred> ModelInference::Library(ModelFiles& files) {
  absl::StatusOr<std::optional<Inferred>> from_files = InferLibraryFromFiles(files.files());
  if (!from_files.ok()) return from_files.status();
  if (*from_files) return **from_files;
  absl::StatusOr<JsonFile> config = ReadTransformersConfig(files);
  if (!config.ok()) return config.status();
  return InferLibraryFromConfig(**config);
}

absl::StatusOr<InferenceAnswer> ModelInference::DetermineFramework(const ModelFiles& files) const {
  absl::StatusOr<Inferred> framework =
      inference::DetermineFramework(files.files(), tasks_->snapshot().frameworks);
  if (!framework.ok()) return framework.status();
  return Answer(*std::move(framework), files);
}

absl::StatusOr<InferenceAnswer> ModelInference::InferLibrary(ModelFiles& files) {
  absl::StatusOr<Inferred> library = Library(files);
  if (!library.ok()) return library.status();
  return Answer(*std::move(library), files);
}

absl::StatusOr<Inferred> ModelInference::Task(ModelFiles& files, const ModelRef& ref,
                                              absl::string_view library) const {
  const hub::ModelInfo* info = files.model_info().get();
  if (info != nullptr && ref.subfolder.empty()) {
    return InferTaskFromHub(tasks_->snapshot(), ref.model, library,
                            {info->pipeline_tag, info->config, info->transformers_info});
  }
  // A local folder, a subfolder, or the cache folder: Optimum refuses (RuntimeError); the
  // folder's own config files decide instead.
  JsonFile config, model_index;
  for (auto [name, slot] :
       {std::pair{"config.json", &config}, std::pair{"model_index.json", &model_index}}) {
    if (!std::binary_search(files.files().begin(), files.files().end(), std::string(name))) {
      continue;
    }
    absl::StatusOr<JsonFile> parsed =
        slot == &config ? ReadTransformersConfig(files) : files.ReadJson(name);
    if (!parsed.ok()) return parsed.status();
    *slot = *std::move(parsed);
  }
  return InferTaskFromFolder(tasks_->snapshot(), ref.model, library,
                             {config.get(), model_index.get()});
}

absl::StatusOr<Inferred> ModelInference::ExportModelTypeOf(ModelFiles& files,
                                                           absl::string_view library) const {
  absl::StatusOr<std::string> name = NameForExportModelType(files, library);
  if (!name.ok()) return name.status();
  return ExportModelType(tasks_->snapshot(), library, *name);
}

absl::StatusOr<InferenceAnswer> ModelInference::InferTask(ModelFiles& files,
                                                          const ModelRef& ref) const {
  absl::StatusOr<Inferred> library = Library(files);
  if (!library.ok()) return library.status();
  absl::StatusOr<Inferred> task = Task(files, ref, library->value);
  if (!task.ok()) return task.status();
  return Answer(*std::move(task), files, library->value);
}

absl::StatusOr<InferenceAnswer> ModelInference::StandardizeModelAttributes(
    ModelFiles& files) const {
  absl::StatusOr<Inferred> library = Library(files);
  if (!library.ok()) return library.status();
  absl::StatusOr<Inferred> model_type = ExportModelTypeOf(files, library->value);
  if (!model_type.ok()) return model_type.status();
  return Answer(*std::move(model_type), files, library->value);
}

}  // namespace tasks::inference
