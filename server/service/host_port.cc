#include "server/service/host_port.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tasks::service {
namespace {

constexpr int kMaxPort = 65535;

// "'<address>' is not <forms> (<why>; ports are ...)".
absl::Status NotHostPort(absl::string_view address, absl::string_view forms,
                         absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("'", address, "' is not ", forms, " (", why,
                                                 "; ports are 0 to ", kMaxPort,
                                                 ", 0 for any free one)"));
}

// ParseHostPort, whose error names `forms` as what is accepted.
absl::StatusOr<HostPort> Parse(absl::string_view address, absl::string_view forms) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return NotHostPort(address, forms, "no port");
  absl::string_view host = address.substr(0, colon);
  const absl::string_view port_text = address.substr(colon + 1);
  if (absl::ConsumePrefix(&host, "[") && !absl::ConsumeSuffix(&host, "]")) {
    return NotHostPort(address, forms, "unclosed '['");
  }
  if (host.empty()) return NotHostPort(address, forms, "no host");
  // SimpleAtoi would take a sign and spaces; a port is digits only.
  int port = -1;
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port_text, &port) || port > kMaxPort) {
    return NotHostPort(address, forms, absl::StrCat("bad port '", port_text, "'"));
  }
  return HostPort{std::string(host), port};
}

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(absl::string_view address) {
  return Parse(address, "host:port");
}

bool IsUnixAddress(absl::string_view address) {
  return absl::StartsWith(address, "unix:") || absl::StartsWith(address, "unix-abstract:");
}

std::string UnixSocketPath(absl::string_view address) {
  if (!absl::ConsumePrefix(&address, "unix:")) return "";
  // gRPC's URI form: unix://<authority>/path with an empty authority.
  if (absl::StartsWith(address, "//")) address.remove_prefix(2);
  return std::string(address);
}

absl::Status CheckListenAddress(absl::string_view address) {
  if (IsUnixAddress(address)) {
    if (address.substr(address.find(':') + 1).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("'", address, "' names no socket path"));
    }
    return absl::OkStatus();
  }
  return Parse(address, "host:port or unix:/path").status();
}

}  // namespace tasks::service
