// tasks-cli: command-line client of the optimum.tasks.v1.TasksManager service. One subcommand per
// RPC, named after Optimum's TasksManager method in kebab-case, whose positional arguments are the
// method's required parameters and whose options are its optional ones; plus `health`, a
// grpc.health.v1 check usable as a container health check. The exit code is the gRPC status code
// of the call (0 when it succeeded), so scripts can tell a bad argument from an unreachable server.
// `--token` (or HF_TOKEN) goes to the server as `authorization: Bearer` metadata on every call,
// for the inference subcommands to read gated and private models on the Hub; `--optimum-version`
// as `optimum-version` metadata, choosing the Optimum generation that answers.
#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/render.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "optimum/tasks/v1/tasks_manager.grpc.pb.h"
#include "server/common/version.h"

namespace tasks::cli {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using optimum::tasks::v1::TasksManager;

struct GlobalOptions {
  std::string server = "127.0.0.1:50051";
  bool json = false;
  // Unset: 10 s for a call; none for a --batch stream, whose items the server bounds one by one.
  std::optional<double> deadline_seconds;
  std::string token;            // Hugging Face Hub token; never printed
  std::string optimum_version;  // empty: the server's default generation answers
  // TLS: the CA that signed the server's certificate (set: TLS), the client's own certificate
  // and key (mutual TLS), and the name the server's certificate must carry when not the host's.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_server_name;
};

constexpr double kDefaultDeadlineSeconds = 10;

// How `matrix` and `generations` print; kJson is the response as --json prints it.
enum class Format { kMarkdown, kCsv, kText, kJson };

// A unary method of the generated TasksManager stub.
template <typename Request, typename Response>
using StubMethod = grpc::Status (TasksManager::Stub::*)(grpc::ClientContext*, const Request&,
                                                        Response*);

// The files exist (checked when parsing); one unreadable now reads as empty, which the TLS
// handshake then refuses.
std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::shared_ptr<grpc::Channel> OpenChannel(const GlobalOptions& options) {
  if (options.tls_ca.empty()) {
    return grpc::CreateChannel(options.server, grpc::InsecureChannelCredentials());
  }
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadFile(options.tls_ca);
  if (!options.tls_cert.empty()) {
    tls.pem_cert_chain = ReadFile(options.tls_cert);
    tls.pem_private_key = ReadFile(options.tls_key);
  }
  grpc::ChannelArguments arguments;
  if (!options.tls_server_name.empty()) {
    arguments.SetSslTargetNameOverride(options.tls_server_name);
  }
  return grpc::CreateCustomChannel(options.server, grpc::SslCredentials(tls), arguments);
}

// Makes calls and prints their outcome; every method returns the process exit code.
class Client {
 public:
  explicit Client(const GlobalOptions& options)
      : options_(options), channel_(OpenChannel(options)), stub_(TasksManager::NewStub(channel_)) {}

  template <typename Request, typename Response>
  int Call(StubMethod<Request, Response> method, const Request& request,
           Format format = Format::kText) const {
    grpc::ClientContext context;
    Prepare(context);
    Response response;
    return Print((stub_.get()->*method)(&context, request, &response), response, format);
  }

  int CheckHealth(const HealthCheckRequest& request) const {
    // grpc-proto ships health.proto's messages but no generated stub, hence the generic one.
    grpc::TemplatedGenericStub<HealthCheckRequest, HealthCheckResponse> stub(channel_);
    grpc::ClientContext context;
    Prepare(context);
    HealthCheckResponse response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                   &response, [&done](grpc::Status status) { done.set_value(std::move(status)); });
    const int exit_code = Print(done.get_future().get(), response);
    // A health check must fail for every answer but SERVING, not only for failed calls.
    if (exit_code == 0 && response.status() != HealthCheckResponse::SERVING) return 1;
    return exit_code;
  }

