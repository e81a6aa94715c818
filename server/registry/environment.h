// The Python environment the service's answers model.
//
// Optimum's tables depend on which packages are importable when `optimum.exporters.tasks` is
// first imported (optimum/exporters/tasks.py builds them under is_torch_available() and the like).
// The service models one fixed environment in which all of them are: so the PyTorch and
// TensorFlow loader tables, the diffusers tables and the `onnx` and `tflite` exporters all exist,
// and get_all_tasks() lists the PyTorch loader tables' tasks.
#ifndef TASKS_SERVER_REGISTRY_ENVIRONMENT_H_
#define TASKS_SERVER_REGISTRY_ENVIRONMENT_H_

#include <array>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/string_view.h"

namespace tasks::registry {

inline constexpr std::array<absl::string_view, 6> kInstalledPackages = {
    "torch", "tensorflow", "onnx", "diffusers", "timm", "sentence-transformers"};
// The frameworks Optimum exports from: PyTorch and TensorFlow. The one list every framework check
// and message reads.
inline constexpr std::array<absl::string_view, 2> kFrameworks = {"pt", "tf"};
inline bool IsFramework(absl::string_view framework) {
  return absl::c_linear_search(kFrameworks, framework);
}
// get_all_tasks() reads the PyTorch tables whenever torch is installed.
inline constexpr absl::string_view kAllTasksFramework = "pt";

}  // namespace tasks::registry

#endif  // TASKS_SERVER_REGISTRY_ENVIRONMENT_H_
