#include "server/inference/export_plan.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/errors.h"
#include "server/common/json_members.h"
#include "server/registry/environment.h"

namespace tasks::inference {
namespace {

using absl::StatusCode;

// The parts Optimum exports a diffusers pipeline component as, with their registry model types
// (optimum/exporters/utils.py, get_diffusion_models_for_export): the VAE as two.
std::vector<std::pair<std::string, std::string>> ExportedParts(absl::string_view component) {
  if (component == "unet") return {{"unet", "unet"}};
  if (component == "vae") return {{"vae_encoder", "vae-encoder"}, {"vae_decoder", "vae-decoder"}};
  if (component == "text_encoder") return {{"text_encoder", "clip-text-model"}};
  if (component == "text_encoder_2") return {{"text_encoder_2", "clip-text-with-projection"}};
  return {};
}

Evidence Given(absl::string_view step, absl::string_view value) {
  return Evidence{absl::StrCat(step, ": given by the caller"), {std::string(value)}};
}

absl::StatusOr<std::string> ConfigMember(ModelFiles& files, const char* key) {
  absl::StatusOr<JsonFile> config = ReadTransformersConfig(files);
  if (!config.ok()) return config.status();
  std::optional<std::string> value = StringMember(**config, key);
  if (!value) {
    return MakeError(StatusCode::kFailedPrecondition, "ValueError",
                     absl::StrCat("config.json has no ", key, "."), {"model"});
  }
  return *std::move(value);
}

// Puts a step's answer in `out` and its evidence in the plan, or returns its error annotated
// with the step.
absl::Status Record(absl::string_view step, absl::StatusOr<Inferred> inferred, std::string& out,
                    ExportPlan& plan) {
  if (!inferred.ok()) return AnnotateStep(inferred.status(), step);
  out = std::move(inferred->value);
  plan.evidence.push_back(std::move(inferred->evidence));
  return absl::OkStatus();
}

// The library step: the caller's library when registered, else infer_library_from_model's.
absl::StatusOr<Inferred> ChooseLibrary(const registry::TasksManager& tasks,
                                       const ExportRequest& request, ModelFiles& files) {
  if (!request.library_name) return ModelInference::Library(files);
  const std::string& library = *request.library_name;
  if (tasks.snapshot().FindLibrary(library) == nullptr) {
    const std::vector<std::string> libraries = tasks.snapshot().LibraryNames();
    return MakeError(StatusCode::kInvalidArgument, "ValueError",
                     absl::StrCat("Unknown library ", EchoInput(library), "."),
                     {"library_name", library, libraries});
  }
  return Inferred{library, Given("library", library)};
}

// The framework step: the caller's framework when it is one, else determine_framework's.
absl::StatusOr<Inferred> ChooseFramework(const ExportRequest& request, const ModelFiles& files,
                                         const registry::TasksManager& tasks) {
  const std::vector<std::string>& frameworks = tasks.snapshot().frameworks;
  if (!request.framework) return DetermineFramework(files.files(), frameworks);
  const std::string& framework = *request.framework;
  if (!absl::c_linear_search(frameworks, framework)) {
    return MakeError(StatusCode::kInvalidArgument, "ValueError",
                     absl::StrCat("Unknown framework ", EchoInput(framework), " for Optimum ",
                                  tasks.snapshot().generation, "."),
                     {"framework", framework, frameworks});
  }
  return Inferred{framework, Given("framework", framework)};
}

bool InfersTask(const ExportRequest& request) {
  return request.task.empty() || request.task == "auto";
}

// The task step: infer_task_from_model's when the request says "auto", else the caller's task
// (a synonym mapped to its task).
absl::StatusOr<Inferred> ChooseTask(const ModelInference& inference, const ExportRequest& request,
                                    ModelFiles& files, absl::string_view library) {
  if (InfersTask(request)) return inference.Task(files, request.model, library);
  return Inferred{std::string(inference.tasks().MapFromSynonym(request.task)),
                  Given("task", request.task)};
}

// The model_type step. A transformers model's type is config.json's model_type, exported as the
// generation spells it (1.x before 1.27: '-' for '_'); other libraries' come from
// standardize_model_attributes.
absl::Status ResolveModelType(const ModelInference& inference, ModelFiles& files,
                              ExportPlan& plan) {
  if (plan.library != "transformers") {
    absl::Status status = Record("model_type", inference.ExportModelTypeOf(files, plan.library),
                                 plan.export_model_type, plan);
    if (!status.ok()) return status;
    plan.model_type = plan.export_model_type;
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> model_type = ConfigMember(files, "model_type");
  if (!model_type.ok()) return AnnotateStep(model_type.status(), "model_type");
  plan.model_type = *model_type;
  plan.export_model_type = inference.tasks().snapshot().ExportModelType(*model_type);
  plan.evidence.push_back({"model_type: config.json model_type", {*model_type}});
  return absl::OkStatus();
}

// The class get_model_from_task loads an inferred speech recognition model with: its own
// architecture, config.json's architectures[0]; nothing when the config names none.
absl::StatusOr<std::optional<std::string>> ArchitectureClass(ModelFiles& files) {
  absl::StatusOr<JsonFile> config = ReadTransformersConfig(files);
  if (!config.ok() || !(*config)->is_object()) return std::nullopt;
  const auto architectures = (*config)->find("architectures");
  if (architectures == (*config)->end() || architectures->is_null()) return std::nullopt;
  // Optimum takes architectures[0] as a class name, and fails on anything else.
  if (!architectures->is_array() || architectures->empty() || !(*architectures)[0].is_string()) {
    return AnnotateStep(
        MakeError(StatusCode::kFailedPrecondition, "TypeError",
                  "config.json architectures is not a list starting with a class name.", {"model"}),
        "model_class");
  }
  return (*architectures)[0].get<std::string>();
}

// The components step of a diffusers pipeline: each part model_index.json lists that Optimum
// exports, with its registry entry.
absl::StatusOr<std::vector<PipelineComponent>> PipelineComponents(
    const registry::TasksManager& tasks, absl::string_view exporter, ModelFiles& files) {
  absl::StatusOr<JsonFile> index = files.ReadJson("model_index.json");
  if (!index.ok()) return AnnotateStep(index.status(), "components");
  std::vector<PipelineComponent> components;
  for (const auto& [component, value] : (*index)->items()) {
    for (const auto& [name, model_type] : ExportedParts(component)) {
      absl::StatusOr<registry::SupportedTasks> supported =
          tasks.GetSupportedTasksForModelType(model_type, exporter, std::nullopt, "diffusers");
      if (!supported.ok()) return AnnotateStep(supported.status(), "components");
      const registry::TaskEntry& entry = supported->tasks->tasks.front();
      components.push_back({name, model_type, entry.key, entry.config_class});
    }
  }
  return components;
}

// The supported_tasks and exporter_config steps: the exporter's tasks for the model type, the
// "-with-past" key of the task among them, and the exporter config class.
absl::Status ResolveExporterConfig(const registry::TasksManager& tasks,
                                   const ExportRequest& request, ExportPlan& plan) {
  absl::StatusOr<registry::SupportedTasks> supported = tasks.GetSupportedTasksForModelType(
      plan.export_model_type, request.exporter, request.model.model, plan.library);
  if (!supported.ok()) return AnnotateStep(supported.status(), "supported_tasks");
  plan.supported_tasks = supported->tasks->tasks;
  if (const registry::TaskEntry* with_past =
          supported->tasks->FindTask(absl::StrCat(plan.task, "-with-past"))) {
    plan.task_with_past = with_past->key;
  }
  absl::StatusOr<registry::ExporterConfig> config = tasks.GetExporterConfigConstructor(
      request.exporter, plan.task, plan.export_model_type, request.model.model, plan.library);
  if (!config.ok()) return AnnotateStep(config.status(), "exporter_config");
  plan.exporter_config = config->entry;
  plan.exporter_config_model_type = config->model_type;
  return absl::OkStatus();
}

}  // namespace

ExportPlanner::ExportPlanner(const ModelInference* inference) : inference_(inference) {}

absl::StatusOr<ExportPlan> ExportPlanner::Resolve(const ExportRequest& request,
                                                  ModelFiles& files) const {
  const registry::TasksManager& tasks = inference_->tasks();
  ExportPlan plan;
  plan.source = files.source();
  plan.commit_sha = files.commit_sha();

  absl::Status status = Record("library", ChooseLibrary(tasks, request, files), plan.library, plan);
  if (!status.ok()) return status;
  status = Record("framework", ChooseFramework(request, files, tasks), plan.framework, plan);
  if (!status.ok()) return status;
  status = Record("task", ChooseTask(*inference_, request, files, plan.library), plan.task, plan);
  if (!status.ok()) return status;
  status = ResolveModelType(*inference_, files, plan);
  if (!status.ok()) return status;

  std::optional<std::string> model_class_name;
  if (plan.library == "transformers" && InfersTask(request) &&
      plan.task == "automatic-speech-recognition") {
    absl::StatusOr<std::optional<std::string>> architecture = ArchitectureClass(files);
    if (!architecture.ok()) return architecture.status();
    model_class_name = *std::move(architecture);
  }
  absl::StatusOr<registry::ModelClass> model_class = tasks.GetModelClassForTask(
      plan.task, plan.framework, plan.export_model_type, model_class_name, plan.library);
  if (!model_class.ok()) return AnnotateStep(model_class.status(), "model_class");
  plan.model_class = *std::move(model_class);

  if (plan.library == "diffusers") {
    absl::StatusOr<std::vector<PipelineComponent>> components =
        PipelineComponents(tasks, request.exporter, files);
    if (!components.ok()) return components.status();
    plan.components = *std::move(components);
    return plan;
  }
  status = ResolveExporterConfig(tasks, request, plan);
  if (!status.ok()) return status;
  return plan;
}

}  // namespace tasks::inference
