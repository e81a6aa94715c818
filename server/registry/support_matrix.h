// The support matrix: every (exporter, library, model type, task) the loaded registries hold, as
// rows, for the "supported architectures" tables Optimum's documentation keeps by hand.
//
// Not an Optimum method, so no Optimum exception to mirror: an unknown filter value is an
// INVALID_ARGUMENT (reason "ValueError") listing the valid choices, so that a typo never reads
// as "nothing supported".
#ifndef TASKS_SERVER_REGISTRY_SUPPORT_MATRIX_H_
#define TASKS_SERVER_REGISTRY_SUPPORT_MATRIX_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/registry/registry_snapshot.h"

namespace tasks::registry {

// Each filter unset means "all".
struct SupportMatrixFilter {
  std::optional<absl::string_view> exporter;
  std::optional<absl::string_view> library;
  std::optional<absl::string_view> task;        // a synonym or "-with-past" key is its task
  std::optional<absl::string_view> model_type;  // spelled as in the registries or with '_'
};

// One registry key of a model type for an exporter. Views into the snapshot.
struct SupportMatrixRow {
  absl::string_view exporter;
  absl::string_view library;
  absl::string_view model_type;
  absl::string_view task;  // the key without "-with-past"
  absl::string_view config_class;
  bool use_past;
};

struct SupportMatrix {
  // By exporter (load order), library (merge order), model type and key (registry order).
  std::vector<SupportMatrixRow> rows;
  std::vector<const ExporterInfo*> exporters;  // those the exporter filter selects
};

// The rows of `snapshot` that pass `filter`; the answer points into `snapshot`.
absl::StatusOr<SupportMatrix> BuildSupportMatrix(const RegistrySnapshot& snapshot,
                                                 const SupportMatrixFilter& filter);

// One row that differs between two generations' support matrices. Views into the snapshots.
struct SupportMatrixChange {
  enum class Kind { kAdded, kRemoved, kChanged };
  Kind kind;
  std::optional<SupportMatrixRow> before;  // the row of `from`; unset for kAdded
  std::optional<SupportMatrixRow> after;   // the row of `to`; unset for kRemoved
};

// Rows of `to` the filter selects that `from` lacks or holds differently, and rows of `from` `to`
// lacks. Rows are matched on (exporter, library, model type, task, use_past), the model type
// compared as transformers spells it (lower case, '_'), so 1.x's "gpt-neo" and 2.x's "gpt_neo"
// are one model type; a matched row is kChanged when its config class or model-type key differs.
// By exporter and library (in `to`'s load order, then `from`'s), then model type (transformers
// spelling), task and use_past (without first).
//
// The filter is applied to both generations, the model type compared as above. A value is valid
// when either generation knows it (exporter "tflite" from 1.23 to 2.1: every tflite row is
// removed); a value neither knows fails with BuildSupportMatrix's error for `to`.
absl::StatusOr<std::vector<SupportMatrixChange>> DiffSupportMatrix(
    const RegistrySnapshot& from, const RegistrySnapshot& to, const SupportMatrixFilter& filter);

// What an exporter registers for one library. Views into the snapshot.
struct ExporterCount {
  absl::string_view library;
  int model_types;
  int tasks;  // registry keys, summed over its model types
};

// Per library (merge order), for the libraries `exporter` registers anything in.
std::vector<ExporterCount> CountExporter(const RegistrySnapshot& snapshot,
                                         absl::string_view exporter);

}  // namespace tasks::registry

#endif  // TASKS_SERVER_REGISTRY_SUPPORT_MATRIX_H_