  // GetSupportMatrix or DiffSupportMatrix, printed in `format`.
  template <typename Request, typename Response>
  int PrintMatrix(StubMethod<Request, Response> method, const Request& request,
                  Format format) const {
    grpc::ClientContext context;
    Prepare(context);
    Response response;
    const grpc::Status status = (stub_.get()->*method)(&context, request, &response);
    if (!status.ok()) return Fail(status);
    if (options_.json || format == Format::kJson) {
      std::cout << RenderJson(response);
    } else if (format == Format::kMarkdown) {
      std::cout << RenderMarkdown(response);
    } else if (format == Format::kCsv) {
      std::cout << RenderCsv(response);
    } else {
      std::cout << RenderText(response);
    }
    return 0;
  }

  // Streams `items` to BatchResolveExport from a second thread while this one prints each answer
  // as it arrives. The exit code is the stream's status; failed items are in their own lines.
  int BatchResolve(const std::vector<optimum::tasks::v1::BatchResolveExportRequest>& items) const {
    grpc::ClientContext context;
    Prepare(context, /*whole_stream=*/true);
    auto stream = stub_->BatchResolveExport(&context);
    std::thread writer([&stream, &items] {
      for (const auto& item : items) {
        if (!stream->Write(item)) break;  // the stream ended; Finish says why
      }
      stream->WritesDone();
    });
    optimum::tasks::v1::BatchResolveExportResponse answer;
    while (stream->Read(&answer)) std::cout << RenderBatchAnswerJson(answer) << std::flush;
    writer.join();
    const grpc::Status status = stream->Finish();
    return status.ok() ? 0 : Fail(status);
  }

  int Fail(const grpc::Status& status) const {
    std::cerr << (options_.json ? RenderErrorJson(status) : RenderErrorText(status));
    return status.error_code();
  }

 private:
  // Every call has the deadline and, when there is a token, the Hub credentials, which the server
  // reads as huggingface_hub sends them.
  void Prepare(grpc::ClientContext& context, bool whole_stream = false) const {
    std::optional<double> seconds = options_.deadline_seconds;
    if (!seconds && !whole_stream) seconds = kDefaultDeadlineSeconds;
    if (seconds) {
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::duration_cast<std::chrono::system_clock::duration>(
                               std::chrono::duration<double>(*seconds)));
    }
    if (!options_.token.empty()) {
      context.AddMetadata("authorization", absl::StrCat("Bearer ", options_.token));
    }
    if (!options_.optimum_version.empty()) {
      context.AddMetadata("optimum-version", options_.optimum_version);
    }
  }

  template <typename Response>
  int Print(const grpc::Status& status, const Response& response,
            Format format = Format::kText) const {
    if (!status.ok()) return Fail(status);
    const bool json = options_.json || format == Format::kJson;
    std::cout << (json ? RenderJson(response) : RenderText(response));
    return 0;
  }

  const GlobalOptions& options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<TasksManager::Stub> stub_;
};

// What the subcommand given on the command line does, once every argument has been parsed.
using Action = std::function<int(const Client&)>;

// CLI11 runs a subcommand's callback only when that subcommand was given.
void OnRun(CLI::App* command, Action& chosen, Action action) {
  command->callback([&chosen, action = std::move(action)] { chosen = action; });
}

template <typename Request, typename Response>
void OnRunCall(CLI::App* command, Action& chosen, StubMethod<Request, Response> method,
               std::shared_ptr<Request> request) {
  OnRun(command, chosen,
        [method, request](const Client& client) { return client.Call(method, *request); });
}

// Declares an argument that sets a string field of `request`. The field is written only by the
// option's callback, which runs only when the argument was given, so an optional proto3 field
// stays absent otherwise and the server applies Optimum's default.
template <typename Request>
CLI::Option* AddField(CLI::App* command, const std::string& name, const std::string& help,
                      std::shared_ptr<Request> request, std::string* (Request::*field)()) {
  return command->add_option_function<std::string>(
      name, [request, field](const std::string& value) { *(request.get()->*field)() = value; },
      help);
}

// A subcommand whose RPC takes no argument.
template <typename Request, typename Response>
void AddNoArgumentCall(CLI::App& app, Action& chosen, const std::string& name,
                       const std::string& help, StubMethod<Request, Response> method) {
  OnRunCall(app.add_subcommand(name, help), chosen, method, std::make_shared<Request>());
}

