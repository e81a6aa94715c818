#include "server/service/proto_convert.h"

#include <string>

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;
using registry::ModelClass;

v1::GetModelClassForTaskResponse::Resolution ToProto(ModelClass::Resolution resolution) {
  switch (resolution) {
    case ModelClass::Resolution::kCustomClass:
      return v1::GetModelClassForTaskResponse::CUSTOM_CLASS;
    case ModelClass::Resolution::kModelClassName:
      return v1::GetModelClassForTaskResponse::MODEL_CLASS_NAME;
    case ModelClass::Resolution::kLoader:
      return v1::GetModelClassForTaskResponse::LOADER;
    case ModelClass::Resolution::kNamesTable:
      return v1::GetModelClassForTaskResponse::NAMES_TABLE;
    case ModelClass::Resolution::kFirstCandidate:
      return v1::GetModelClassForTaskResponse::FIRST_CANDIDATE;
  }
  return v1::GetModelClassForTaskResponse::RESOLUTION_UNSPECIFIED;
}

}  // namespace

void ToProto(const registry::TaskEntry& entry, v1::SupportedTask& out) {
  out.set_task(entry.key);
  out.set_config_class(entry.config_class);
  out.set_use_past(entry.use_past);
  out.set_bound_task(entry.bound_task);
}

void ToProto(const ModelClass& model_class, v1::GetModelClassForTaskResponse& out) {
  out.set_class_name(model_class.class_name);
  out.set_module(model_class.module);
  out.set_task(model_class.task);
  for (const std::string& candidate : model_class.candidates) out.add_candidates(candidate);
  out.set_resolution(ToProto(model_class.resolution));
}

void ToProto(const registry::TaskEntry& entry, absl::string_view model_type,
             v1::GetExporterConfigConstructorResponse& out) {
  out.set_config_class(entry.config_class);
  out.set_task(entry.bound_task);
  out.set_use_past(entry.use_past);
  out.set_task_key(entry.key);
  out.set_model_type(std::string(model_type));
}

void ToProto(const registry::Provenance& from, optimum::tasks::v1::Provenance& out) {
  out.set_package(from.package);
  out.set_version(from.version);
  out.set_repository(from.repository);
  out.set_commit(from.commit);
  out.set_source_file(from.source_file);
  out.set_registry_file(from.registry_file);
}

void ToProto(const registry::SupportMatrixRow& from, optimum::tasks::v1::SupportMatrixRow& row) {
  row.set_exporter(std::string(from.exporter));
  row.set_library_name(std::string(from.library));
  row.set_model_type(std::string(from.model_type));
  row.set_task(std::string(from.task));
  row.set_config_class(std::string(from.config_class));
  row.set_use_past(from.use_past);
}

optimum::tasks::v1::SupportMatrixChange::Kind ToProto(registry::SupportMatrixChange::Kind kind) {
  switch (kind) {
    case registry::SupportMatrixChange::Kind::kAdded:
      return optimum::tasks::v1::SupportMatrixChange::ADDED;
    case registry::SupportMatrixChange::Kind::kRemoved:
      return optimum::tasks::v1::SupportMatrixChange::REMOVED;
    case registry::SupportMatrixChange::Kind::kChanged:
      return optimum::tasks::v1::SupportMatrixChange::CHANGED;
  }
  return optimum::tasks::v1::SupportMatrixChange::KIND_UNSPECIFIED;
}

}  // namespace tasks::service
