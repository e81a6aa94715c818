// Helpers shared by the tests: the embedded registry, loaded once, and the reference tables
// (tests/reference/, an independent copy of the facts the registry data was derived from).
#ifndef TASKS_TESTS_TEST_SUPPORT_H_
#define TASKS_TESTS_TEST_SUPPORT_H_

#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "server/registry/registry_loader.h"
#include "server/registry/tasks_manager.h"

namespace tasks::testing {

// The registry the server loads with no flags.
const registry::TasksManager& EmbeddedTasksManager();
std::shared_ptr<const registry::TasksManager> SharedEmbeddedTasksManager();

// The registry data of a generation in data/<folder>/ (e.g. "registry-2.1"): tables.txtpb, then
// the exporter files in name order, as the server loads a generation.
registry::RegistrySources GenerationSources(const std::string& folder);

// tests/reference/<relative_path>, parsed.
const nlohmann::ordered_json& Reference(const std::string& relative_path);

// The python exception named by `status`'s ErrorInfo, or "" when it has none.
std::string Reason(const absl::Status& status);

std::string ReadTestFile(const std::string& path);

}  // namespace tasks::testing

#endif  // TASKS_TESTS_TEST_SUPPORT_H_