// The required --exporter of the subcommands about one exporter's registry.
template <typename Request>
void AddExporter(CLI::App* command, std::shared_ptr<Request> request) {
  AddField(command, "--exporter", "exporter, e.g. onnx", request, &Request::mutable_exporter)
      ->required();
}

void AddGetAllTasks(CLI::App& app, Action& chosen) {
  AddNoArgumentCall(app, chosen, "get-all-tasks", "all tasks, and the environment",
                    &TasksManager::Stub::GetAllTasks);
}

void AddMapFromSynonym(CLI::App& app, Action& chosen) {
  using Request = optimum::tasks::v1::MapFromSynonymRequest;
  CLI::App* command =
      app.add_subcommand("map-from-synonym", "canonical name and synonyms of a task");
  auto request = std::make_shared<Request>();
  AddField(command, "TASK", "task or synonym", request, &Request::mutable_task)->required();
  OnRunCall(command, chosen, &TasksManager::Stub::MapFromSynonym, request);
}

void AddGetSupportedTasksForModelType(CLI::App& app, Action& chosen) {
  using Request = optimum::tasks::v1::GetSupportedTasksForModelTypeRequest;
  CLI::App* command = app.add_subcommand("get-supported-tasks-for-model-type",
                                         "tasks an exporter supports for a model type");
  auto request = std::make_shared<Request>();
  AddField(command, "MODEL_TYPE", "model type, e.g. bert", request, &Request::mutable_model_type)
      ->required();
  AddExporter(command, request);
  AddField(command, "--model-name", "model name, only used in error messages", request,
           &Request::mutable_model_name);
  AddField(command, "--library-name", "library whose registry to use (default: all, merged)",
           request, &Request::mutable_library_name);
  OnRunCall(command, chosen, &TasksManager::Stub::GetSupportedTasksForModelType, request);
}

void AddGetSupportedModelTypeForTask(CLI::App& app, Action& chosen) {
  using Request = optimum::tasks::v1::GetSupportedModelTypeForTaskRequest;
  CLI::App* command = app.add_subcommand("get-supported-model-type-for-task",
                                         "model types an exporter supports for a task");
  auto request = std::make_shared<Request>();
  AddField(command, "TASK", "task", request, &Request::mutable_task)->required();
  AddExporter(command, request);
  OnRunCall(command, chosen, &TasksManager::Stub::GetSupportedModelTypeForTask, request);
}

// --exporter-config-kwargs is only read once parsing is done: a bad one is then reported like a
// server's INVALID_ARGUMENT, with its exit code, rather than as a usage error.
grpc::Status ParseKwargs(const std::string& json, google::protobuf::Struct& kwargs) {
  const google::protobuf::util::Status status =
      google::protobuf::util::JsonStringToMessage(json, &kwargs);
  if (status.ok()) return grpc::Status::OK;
  // Protobuf's messages may start with ": ", meant to follow a field path that is empty here.
  const std::string reason(status.message());
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat("--exporter-config-kwargs is not a JSON object: ",
                                   absl::StripPrefix(reason, ": ")));
}

void AddGetExporterConfigConstructor(CLI::App& app, Action& chosen) {
  using Request = optimum::tasks::v1::GetExporterConfigConstructorRequest;
  CLI::App* command = app.add_subcommand("get-exporter-config-constructor",
                                         "the exporter config class for a model type and task");
  auto request = std::make_shared<Request>();
  AddExporter(command, request);
  AddField(command, "--model-type", "model type, e.g. bert", request, &Request::mutable_model_type)
      ->required();
  AddField(command, "--task", "task (default: feature-extraction)", request,
           &Request::mutable_task);
  AddField(command, "--model-name", "model name, only used in error messages", request,
           &Request::mutable_model_name);
  AddField(command, "--library-name", "library (default: transformers)", request,
           &Request::mutable_library_name);
  auto kwargs = std::make_shared<std::optional<std::string>>();
  command
      ->add_option_function<std::string>(
          "--exporter-config-kwargs", [kwargs](const std::string& value) { *kwargs = value; },
          "keyword arguments for the config constructor, as a JSON object")
      ->type_name("JSON");
  OnRun(command, chosen, [request, kwargs](const Client& client) {
    if (kwargs->has_value()) {
      const grpc::Status status = ParseKwargs(**kwargs, *request->mutable_exporter_config_kwargs());
      if (!status.ok()) return client.Fail(status);
    }
    return client.Call(&TasksManager::Stub::GetExporterConfigConstructor, *request);
  });
}

