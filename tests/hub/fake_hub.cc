#include "tests/hub/fake_hub.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/hub/fake/hub_server.h"

namespace tasks::testing {

struct FakeHub::Impl {
  explicit Impl(std::string fixtures_dir) : server(std::move(fixtures_dir)) {}
  fake_hub::HubServer server;
};

FakeHub::FakeHub(std::string fixtures_dir)
    : impl_(std::make_unique<Impl>(std::move(fixtures_dir))) {}

FakeHub::~FakeHub() = default;

bool FakeHub::Start() { return impl_->server.Start(/*port=*/0); }

int FakeHub::port() const { return impl_->server.port(); }

std::string FakeHub::endpoint() const { return absl::StrCat("http://127.0.0.1:", port()); }

void FakeHub::InjectFault(Fault fault) { impl_->server.faults().Add(std::move(fault)); }

void FakeHub::ClearFaults() { impl_->server.faults().Clear(); }

int FakeHub::RequestCount(HubEndpoint endpoint, const std::string& repo_id) const {
  return impl_->server.requests().Count(endpoint, repo_id);
}

int FakeHub::TotalRequests() const { return impl_->server.requests().Total(); }

void FakeHub::ResetCounts() { impl_->server.requests().Clear(); }

std::vector<std::string> FakeHub::AuthorizationHeaders() const {
  return impl_->server.requests().AuthorizationHeaders();
}

}  // namespace tasks::testing
