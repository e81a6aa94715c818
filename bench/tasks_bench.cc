// tasks-bench: a closed-loop load generator for the TasksManager service. `--concurrency` calls
// are kept in flight over one channel (each completion starts the next call) for `--duration`
// seconds after `--warmup`, or until `--requests` calls have completed; then it prints one JSON
// object: throughput and latency percentiles per RPC and overall, and errors by code.
//
// Requests are serialized once up front and sent with the generic stub, and answers are not
// parsed, so the generator costs the same whatever the server answers: the baseline
// (bench-echo-server) and tasks-server are measured with identical client work.
//
//   tasks-bench --target 127.0.0.1:50051 --mix registry --concurrency 32 --duration 3
//   tasks-bench --target ... --mix resolve --repos org/a,org/b --requests 6400 --concurrency 64
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/blocking_counter.h"
#include "google/protobuf/message.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "optimum/tasks/v1/tasks_manager.pb.h"

namespace tasks::bench {
namespace {

namespace v1 = optimum::tasks::v1;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string target;
  std::string mix = "registry";
  std::vector<std::string> repos = {"google-bert/bert-base-uncased", "openai-community/gpt2",
                                    "distilbert/distilbert-base-uncased",
                                    "deepset/roberta-base-squad2"};
  int concurrency = 32;
  double duration_seconds = 3;
  double warmup_seconds = 0.5;
  int copies = 0;         // > 0: the repos are the fake Hub's copies of bert instead
  int copies_offset = 0;  // the first copy's number
  int repeat = 1;         // each call of the mix is made this many times in a row
  int64_t requests = 0;   // > 0: run until this many calls completed, no warm-up
  double deadline_seconds = 30;
  std::string optimum_version;  // sent as `optimum-version` metadata on every call; "": none
};

// One kind of call of a mix: the method's path and its request, serialized once.
struct Call {
  std::string rpc;  // method name, for the report
  std::string path;
  grpc::ByteBuffer request;
};

Call MakeCall(const std::string& rpc, const google::protobuf::Message& request) {
  const std::string bytes = request.SerializeAsString();
  grpc::Slice slice(bytes);
  return {rpc, "/optimum.tasks.v1.TasksManager/" + rpc, grpc::ByteBuffer(&slice, 1)};
}

// What an export worker asks of the registries before exporting: tasks of a model type, an
// exporter config, the class to load, a task name, and the model types of a task. All valid.
std::vector<Call> RegistryMix() {
  std::vector<Call> calls;
  const std::vector<std::array<const char*, 3>> supported = {
      {"bert", "onnx", "transformers"},
      {"gpt2", "onnx", ""},
      {"llama", "openvino", "transformers"},
      {"whisper", "onnx", "transformers"},
      {"distilbert", "tflite", "transformers"}};
  for (const auto& [model_type, exporter, library] : supported) {
    v1::GetSupportedTasksForModelTypeRequest request;
    request.set_model_type(model_type);
    request.set_exporter(exporter);
    if (*library != '\0') request.set_library_name(library);
    calls.push_back(MakeCall("GetSupportedTasksForModelType", request));
  }
  for (const auto& [exporter, task, model_type] :
       std::vector<std::array<const char*, 3>>{{"onnx", "text-generation-with-past", "llama"},
                                               {"tflite", "fill-mask", "bert"},
                                               {"openvino", "text-generation", "qwen2"}}) {
    v1::GetExporterConfigConstructorRequest request;
    request.set_exporter(exporter);
    request.set_task(task);
    request.set_model_type(model_type);
    request.set_library_name("transformers");
    calls.push_back(MakeCall("GetExporterConfigConstructor", request));
  }
  for (const auto& [task, model_type] : std::vector<std::array<const char*, 2>>{
           {"text-generation", "llama"}, {"automatic-speech-recognition", "whisper"}}) {
    v1::GetModelClassForTaskRequest request;
    request.set_task(task);
    request.set_model_type(model_type);
    calls.push_back(MakeCall("GetModelClassForTask", request));
  }
  v1::MapFromSynonymRequest synonym;
  synonym.set_task("causal-lm-with-past");
  calls.push_back(MakeCall("MapFromSynonym", synonym));
  v1::GetSupportedModelTypeForTaskRequest model_types;
  model_types.set_task("text-classification");
  model_types.set_exporter("onnx");
  calls.push_back(MakeCall("GetSupportedModelTypeForTask", model_types));
  return calls;
}

// ResolveExport of each repo only (the cold fan-in asks exactly this).
std::vector<Call> ResolveMix(const std::vector<std::string>& repos) {
  std::vector<Call> calls;
  for (const std::string& repo : repos) {
    v1::ResolveExportRequest request;
    request.set_model(repo);
    request.set_exporter("onnx");
    calls.push_back(MakeCall("ResolveExport", request));
  }
  return calls;
}

// The inference RPCs over each repo: what a worker asks of a model.
std::vector<Call> InferenceMix(const std::vector<std::string>& repos) {
  std::vector<Call> calls = ResolveMix(repos);
  for (const std::string& repo : repos) {
    v1::InferTaskFromModelRequest task;
    task.set_model(repo);
    calls.push_back(MakeCall("InferTaskFromModel", task));
    v1::DetermineFrameworkRequest framework;
    framework.set_model_name_or_path(repo);
    calls.push_back(MakeCall("DetermineFramework", framework));
  }
  return calls;
}

// What a fleet sends: each inference call of InferenceMix followed by a registry call.
std::vector<Call> MixedMix(const std::vector<std::string>& repos) {
  const std::vector<Call> registry = RegistryMix();
  std::vector<Call> calls;
  for (Call& call : InferenceMix(repos)) {
    calls.push_back(std::move(call));
    calls.push_back(registry[calls.size() / 2 % registry.size()]);
  }
  return calls;
}

struct Sample {
  uint32_t call;  // index into the mix
  uint32_t micros;
};

class Generator;

// One in-flight slot: issues a call, and on its completion records it and issues the next.
class Slot {
 public:
  explicit Slot(Generator* generator) : generator_(generator) {}
  void Issue();