void AddGetModelClassForTask(CLI::App& app, Action& chosen) {
  using Request = optimum::tasks::v1::GetModelClassForTaskRequest;
  CLI::App* command =
      app.add_subcommand("get-model-class-for-task", "the model class to load for a task");
  auto request = std::make_shared<Request>();
  AddField(command, "TASK", "task", request, &Request::mutable_task)->required();
  AddField(command, "--framework", "pt or tf (default: pt)", request, &Request::mutable_framework);
  AddField(command, "--model-type", "model type, e.g. bert", request, &Request::mutable_model_type);
  AddField(command, "--model-class-name", "class name, returned as is", request,
           &Request::mutable_model_class_name);
  AddField(command, "--library", "library (default: transformers)", request,
           &Request::mutable_library);
  OnRunCall(command, chosen, &TasksManager::Stub::GetModelClassForTask, request);
}

void AddListExporters(CLI::App& app, Action& chosen) {
  AddNoArgumentCall(app, chosen, "list-exporters", "exporter backends loaded, with their source",
                    &TasksManager::Stub::ListExporters);
}

// Declares MODEL (named `name`), --subfolder and --revision: where the model to infer from is.
// Returns MODEL, which is required or not depending on the subcommand.
template <typename Request>
CLI::Option* AddModel(CLI::App* command, const std::string& name, std::shared_ptr<Request> request,
                      std::string* (Request::*model)()) {
  CLI::Option* option = AddField(command, name,
                                 "Hub repo id (e.g. google-bert/bert-base-uncased), or a folder "
                                 "under the server's --model_root",
                                 request, model);
  AddField(command, "--subfolder", "folder of the model inside the repo", request,
           &Request::mutable_subfolder);
  AddField(command, "--revision", "branch, tag or commit (default: the default branch)", request,
           &Request::mutable_revision);
  return option;
}

// A subcommand that infers one thing from a model: a required MODEL, --subfolder, --revision.
template <typename Request, typename Response>
void AddInference(CLI::App& app, Action& chosen, const std::string& name, const std::string& help,
                  const std::string& model_name, std::string* (Request::*model)(),
                  StubMethod<Request, Response> method) {
  CLI::App* command = app.add_subcommand(name, help);
  auto request = std::make_shared<Request>();
  AddModel(command, model_name, request, model)->required();
  OnRunCall(command, chosen, method, request);
}

void AddDetermineFramework(CLI::App& app, Action& chosen) {
  AddInference(app, chosen, "determine-framework", "pt or tf: the framework of a model's weights",
               "MODEL_NAME_OR_PATH",
               &optimum::tasks::v1::DetermineFrameworkRequest::mutable_model_name_or_path,
               &TasksManager::Stub::DetermineFramework);
}

void AddInferLibraryFromModel(CLI::App& app, Action& chosen) {
  AddInference(app, chosen, "infer-library-from-model",
               "the library of a model: transformers, diffusers, timm, sentence_transformers",
               "MODEL", &optimum::tasks::v1::InferLibraryFromModelRequest::mutable_model,
               &TasksManager::Stub::InferLibraryFromModel);
}

void AddInferTaskFromModel(CLI::App& app, Action& chosen) {
  AddInference(app, chosen, "infer-task-from-model", "the task of a model", "MODEL",
               &optimum::tasks::v1::InferTaskFromModelRequest::mutable_model,
               &TasksManager::Stub::InferTaskFromModel);
}

