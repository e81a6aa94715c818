#include "server/common/local_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tasks {
namespace {

// Symlinks one resolution follows, as the kernel's own limit.
constexpr int kMaxSymlinks = 40;
// Folders one resolution or listing holds open at once (one descriptor per level).
constexpr size_t kMaxDepth = 64;

// Set once openat2 turns out to be missing (ENOSYS) or refused (EPERM from a seccomp profile).
std::atomic<bool> openat2_unavailable{false};

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Close();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }

  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }

 private:
  void Close() {
    if (fd_ >= 0) close(fd_);
  }
  int fd_;
};

absl::Status ErrnoStatus(int error) {
  const char* what = strerrordesc_np(error);
  switch (error) {
    case EXDEV:
      return absl::PermissionDeniedError("leads out of the folder");
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
    case ELOOP:
      return absl::NotFoundError(absl::StrCat("not found (", what ? what : "?", ")"));
    default:
      return absl::FailedPreconditionError(
          absl::StrCat("cannot be read (", what ? what : "?", ")"));
  }
}

// The parts of a relative path, without empty and "." parts ("a//./b" is a, b).
std::deque<std::string> Components(absl::string_view path) {
  std::deque<std::string> parts;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (!part.empty() && part != ".") parts.emplace_back(part);
  }
  return parts;
}

std::string Join(absl::string_view folder, absl::string_view name) {
  return folder.empty() ? std::string(name) : absl::StrCat(folder, "/", name);
}

absl::StatusOr<std::string> ReadLink(const Fd& link) {
  char target[PATH_MAX];
  const ssize_t size = readlinkat(link.get(), "", target, sizeof(target));
  if (size < 0) return ErrnoStatus(errno);
  if (static_cast<size_t>(size) == sizeof(target)) return ErrnoStatus(ENAMETOOLONG);
  return std::string(target, size);
}

