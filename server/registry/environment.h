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

#include "absl/strings/string_view.h"

namespace tasks::registry {

inline constexpr std::array<absl::string_view, 6> kInstalledPackages = {
    "torch", "tensorflow", "onnx", "diffusers", "timm", "sentence-transformers"};
inline constexpr std::array<absl::string_view, 2> kFrameworks = {"pt", "tf"};
// get_all_tasks() reads the PyTorch tables whenever torch is installed.
inline constexpr absl::string_view kAllTasksFramework = "pt";

}  // namespace tasks::registry

#endif  // TASKS_SERVER_REGISTRY_ENVIRONMENT_H_