void AddStandardizeModelAttributes(CLI::App& app, Action& chosen) {
  using Request = optimum::tasks::v1::StandardizeModelAttributesRequest;
  CLI::App* command = app.add_subcommand(
      "standardize-model-attributes",
      "the export model type, from a model or from --library-name and --class-name");
  auto request = std::make_shared<Request>();
  CLI::Option* model = AddModel(command, "MODEL", request, &Request::mutable_model);
  CLI::Option* library =
      AddField(command, "--library-name", "library, e.g. timm (needs --class-name)", request,
               &Request::mutable_library_name);
  CLI::Option* class_name =
      AddField(command, "--class-name",
               "pipeline class, timm architecture, first module class or transformers model type",
               request, &Request::mutable_class_name);
  // Exactly one form: MODEL, or both names (and then no --subfolder or --revision, which only
  // locate a model).
  library->needs(class_name)->excludes(model);
  class_name->needs(library)->excludes(model);
  for (const char* locator : {"--subfolder", "--revision"}) {
    command->get_option(locator)->needs(model);
  }
  CLI::Option_group* form =
      command->add_option_group("source", "MODEL, or both --library-name and --class-name");
  form->add_option(model);
  form->add_option(library);
  form->add_option(class_name);
  form->require_option();
  OnRunCall(command, chosen, &TasksManager::Stub::StandardizeModelAttributes, request);
}

// The items of a --batch file: one model per line (its id is the line), or a JSON object per
// line with ResolveExportRequest's fields and an optional "id" (default: the model). The
// subcommand's options are defaults that a JSON line's own fields override. Blank lines and
// lines starting with '#' are skipped.
absl::StatusOr<std::vector<optimum::tasks::v1::BatchResolveExportRequest>> ReadBatch(
    const std::string& path, const optimum::tasks::v1::ResolveExportRequest& defaults) {
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file) return absl::NotFoundError(absl::StrCat("--batch: cannot read ", path));
  }
  std::istream& in = path == "-" ? std::cin : file;
  std::vector<optimum::tasks::v1::BatchResolveExportRequest> items;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text.front() == '#') continue;
    optimum::tasks::v1::BatchResolveExportRequest& item = items.emplace_back();
    *item.mutable_request() = defaults;
    if (text.front() != '{') {
      item.set_id(std::string(text));
      item.mutable_request()->set_model(std::string(text));
      continue;
    }
    // "id" is not a ResolveExportRequest field: take it out, then parse the rest strictly, so a
    // misspelt field is an error rather than silently ignored.
    google::protobuf::Struct fields;
    std::string rest;
    optimum::tasks::v1::ResolveExportRequest parsed;
    auto status = google::protobuf::util::JsonStringToMessage(std::string(text), &fields);
    if (status.ok()) {
      auto id = fields.fields().find("id");
      if (id != fields.fields().end()) {
        item.set_id(id->second.string_value());
        fields.mutable_fields()->erase("id");
      }
      status = google::protobuf::util::MessageToJsonString(fields, &rest);
    }
    if (status.ok()) status = google::protobuf::util::JsonStringToMessage(rest, &parsed);
    if (!status.ok()) {
      const std::string reason(status.message());
      return absl::InvalidArgumentError(
          absl::StrCat("--batch ", path, " line ", number, ": ", absl::StripPrefix(reason, ": ")));
    }
    item.mutable_request()->MergeFrom(parsed);
    if (item.id().empty()) item.set_id(item.request().model());
  }
  return items;
}