bool SameObject(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

class SystemTree final : public FileTree {
 public:
  SystemTree(Fd root, bool use_kernel) : root_(std::move(root)), use_kernel_(use_kernel) {}

  absl::StatusOr<Kind> KindOf(absl::string_view path) const override {
    absl::StatusOr<Fd> found = Open(path, O_PATH);
    if (!found.ok()) return found.status();
    struct stat status;
    if (fstat(found->get(), &status) != 0) return ErrnoStatus(errno);
    if (S_ISDIR(status.st_mode)) return Kind::kFolder;
    return S_ISREG(status.st_mode) ? Kind::kFile : Kind::kOther;
  }

  std::vector<std::string> ListFiles(absl::string_view path, size_t max_files) const override {
    std::vector<std::string> files;
    absl::StatusOr<Fd> folder = Open(path, O_RDONLY | O_DIRECTORY);
    if (folder.ok()) ListInto(*std::move(folder), std::string(path), "", 0, max_files, files);
    std::sort(files.begin(), files.end());
    return files;
  }

  absl::StatusOr<std::string> ReadFile(absl::string_view path, size_t max_bytes) const override {
    absl::StatusOr<Fd> file = Open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (!file.ok()) return file.status();
    struct stat status;
    if (fstat(file->get(), &status) != 0) return ErrnoStatus(errno);
    if (!S_ISREG(status.st_mode)) return absl::FailedPreconditionError("not a regular file");
    const auto too_large = [max_bytes] {
      return absl::ResourceExhaustedError(absl::StrCat("larger than ", max_bytes, " bytes"));
    };
    if (static_cast<size_t>(status.st_size) > max_bytes) return too_large();
    std::string contents;
    char buffer[16 << 10];
    for (;;) {
      const ssize_t size = read(file->get(), buffer, sizeof(buffer));
      if (size < 0 && errno == EINTR) continue;
      if (size < 0) return ErrnoStatus(errno);
      if (size == 0) return contents;
      // It may have grown since fstat.
      if (contents.size() + size > max_bytes) return too_large();
      contents.append(buffer, size);
    }
  }

 private:
  // Opens `path` beneath the root: O_PATH to look at it, O_RDONLY... to read it.
  absl::StatusOr<Fd> Open(absl::string_view path, int flags) const {
    // Checked here so that both resolutions see the same string, and the OS the string checked.
    if (absl::StrContains(path, '\0')) return absl::InvalidArgumentError("holds a NUL character");
    if (absl::StartsWith(path, "/")) return ErrnoStatus(EXDEV);
    if (use_kernel_ && !openat2_unavailable.load(std::memory_order_relaxed)) {
      std::optional<absl::StatusOr<Fd>> opened = OpenWithKernel(path, flags);
      if (opened) return *std::move(opened);
    }
    return OpenStepByStep(path, flags);
  }

  // nullopt when the kernel cannot do it.
  std::optional<absl::StatusOr<Fd>> OpenWithKernel(absl::string_view path, int flags) const {
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    const std::string name = path.empty() ? "." : std::string(path);
    // EAGAIN: a rename raced with a '..' step; the kernel asks to try again.
    for (int attempt = 0; attempt < 3; ++attempt) {
      const long fd = syscall(SYS_openat2, root_.get(), name.c_str(), &how, sizeof(how));
      if (fd >= 0) return Fd(static_cast<int>(fd));
      if (errno == ENOSYS || errno == EPERM) {
        openat2_unavailable.store(true, std::memory_order_relaxed);
        return std::nullopt;
      }
      if (errno != EAGAIN) return ErrnoStatus(errno);
    }
    return ErrnoStatus(EAGAIN);
  }

  // What openat2(RESOLVE_BENEATH) does, in user space: each component is opened from the
  // descriptor of the folder before it without following symlinks; a symlink is read and its
  // target's components resolved in its place; '..' never climbs above the root.
  absl::StatusOr<Fd> OpenStepByStep(absl::string_view path, int flags) const {
    std::deque<std::string> pending = Components(path);
    std::vector<Fd> entered;  // folders below the root, outermost first
    const auto here = [&] { return entered.empty() ? root_.get() : entered.back().get(); };
    int detours = 0;  // symlinks followed, and names that changed while being opened
    if (pending.empty()) pending.push_back(".");
    while (!pending.empty()) {
      std::string name = std::move(pending.front());
      pending.pop_front();
      if (name == "..") {
        if (entered.empty()) return ErrnoStatus(EXDEV);
        entered.pop_back();
        if (pending.empty()) pending.push_back(".");
        continue;
      }
      Fd step(openat(here(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      struct stat status;
      if (!step.ok() || fstat(step.get(), &status) != 0) return ErrnoStatus(errno);
      if (S_ISLNK(status.st_mode)) {
        if (++detours > kMaxSymlinks) return ErrnoStatus(ELOOP);
        absl::StatusOr<std::string> target = ReadLink(step);
        if (!target.ok()) return target.status();
        if (target->empty() || absl::StartsWith(*target, "/")) return ErrnoStatus(EXDEV);
        std::deque<std::string> parts = Components(*target);
        pending.insert(pending.begin(), parts.begin(), parts.end());
        if (pending.empty()) pending.push_back(".");
        continue;
      }
      if (!pending.empty()) {  // a step on the way
        if (!S_ISDIR(status.st_mode)) return ErrnoStatus(ENOTDIR);
        if (entered.size() >= kMaxDepth) return ErrnoStatus(ENAMETOOLONG);
        entered.push_back(std::move(step));
        continue;
      }
      if ((flags & O_PATH) != 0) return step;
      // To read it, the name is opened again, without following, and kept only if it is still
      // the object just checked; if it was swapped meanwhile, it is resolved again.
      Fd opened(openat(here(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
      struct stat reopened;
      if (opened.ok() && fstat(opened.get(), &reopened) == 0 && SameObject(status, reopened)) {
        return opened;
      }
      if (!opened.ok() && errno != ELOOP) return ErrnoStatus(errno);
      if (++detours > kMaxSymlinks) return ErrnoStatus(ELOOP);
      pending.push_front(std::move(name));
    }
    return ErrnoStatus(ENOENT);  // not reached: the loop returns at the last component
  }

  // Adds the files of open folder `folder` (`path` in the tree) to `files`, named `prefix` + name.
  void ListInto(Fd folder, const std::string& path, const std::string& prefix, size_t depth,
                size_t max_files, std::vector<std::string>& files) const {
    DIR* dir = fdopendir(folder.get());
    if (dir == nullptr) return;
    folder.release();
    const std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, &closedir);
    while (files.size() < max_files) {
      const dirent* entry = readdir(dir);
      if (entry == nullptr) return;
      const std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      unsigned char type = entry->d_type;
      struct stat status;
      if (type == DT_UNKNOWN) {
        if (fstatat(dirfd(dir), name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) continue;
        type = IFTODT(status.st_mode);
      }
      if (type == DT_REG || (type == DT_LNK && ListsSymlink(Join(path, name)))) {
        files.push_back(prefix + name);
      } else if (type == DT_DIR && depth + 1 < kMaxDepth) {
        Fd sub(openat(dirfd(dir), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (sub.ok()) {
          ListInto(std::move(sub), Join(path, name), prefix + name + "/", depth + 1, max_files,
                   files);
        }
      }
    }
  }

  // A symlink to a file inside is listed, and so is one leading out, whether or not its target
  // exists, so that the listing tells nothing about what lies outside.
  bool ListsSymlink(const std::string& path) const {
    absl::StatusOr<Kind> kind = KindOf(path);
    return kind.ok() ? *kind == Kind::kFile : absl::IsPermissionDenied(kind.status());
  }

  const Fd root_;
  const bool use_kernel_;
};

class SystemLocalFiles final : public LocalFiles {
 public:
  explicit SystemLocalFiles(bool use_kernel) : use_kernel_(use_kernel) {}

  absl::StatusOr<std::unique_ptr<FileTree>> OpenTree(const std::string& root) const override {
    if (absl::StrContains(root, '\0')) return absl::InvalidArgumentError("holds a NUL character");
    Fd fd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd.ok()) return ErrnoStatus(errno);
    return std::make_unique<SystemTree>(std::move(fd), use_kernel_);
  }

 private:
  const bool use_kernel_;
};

}  // namespace

const LocalFiles& SystemFiles(BeneathResolution resolution) {
  static const SystemLocalFiles* const kernel = new SystemLocalFiles(true);
  static const SystemLocalFiles* const step_by_step = new SystemLocalFiles(false);
  return resolution == BeneathResolution::kKernelIfAvailable ? *kernel : *step_by_step;
}

}  // namespace tasks