  std::vector<Sample> samples;
  std::map<grpc::StatusCode, int64_t> errors;

 private:
  void OnDone(const grpc::Status& status);

  Generator* generator_;
  std::unique_ptr<grpc::ClientContext> context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  uint32_t call_ = 0;
  Clock::time_point start_;
};

class Generator {
 public:
  Generator(const Options& options, std::vector<Call> calls)
      : options_(options),
        calls_(std::move(calls)),
        channel_(grpc::CreateChannel(options.target, grpc::InsecureChannelCredentials())),
        stub_(channel_),
        finished_(options.concurrency) {}

  nlohmann::ordered_json Run() {
    if (!channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      return {{"error", "cannot connect to " + options_.target}};
    }
    const Clock::time_point start = Clock::now();
    if (options_.requests > 0) {
      record_from_ = start;
      record_until_ = Clock::time_point::max();
    } else {
      record_from_ = start + ToDuration(options_.warmup_seconds);
      record_until_ = record_from_ + ToDuration(options_.duration_seconds);
    }
    std::vector<std::unique_ptr<Slot>> slots;
    for (int i = 0; i < options_.concurrency; ++i) slots.push_back(std::make_unique<Slot>(this));
    for (auto& slot : slots) slot->Issue();
    finished_.Wait();
    const double seconds =
        options_.requests > 0
            ? std::chrono::duration<double>(last_completion_.load() - start).count()
            : options_.duration_seconds;
    return Report(slots, seconds);
  }

 private:
  friend class Slot;

  static Clock::duration ToDuration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  // The next call to make, or false when the run is over for this slot.
  bool Next(uint32_t& call) {
    const int64_t index = issued_.fetch_add(1, std::memory_order_relaxed);
    if (options_.requests > 0 ? index >= options_.requests : Clock::now() >= record_until_) {
      finished_.DecrementCount();
      return false;
    }
    call = static_cast<uint32_t>(index / options_.repeat % static_cast<int64_t>(calls_.size()));
    return true;
  }

  bool Recording(Clock::time_point end) const { return end >= record_from_ && end < record_until_; }

  nlohmann::ordered_json Report(const std::vector<std::unique_ptr<Slot>>& slots,
                                double seconds) const {
    std::map<std::string, std::vector<uint32_t>> by_rpc;
    std::vector<uint32_t> all;
    std::map<std::string, int64_t> errors;
    for (const auto& slot : slots) {
      for (const Sample& sample : slot->samples) {
        by_rpc[calls_[sample.call].rpc].push_back(sample.micros);
        all.push_back(sample.micros);
      }
      for (const auto& [code, count] : slot->errors) {
        errors[absl::StatusCodeToString(static_cast<absl::StatusCode>(code))] += count;
      }
    }
    nlohmann::ordered_json report = {{"target", options_.target},           {"mix", options_.mix},
                                     {"concurrency", options_.concurrency}, {"seconds", seconds},
                                     {"total", Stats(all, seconds)},        {"errors", errors}};
    for (auto& [rpc, micros] : by_rpc) report["rpcs"][rpc] = Stats(micros, seconds);
    return report;
  }