void AddResolveExport(CLI::App& app, Action& chosen) {
  using Request = optimum::tasks::v1::ResolveExportRequest;
  CLI::App* command = app.add_subcommand(
      "resolve-export", "everything needed to export a model: what to load, the exporter config");
  auto request = std::make_shared<Request>();
  AddExporter(command, request);
  AddField(command, "--task", "task (default: auto, inferred from the model)", request,
           &Request::mutable_task);
  CLI::Option* model = AddModel(command, "MODEL", request, &Request::mutable_model);
  AddField(command, "--framework", "pt or tf (default: inferred from the weights)", request,
           &Request::mutable_framework);
  AddField(command, "--library-name", "library (default: inferred from the model)", request,
           &Request::mutable_library_name);
  auto batch = std::make_shared<std::string>();
  CLI::Option* batch_option =
      command
          ->add_option("--batch", *batch,
                       "resolve every model of FILE ('-': stdin) over one stream: a model per "
                       "line, or JSON lines with ResolveExport's fields and an \"id\"; prints "
                       "an answer per line as JSON, in completion order")
          ->type_name("FILE");
  batch_option->excludes(model);
  CLI::Option_group* form = command->add_option_group("models", "MODEL, or --batch FILE");
  form->add_option(model);
  form->add_option(batch_option);
  form->require_option(1);
  OnRun(command, chosen, [request, batch](const Client& client) {
    if (batch->empty()) return client.Call(&TasksManager::Stub::ResolveExport, *request);
    auto items = ReadBatch(*batch, *request);
    if (!items.ok()) {
      return client.Fail(grpc::Status(static_cast<grpc::StatusCode>(items.status().code()),
                                      std::string(items.status().message())));
    }
    return client.BatchResolve(*items);
  });
}

void AddMatrix(CLI::App& app, Action& chosen) {
  using Request = optimum::tasks::v1::GetSupportMatrixRequest;
  using DiffRequest = optimum::tasks::v1::DiffSupportMatrixRequest;
  CLI::App* command = app.add_subcommand(
      "matrix",
      "which model types and tasks each exporter supports, or (--diff) what changed between two "
      "Optimum generations, as Markdown, CSV, a table or JSON");
  auto request = std::make_shared<Request>();
  AddField(command, "--exporter", "only this exporter", request, &Request::mutable_exporter);
  AddField(command, "--library-name", "only this library", request, &Request::mutable_library_name);
  AddField(command, "--task", "only this task", request, &Request::mutable_task);
  AddField(command, "--model-type", "only this model type", request, &Request::mutable_model_type);
  auto diff = std::make_shared<std::vector<std::string>>();
  command
      ->add_option("--diff", *diff,
                   "FROM TO: the rows generation TO adds, removes or changes relative to FROM "
                   "(e.g. --diff 1.23 2.1); the filters apply to both")
      ->expected(2)
      ->type_name("GENERATION");
  auto format = std::make_shared<Format>(Format::kMarkdown);
  command->add_option("--format", *format, "markdown, csv, text or json")
      ->transform(
          CLI::CheckedTransformer(std::map<std::string, Format>{{"markdown", Format::kMarkdown},
                                                                {"csv", Format::kCsv},
                                                                {"text", Format::kText},
                                                                {"json", Format::kJson}},
                                  CLI::ignore_case));
  OnRun(command, chosen, [request, diff, format](const Client& client) {
    if (diff->empty()) {
      return client.PrintMatrix(&TasksManager::Stub::GetSupportMatrix, *request, *format);
    }
    DiffRequest between;
    between.set_from_version((*diff)[0]);
    between.set_to_version((*diff)[1]);
    if (request->has_exporter()) between.set_exporter(request->exporter());
    if (request->has_library_name()) between.set_library_name(request->library_name());
    if (request->has_task()) between.set_task(request->task());
    if (request->has_model_type()) between.set_model_type(request->model_type());
    return client.PrintMatrix(&TasksManager::Stub::DiffSupportMatrix, between, *format);
  });
}

void AddGenerations(CLI::App& app, Action& chosen) {
  using Request = optimum::tasks::v1::ListGenerationsRequest;
  CLI::App* command = app.add_subcommand(
      "generations", "the Optimum generations the server ships, and which one answers by default");
  auto format = std::make_shared<Format>(Format::kText);
  command->add_option("--format", *format, "text or json")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, Format>{{"text", Format::kText}, {"json", Format::kJson}},
          CLI::ignore_case));
  OnRun(command, chosen, [format](const Client& client) {
    return client.Call(&TasksManager::Stub::ListGenerations, Request(), *format);
  });
}

void AddCacheStats(CLI::App& app, Action& chosen) {
  AddNoArgumentCall(app, chosen, "cache-stats", "counters of the server's Hub cache",
                    &TasksManager::Stub::GetCacheStats);
}

