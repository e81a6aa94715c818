// TasksManagerHolder: the TasksManager calls answer from, replaced whole when the registry is
// reloaded. A call takes the current one once (Get) and answers from it to the end, so a reload
// never changes the registry under a call; a replaced TasksManager lives on until the last call
// holding it ends. Thread-safe; Get takes no lock shared with other calls or with Set (an
// atomic shared_ptr: each load only touches the holder's own word).
#ifndef TASKS_SERVER_REGISTRY_TASKS_MANAGER_HOLDER_H_
#define TASKS_SERVER_REGISTRY_TASKS_MANAGER_HOLDER_H_

#include <atomic>
#include <memory>
#include <utility>

#include "server/registry/tasks_manager.h"

namespace tasks::registry {

class TasksManagerHolder {
 public:
  explicit TasksManagerHolder(std::shared_ptr<const TasksManager> initial)
      : current_(std::move(initial)) {}

  std::shared_ptr<const TasksManager> Get() const { return current_.load(); }
  void Set(std::shared_ptr<const TasksManager> next) { current_.store(std::move(next)); }

 private:
  std::atomic<std::shared_ptr<const TasksManager>> current_;
};

}  // namespace tasks::registry

#endif  // TASKS_SERVER_REGISTRY_TASKS_MANAGER_HOLDER_H_
