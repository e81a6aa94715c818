// Helpers shared by the tests: the embedded registry, loaded once, and the reference tables
// (tests/reference/, an independent copy of the facts the registry data was derived from).
#ifndef TASKS_TESTS_TEST_SUPPORT_H_
#define TASKS_TESTS_TEST_SUPPORT_H_

#include <string>
#include <vector>

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

// The names of the embedded generations, oldest first ("1.23", "2.1", ...).
std::vector<std::string> EmbeddedGenerationNames();
// The embedded generation named `generation` (e.g. "2.1").
const registry::TasksManager& EmbeddedGeneration(const std::string& generation);

// tests/reference/<relative_path> (the 1.23 generation's reference), parsed once and kept, so a
// range-for over a subscript of it never reads a destroyed temporary.
const nlohmann::ordered_json& Reference(const std::string& relative_path);
// The same file in the reference folder of `generation`: the folder its data folder names with
// "registry" spelled "reference" (data/registry-2.1/ is checked against tests/reference-2.1/).
const nlohmann::ordered_json& GenerationReference(const std::string& generation,
                                                  const std::string& relative_path);
bool GenerationReferenceExists(const std::string& generation, const std::string& relative_path);

// The python exception named by `status`'s ErrorInfo, or "" when it has none.
std::string Reason(const absl::Status& status);

std::string ReadTestFile(const std::string& path);

}  // namespace tasks::testing

#endif  // TASKS_TESTS_TEST_SUPPORT_H_
