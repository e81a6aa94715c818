// Helpers shared by the tests: the embedded registry, loaded once, and the reference tables
// (tests/reference/, an independent copy of the facts the registry data was derived from).
#ifndef TASKS_TESTS_TEST_SUPPORT_H_
#define TASKS_TESTS_TEST_SUPPORT_H_

#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "server/registry/generations.h"
#include "server/registry/registry_loader.h"
#include "server/registry/tasks_manager.h"

namespace tasks::testing {

// The embedded 1.23 generation's registry, which most tests are about.
const registry::TasksManager& EmbeddedTasksManager();
std::shared_ptr<const registry::TasksManager> SharedEmbeddedTasksManager();
// Every embedded generation, SharedEmbeddedTasksManager() among them, with 1.23 as the default
// (the server's default is the newest: tests of other generations name theirs).
std::shared_ptr<const registry::Generations> SharedEmbeddedGenerations();

// tests/reference/<relative_path>, parsed.
const nlohmann::ordered_json& Reference(const std::string& relative_path);

// The python exception named by `status`'s ErrorInfo, or "" when it has none.
std::string Reason(const absl::Status& status);

std::string ReadTestFile(const std::string& path);

}  // namespace tasks::testing

#endif  // TASKS_TESTS_TEST_SUPPORT_H_
