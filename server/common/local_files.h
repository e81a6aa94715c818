// LocalFiles: reading a local folder without ever being led out of it.
//
// A FileTree is a folder the server trusts (a --model_root, a Hugging Face cache repo folder),
// held open by a descriptor. Every path given to it is relative and is resolved from that
// descriptor so that no step leads out of the tree: not '..', not an absolute or relative
// symlink, not a component swapped for a symlink between a check and a read (what is read is
// the object that was resolved, never a name opened again). Symlinks that stay inside are
// followed: a Hugging Face cache folder is made of them (snapshots/<sha>/x -> ../../blobs/...).
//
// Whatever lies outside looks the same whether it exists or not: a path that would leave the
// tree is PERMISSION_DENIED at the step that leaves, before anything outside is looked up.
//
// Resolution is the kernel's openat2(RESOLVE_BENEATH) where it has it; where it does not (older
// kernels, seccomp profiles that refuse the call) the path is walked one component at a time
// with O_NOFOLLOW, symlinks read and resolved here, with the same answers.
//
// LocalFiles is the seam between ModelLocator and the operating system, so that tests can hand
// it files that live in memory. Every implementation is thread-safe.
#ifndef TASKS_SERVER_COMMON_LOCAL_FILES_H_
#define TASKS_SERVER_COMMON_LOCAL_FILES_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tasks {

// An open folder. Paths are relative to it, '/'-separated; "" is the folder itself. Errors:
// PERMISSION_DENIED when resolving the path would leave the folder; NOT_FOUND when nothing is
// there (or a step is not a folder, or a name is too long); FAILED_PRECONDITION when the server
// may not read what is there.
class FileTree {
 public:
  enum class Kind { kFolder, kFile, kOther };

  virtual ~FileTree() = default;

  // What `path` names, symlinks followed.
  virtual absl::StatusOr<Kind> KindOf(absl::string_view path) const = 0;

  // The files under folder `path`, relative to it, sorted, at most `max_files`, as Python's
  // os.walk finds them: regular files, and symlinks to regular files inside the tree. A symlink
  // leading out of the tree is listed too, whatever is outside (reading it is refused). Folders
  // reached through a symlink are not descended. An unreadable folder lists nothing.
  virtual std::vector<std::string> ListFiles(absl::string_view path, size_t max_files) const = 0;

  // The contents of regular file `path`: RESOURCE_EXHAUSTED when larger than `max_bytes`,
  // FAILED_PRECONDITION when it is not a regular file (a FIFO is never waited on).
  virtual absl::StatusOr<std::string> ReadFile(absl::string_view path, size_t max_bytes) const = 0;
};

class LocalFiles {
 public:
  virtual ~LocalFiles() = default;

  // Opens folder `root`, an absolute path the operator configured (symlinks in it are followed).
  // NOT_FOUND when it is not a folder.
  virtual absl::StatusOr<std::unique_ptr<FileTree>> OpenTree(const std::string& root) const = 0;
};

// How the system's files resolve paths beneath a tree.
enum class BeneathResolution {
  kKernelIfAvailable,  // openat2(RESOLVE_BENEATH), else component by component
  kComponentByComponent,
};

// The operating system's files.
const LocalFiles& SystemFiles(BeneathResolution resolution = BeneathResolution::kKernelIfAvailable);

}  // namespace tasks

#endif  // TASKS_SERVER_COMMON_LOCAL_FILES_H_
