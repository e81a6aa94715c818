// An exporter registry file (protobuf text format) loaded after the embedded task tables, as
// --registry_dir files are: it loads completely with consistent entries, or fails naming itself.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fuzz/check.h"
#include "server/registry/registry_loader.h"

namespace {

using tasks::registry::RegistrySnapshot;

constexpr absl::string_view kSourceName = "fuzz.txtpb";

const tasks::registry::RegistrySource& Tables() {
  static const auto* tables = [] {
    auto sources = tasks::registry::CollectRegistrySources({});
    return new tasks::registry::RegistrySource(sources->tables);
  }();
  return *tables;
}

// Every registered key is a known task, or one followed by "-with-past"; the constructor is
// bound to the task and uses past key values exactly when the key says so.
void CheckEntries(const RegistrySnapshot& snapshot, absl::string_view input) {
  for (const tasks::registry::LibraryRegistry& library : snapshot.libraries) {
    for (const tasks::registry::ModelTypeEntry& entry : library.model_types.entries()) {
      for (const tasks::registry::ExporterTasks& exporter : entry.exporters) {
        FUZZ_CHECK(snapshot.views.contains(exporter.exporter), input);
        for (const tasks::registry::TaskEntry& task : exporter.tasks) {
          FUZZ_CHECK(snapshot.task_vocabulary_set.contains(task.bound_task), input);
          FUZZ_CHECK(!task.config_class.empty(), input);
          const std::string bound =
              task.use_past ? absl::StrCat(task.bound_task, "-with-past") : task.bound_task;
          FUZZ_CHECK(bound == task.key, input);
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Tables();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  tasks::registry::RegistrySources sources;
  sources.tables = Tables();
  sources.exporter_files.push_back({std::string(kSourceName), input});
  const absl::StatusOr<tasks::registry::LoadedRegistry> loaded =
      tasks::registry::LoadRegistry(sources);
  if (!loaded.ok()) {
    // Errors say where: "<source>:<line>: ..." or "<source>: ...".
    FUZZ_CHECK(absl::StartsWith(loaded.status().message(), kSourceName), input);
    return 0;
  }
  CheckEntries(*loaded->snapshot, input);
  return 0;
}
