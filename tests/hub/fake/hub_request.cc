#include "tests/hub/fake/hub_request.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "httplib.h"

namespace tasks::testing::fake_hub {
namespace {

struct Segment {
  std::string raw;
  std::string decoded;
  size_t offset;  // of `raw` in the raw path
};

std::vector<Segment> SplitPath(const std::string& raw_path) {
  std::vector<Segment> segments;
  for (size_t start = 1; start <= raw_path.size();) {  // 1: after the leading '/'
    size_t end = raw_path.find('/', start);
    if (end == std::string::npos) end = raw_path.size();
    std::string raw = raw_path.substr(start, end - start);
    std::string decoded = httplib::detail::decode_url(raw, /*convert_plus_to_space=*/false);
    segments.push_back({std::move(raw), std::move(decoded), start});
    start = end + 1;
  }
  return segments;
}

std::string JoinDecoded(absl::Span<const Segment> segments) {
  return absl::StrJoin(segments, "/", [](std::string* out, const Segment& segment) {
    out->append(segment.decoded);
  });
}

// What follows the repo id in /api/models/{id}...: nothing, /revision/{rev}, /tree/{rev}[/path].
bool MatchApiCall(absl::Span<const Segment> rest, HubRequest& request) {
  if (rest.empty()) {
    request.endpoint = HubEndpoint::kModelInfo;
    return true;
  }
  if (rest.size() < 2) return false;
  if (rest[0].decoded == "revision") {
    request.endpoint = HubEndpoint::kModelInfo;
    request.revision = JoinDecoded(rest.subspan(1));
    return true;
  }
  if (rest[0].decoded == "tree") {
    request.endpoint = HubEndpoint::kTree;
    request.revision = rest[1].decoded;
    request.path = JoinDecoded(rest.subspan(2));
    return true;
  }
  return false;
}

// What follows the repo id in /{id}/resolve/{rev}/{path}.
bool MatchResolve(absl::Span<const Segment> rest, HubRequest& request) {
  if (rest.size() < 3 || rest[0].decoded != "resolve") return false;
  request.endpoint = HubEndpoint::kResolve;
  request.revision = rest[1].decoded;
  request.path = JoinDecoded(rest.subspan(2));
  return true;
}

}  // namespace

HubRequest ParseHubRequest(const std::string& target) {
  HubRequest request;
  const size_t query = target.find('?');
  request.raw_path = target.substr(0, query);
  if (query != std::string::npos) request.raw_query = target.substr(query + 1);

  const std::vector<Segment> segments = SplitPath(request.raw_path);
  const bool api =
      segments.size() > 2 && segments[0].decoded == "api" && segments[1].decoded == "models";
  const size_t id_start = api ? 2 : 0;
  // Ids have one or two parts; what follows them tells which. Two parts are tried first, so
  // "/api/models/gpt2/tree/main" is the tree of "gpt2", not the model info of "gpt2/tree".
  for (size_t id_size : {2, 1}) {
    if (id_start + id_size > segments.size()) continue;
    const auto id = absl::MakeConstSpan(segments).subspan(id_start, id_size);
    const auto rest = absl::MakeConstSpan(segments).subspan(id_start + id_size);
    if (!(api ? MatchApiCall(rest, request) : MatchResolve(rest, request))) continue;
    request.repo_id = JoinDecoded(id);
    request.repo_id_begin = id.front().offset;
    request.repo_id_end = id.back().offset + id.back().raw.size();
    return request;
  }
  return request;
}

}  // namespace tasks::testing::fake_hub
