#include "tests/hub/fake/faults.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "tests/hub/fake/hub_error.h"

namespace tasks::testing::fake_hub {
namespace {

bool Applies(const Fault& fault, HubEndpoint endpoint, const std::string& path) {
  return (fault.endpoint == HubEndpoint::kOther || fault.endpoint == endpoint) &&
         absl::StrContains(path, fault.path_contains);
}

int PortOf(const sockaddr_in& address) { return ntohs(address.sin_port); }

// Whether `fd` is the server end of the TCP connection between `local_port` (ours) and
// `remote_port` (the client's).
bool IsConnection(int fd, int local_port, int remote_port) {
  sockaddr_in local{};
  sockaddr_in remote{};
  socklen_t local_size = sizeof(local);
  socklen_t remote_size = sizeof(remote);
  return getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) == 0 &&
         getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &remote_size) == 0 &&
         local.sin_family == AF_INET && remote.sin_family == AF_INET &&
         PortOf(local) == local_port && PortOf(remote) == remote_port;
}

// Aborts the connection `request` came on: the client gets a TCP reset and no answer at all.
// httplib 0.11.4 shows handlers no socket, so find it among the process's descriptors by its
// two ports. Closing it ourselves would let httplib later close a reused descriptor number;
// instead dup2 puts an unconnected socket in its place, which drops the last reference to the
// connection (closed with SO_LINGER 0, so with an RST) and leaves httplib a descriptor whose
// writes fail at once and which it closes as usual.
bool ResetConnection(const httplib::Request& request) {
  for (const std::filesystem::directory_entry& entry :
       std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = -1;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &fd) ||
        !IsConnection(fd, request.local_port, request.remote_port)) {
      continue;
    }
    const linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
    const int placeholder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (placeholder < 0) return false;
    const bool replaced = dup2(placeholder, fd) == fd;
    close(placeholder);
    return replaced;
  }
  return false;
}

// Sends the body of the normal answer one byte per `delay`, the headers (and Content-Length)
// at once, like a stalled but live connection.
void DripBody(absl::Duration delay, const absl::Notification& stopping,
              httplib::Response& response) {
  if (response.body.empty()) return;  // nothing to drip (and httplib wants a non-empty length)
  auto body = std::make_shared<const std::string>(std::move(response.body));
  response.body.clear();
  const std::string content_type = response.get_header_value("Content-Type");
  response.headers.erase("Content-Type");  // set_content_provider adds it again
  response.set_content_provider(
      body->size(), content_type,
      [body, delay, &stopping](size_t offset, size_t /*length*/, httplib::DataSink& sink) {
        if (stopping.WaitForNotificationWithTimeout(delay)) return false;  // server stopping
        return sink.write(body->data() + offset, 1);
      });
}

// 200 with a JSON-looking body of exactly `bytes` bytes, made chunk by chunk so that huge sizes
// cost no memory.
void SendOversizedBody(size_t bytes, httplib::Response& response) {
  if (bytes == 0) return response.set_content("", kJsonContentType);
  response.set_content_provider(
      bytes, kJsonContentType, [](size_t offset, size_t length, httplib::DataSink& sink) {
        constexpr absl::string_view kOpening = R"({"siblings": [{"rfilename": ")";
        std::string chunk(std::min<size_t>(length, 64 << 10), 'x');
        for (size_t i = offset; i < kOpening.size() && i - offset < chunk.size(); ++i) {
          chunk[i - offset] = kOpening[i];
        }
        return sink.write(chunk.data(), chunk.size());
      });
}

void SendTooManyRequests(int retry_after_seconds, httplib::Response& response) {
  response.set_header("Retry-After", absl::StrCat(retry_after_seconds));
  response.set_header("RateLimit", absl::StrCat("\"api\";r=0;t=", retry_after_seconds));
  SetHubError({429, "",
               absl::StrCat("Too many requests: you have reached the rate limit for 'api' "
                            "requests. Retry in ",
                            retry_after_seconds, " seconds.")},
              response);
}

}  // namespace

void FaultList::Add(Fault fault) {
  if (fault.times == 0) return;  // spent before it starts
  std::lock_guard lock(mutex_);
  faults_.push_back(std::move(fault));
}

void FaultList::Clear() {
  std::lock_guard lock(mutex_);
  faults_.clear();
}

std::optional<Fault> FaultList::Take(HubEndpoint endpoint, const std::string& path) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(faults_.begin(), faults_.end(),
                         [&](const Fault& fault) { return Applies(fault, endpoint, path); });
  if (it == faults_.end()) return std::nullopt;
  Fault taken = *it;
  if (it->times > 0 && --it->times == 0) faults_.erase(it);
  return taken;
}

void AnswerWithFault(const Fault& fault, const absl::Notification& stopping,
                     const std::function<void()>& answer, const httplib::Request& request,
                     httplib::Response& response) {
  switch (fault.kind) {
    case Fault::Kind::kDelay:
      stopping.WaitForNotificationWithTimeout(fault.delay);
      return answer();
    case Fault::Kind::kSlowDrip:
      answer();
      return DripBody(fault.delay, stopping, response);
    case Fault::Kind::kStatus:
      return SetHubError({fault.status, "", absl::StrCat("Injected fault: HTTP ", fault.status)},
                         response);
    case Fault::Kind::kTooManyRequests:
      return SendTooManyRequests(fault.retry_after_seconds, response);
    case Fault::Kind::kReset:
      if (!ResetConnection(request)) {
        SetHubError({500, "", "Injected fault: the connection to reset was not found"}, response);
      }
      return;
    case Fault::Kind::kMalformedBody:
      return response.set_content(R"({"id": "truncated-in-the-mid)", kJsonContentType);
    case Fault::Kind::kOversizedBody:
      return SendOversizedBody(fault.body_bytes, response);
  }
}

}  // namespace tasks::testing::fake_hub