void AddHealth(CLI::App& app, Action& chosen) {
  CLI::App* command = app.add_subcommand(
      "health", "grpc.health.v1 check: exit code 0 only if SERVING (for container health checks)");
  auto request = std::make_shared<HealthCheckRequest>();
  AddField(command, "--service", "service to check (default: the whole server)", request,
           &HealthCheckRequest::mutable_service);
  OnRun(command, chosen, [request](const Client& client) { return client.CheckHealth(*request); });
}

// CLI::PositiveNumber would do, but for its error message, which spells out DBL_MAX in full.
CLI::Validator PositiveSeconds() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        double seconds;
        if (absl::SimpleAtod(input, &seconds) && seconds > 0) return "";
        return "must be a positive number of seconds, not " + input;
      },
      "POSITIVE");
}

// The token goes into a gRPC header, which only takes printable ASCII. Surrounding blanks (a
// newline read from a file) are dropped, as huggingface_hub does. The token is never echoed.
CLI::Validator HubToken() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        input = std::string(absl::StripAsciiWhitespace(input));
        for (const char c : input) {
          if (c < 0x20 || c > 0x7e) return "must be printable ASCII, as Hugging Face tokens are";
        }
        return "";
      },
      "");
}

void AddGlobalOptions(CLI::App& app, GlobalOptions& options) {
  app.add_option("--server", options.server, "host:port of the TasksManager server")
      ->envname("TASKS_SERVER")
      ->capture_default_str();
  app.add_flag("--json", options.json, "print responses and errors as JSON");
  // No default shown: it would print the token.
  app.add_option("--token", options.token,
                 "Hugging Face Hub token for gated and private models, sent as authorization "
                 "metadata")
      ->envname("HF_TOKEN")
      ->type_name("TOKEN")
      ->transform(HubToken());
  app.add_option("--optimum-version", options.optimum_version,
                 "the Optimum generation that answers, sent as optimum-version metadata: a "
                 "generation (2.1), a full Optimum version (2.1.0) or latest (default: the "
                 "server's default generation; see `generations`)")
      ->envname("TASKS_OPTIMUM_VERSION");
  app.add_option("--deadline,--timeout", options.deadline_seconds,
                 "seconds the call may take (default 10; for resolve-export --batch, no limit "
                 "on the stream)")
      ->check(PositiveSeconds());
  CLI::Option* ca = app.add_option("--tls_ca", options.tls_ca,
                                   "PEM CA bundle that signed the server's certificate: use TLS")
                        ->check(CLI::ExistingFile);
  CLI::Option* cert = app.add_option("--tls_cert", options.tls_cert,
                                     "PEM client certificate, for a server requiring mutual TLS")
                          ->check(CLI::ExistingFile)
                          ->needs(ca);
  CLI::Option* key = app.add_option("--tls_key", options.tls_key, "PEM private key of --tls_cert")
                         ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  app.add_option("--tls_server_name", options.tls_server_name,
                 "name the server's certificate must carry, when --server does not name it (an "
                 "IP address)")
      ->needs(ca);
  app.set_version_flag("--version", tasks::VersionLine("tasks-cli"));
  // Lets the global options also follow the subcommand (`tasks-cli health --json`).
  app.fallthrough();
  app.require_subcommand(1);
}

}  // namespace

int Run(int argc, char** argv) {
  CLI::App app{"Command-line client of the optimum.tasks.v1.TasksManager gRPC service"};
  GlobalOptions options;
  AddGlobalOptions(app, options);
  Action chosen;
  for (auto add : {AddGetAllTasks, AddMapFromSynonym, AddGetSupportedTasksForModelType,
                   AddGetSupportedModelTypeForTask, AddGetExporterConfigConstructor,
                   AddGetModelClassForTask, AddListExporters, AddDetermineFramework,
                   AddInferLibraryFromModel, AddInferTaskFromModel, AddStandardizeModelAttributes,
                   AddResolveExport, AddCacheStats, AddMatrix, AddGenerations, AddHealth}) {
    add(app, chosen);
  }
  CLI11_PARSE(app, argc, argv);
  return chosen(Client(options));
}

}  // namespace tasks::cli

int main(int argc, char** argv) { return tasks::cli::Run(argc, argv); }