  static nlohmann::ordered_json Stats(std::vector<uint32_t>& micros, double seconds) {
    if (micros.empty()) return {{"count", 0}};
    std::sort(micros.begin(), micros.end());
    auto percentile = [&micros](double p) {
      return micros[std::min(micros.size() - 1, static_cast<size_t>(p * micros.size()))];
    };
    return {{"count", micros.size()},     {"qps", micros.size() / seconds},
            {"p50_us", percentile(0.50)}, {"p90_us", percentile(0.90)},
            {"p99_us", percentile(0.99)}, {"max_us", micros.back()}};
  }

  const Options& options_;
  const std::vector<Call> calls_;
  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
  absl::BlockingCounter finished_;
  std::atomic<int64_t> issued_ = 0;
  std::atomic<Clock::time_point> last_completion_{};
  Clock::time_point record_from_;
  Clock::time_point record_until_;
};

void Slot::Issue() {
  if (!generator_->Next(call_)) return;
  const Call& call = generator_->calls_[call_];
  context_ = std::make_unique<grpc::ClientContext>();
  context_->set_deadline(std::chrono::system_clock::now() +
                         std::chrono::duration_cast<std::chrono::system_clock::duration>(
                             std::chrono::duration<double>(generator_->options_.deadline_seconds)));
  if (!generator_->options_.optimum_version.empty()) {
    context_->AddMetadata("optimum-version", generator_->options_.optimum_version);
  }
  request_ = call.request;  // shares the serialized bytes
  response_.Clear();
  start_ = Clock::now();
  generator_->stub_.UnaryCall(context_.get(), call.path, grpc::StubOptions(), &request_, &response_,
                              [this](grpc::Status status) { OnDone(status); });
}

void Slot::OnDone(const grpc::Status& status) {
  const Clock::time_point end = Clock::now();
  if (generator_->Recording(end)) {
    if (status.ok()) {
      samples.push_back(
          {call_,
           static_cast<uint32_t>(
               std::chrono::duration_cast<std::chrono::microseconds>(end - start_).count())});
    } else {
      ++errors[status.error_code()];
    }
  }
  Clock::time_point last = generator_->last_completion_.load();
  while (end > last && !generator_->last_completion_.compare_exchange_weak(last, end)) {
  }
  Issue();
}

}  // namespace
}  // namespace tasks::bench

int main(int argc, char** argv) {
  using tasks::bench::Options;
  CLI::App app{"Closed-loop load generator for the TasksManager service; prints JSON"};
  Options options;
  app.add_option("--target", options.target, "server address")->required();
  app.add_option("--mix", options.mix, "registry | inference | resolve | mixed")
      ->check(CLI::IsMember({"registry", "inference", "resolve", "mixed"}))
      ->capture_default_str();
  app.add_option("--repos", options.repos, "Hub repos of the inference and resolve mixes")
      ->delimiter(',');
  app.add_option("--concurrency", options.concurrency, "calls in flight")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--duration", options.duration_seconds, "seconds measured")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup", options.warmup_seconds, "seconds before measuring")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--copies", options.copies,
                 "use the fake Hub's google-bert/bert-base-uncased-copy-<i> repos (fake-hub "
                 "--copies) instead of --repos")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--copies_offset", options.copies_offset, "number of the first copy used")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--repeat", options.repeat,
                 "make each call this many times in a row (callers asking for one repo at once)")
      ->check(CLI::PositiveNumber);
  app.add_option("--requests", options.requests,
                 "stop after this many calls (all measured, no warm-up) instead of --duration")
      ->check(CLI::PositiveNumber);
  app.add_option("--optimum_version", options.optimum_version,
                 "the generation every call asks for (`optimum-version` metadata)");
  app.add_option("--deadline", options.deadline_seconds, "deadline of each call, in seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (options.copies > 0) {
    options.repos.clear();
    for (int i = 0; i < options.copies; ++i) {
      options.repos.push_back(
          absl::StrCat("google-bert/bert-base-uncased-copy-", options.copies_offset + i));
    }
  }

  std::vector<tasks::bench::Call> calls = options.mix == "registry" ? tasks::bench::RegistryMix()
                                          : options.mix == "inference"
                                              ? tasks::bench::InferenceMix(options.repos)
                                          : options.mix == "mixed"
                                              ? tasks::bench::MixedMix(options.repos)
                                              : tasks::bench::ResolveMix(options.repos);
  tasks::bench::Generator generator(options, std::move(calls));
  const nlohmann::ordered_json report = generator.Run();
  std::printf("%s\n", report.dump().c_str());
  return report.contains("error") ? 1 : 0;
}
