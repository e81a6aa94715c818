// Loading registry data files into a RegistrySnapshot.
//
// Sources are protobuf text format (schema: proto/optimum/tasks/registry/v1/registry.proto): one
// TaskTables file, then ExporterRegistry files applied in the order given with the semantics of
// `TasksManager.create_register` (optimum/exporters/tasks.py). Anything wrong (malformed text,
// unknown field, unknown library or task, "-with-past" on a config class without past support)
// fails the whole load with "<source>:<line>: <what>"; nothing is half-loaded.
#ifndef TASKS_SERVER_REGISTRY_REGISTRY_LOADER_H_
#define TASKS_SERVER_REGISTRY_REGISTRY_LOADER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "server/registry/registry_snapshot.h"

namespace tasks::registry {

struct RegistrySource {
  std::string name;  // shown in errors and provenance: a path, or "embedded:<file>"
  std::string contents;
};

struct RegistrySources {
  RegistrySource tables;
  std::vector<RegistrySource> exporter_files;  // load order
  // "<path>: skipped, not a regular file": *.txtpb entries of the extra dirs that are FIFOs,
  // sockets, devices or folders, left unread (a FIFO would block the reader), for an error line.
  std::vector<std::string> skipped;
};

// The folder under data/ of the 1.23 generation, the first the server shipped: what tests and
// fuzzers load when one generation is enough.
inline constexpr absl::string_view kFirstGenerationFolder = "registry";

// The embedded generations' folders ("registry", "registry-2.1", ...), in embedding order.
std::vector<std::string> EmbeddedGenerationFolders();

// The embedded registry of `embedded_folder` (its tables.txtpb and exporter files in name
// order), followed by the `*.txtpb` files of each of `extra_dirs` in name order. Extra dirs hold
// exporter files only; entries that are not regular files are skipped unread
// (RegistrySources::skipped).
absl::StatusOr<RegistrySources> CollectRegistrySources(
    absl::Span<const std::string> extra_dirs,
    absl::string_view embedded_folder = kFirstGenerationFolder);

// The extra-dirs part of CollectRegistrySources: appends the `*.txtpb` files of each of
// `extra_dirs` (name order) to `sources.exporter_files`, and what it skipped to `skipped`.
absl::Status AppendExtraDirs(absl::Span<const std::string> extra_dirs, RegistrySources& sources);

struct LoadedRegistry {
  std::shared_ptr<const RegistrySnapshot> snapshot;
  // Things worth a log line that do not stop the load: registrations ignored because an earlier
  // one holds the same (library, model type, exporter, task), keys no query can reach.
  std::vector<std::string> warnings;
  size_t files = 0;  // the tables file and the exporter files
  std::vector<std::string> skipped;  // RegistrySources::skipped: worth an error line each
};

absl::StatusOr<LoadedRegistry> LoadRegistry(const RegistrySources& sources);

// "exporters: onnx, tflite; 310 model types, 27 tasks from 3 registry files", for log lines.
std::string DescribeRegistry(const LoadedRegistry& loaded);

}  // namespace tasks::registry

#endif  // TASKS_SERVER_REGISTRY_REGISTRY_LOADER_H_
