// The registry data files compiled into the binary (data/<generation folder>/*.txtpb, by
// cmake/embed_files.cmake), so the server needs no flag and no installed file to start.
#ifndef TASKS_SERVER_REGISTRY_EMBEDDED_REGISTRY_H_
#define TASKS_SERVER_REGISTRY_EMBEDDED_REGISTRY_H_

#include <span>
#include <string_view>

namespace tasks::registry {

struct EmbeddedFile {
  const char* folder;  // the generation's folder under data/, e.g. "registry-2.1"
  const char* name;    // file name, e.g. "10-onnx.txtpb"
  std::string_view contents;
};

// By folder, then in file-name order.
std::span<const EmbeddedFile> EmbeddedRegistryFiles();

}  // namespace tasks::registry

#endif  // TASKS_SERVER_REGISTRY_EMBEDDED_REGISTRY_H_
