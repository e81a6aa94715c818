// MessageBytes against what glibc's allocator reports for many heap copies of a response.
#include "server/service/message_bytes.h"

#include <malloc.h>

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "optimum/tasks/v1/tasks_manager.pb.h"

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;

// A ResolveExport answer of the usual shape: short and long strings, nested and repeated parts.
v1::ResolveExportResponse TypicalResolveExportAnswer() {
  v1::ResolveExportResponse response;
  response.mutable_source()->set_source("hub");
  response.mutable_source()->set_commit_sha("86b5e0934494bd15c9632b12f734a8a67f723594");
  response.set_library_name("transformers");
  response.set_framework("pt");
  response.set_task("fill-mask");
  response.set_model_type("bert");
  response.set_export_model_type("bert");
  response.mutable_model_class()->set_class_name("AutoModelForMaskedLM");
  response.mutable_model_class()->set_module("transformers");
  response.mutable_exporter_config()->set_config_class("BertOnnxConfig");
  for (const char* task : {"feature-extraction", "fill-mask", "text-classification",
                           "multiple-choice", "token-classification", "question-answering"}) {
    v1::SupportedTask& supported = *response.add_supported_tasks();
    supported.set_task(task);
    supported.set_config_class("BertOnnxConfig");
    supported.set_bound_task(task);
  }
  for (int i = 0; i < 4; ++i) {
    v1::Evidence& evidence = *response.add_evidence();
    evidence.set_rule("task: the Hub's pipeline_tag, mapped through the task synonyms");
    evidence.add_facts("pipeline_tag=fill-mask");
    evidence.add_facts("library_name=transformers");
  }
  return response;
}

TEST(MessageBytesTest, CoversWhatTheAllocatorGivesAHeapCopy) {
  const v1::ResolveExportResponse answer = TypicalResolveExportAnswer();
  constexpr int kCopies = 2000;
  std::vector<std::unique_ptr<v1::ResolveExportResponse>> copies;
  copies.reserve(kCopies);
  const size_t before = mallinfo2().uordblks;
  for (int i = 0; i < kCopies; ++i) {
    copies.push_back(std::make_unique<v1::ResolveExportResponse>(answer));
  }
  const size_t after = mallinfo2().uordblks;
  if (after <= before) GTEST_SKIP() << "this allocator does not report through mallinfo2";
  const double measured = static_cast<double>(after - before) / kCopies;
  const double counted = static_cast<double>(MessageBytes(answer));
  EXPECT_GE(counted, measured * 0.95) << "counted " << counted << ", measured " << measured;
  EXPECT_LE(counted, measured * 1.25) << "counted " << counted << ", measured " << measured;
  EXPECT_GT(counted, static_cast<double>(answer.SpaceUsedLong()));  // headers are most of it
}

}  // namespace
}  // namespace tasks::service
