#include "server/service/request_limits.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "server/common/errors.h"

namespace tasks::service {
namespace {

using google::protobuf::FieldDescriptor;

absl::Status CheckString(const FieldDescriptor& field, const std::string& value) {
  if (value.size() > kMaxFieldBytes) {
    return MakeError(absl::StatusCode::kInvalidArgument, "ValueError",
                     absl::StrCat(field.name(), " is ", value.size(), " bytes long; at most ",
                                  kMaxFieldBytes, " are accepted."),
                     {.argument = field.name()});
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = value[i];
    if (c < 0x20 || c == 0x7f) {
      return MakeError(absl::StatusCode::kInvalidArgument, "ValueError",
                       absl::StrFormat("%s holds a control character (byte 0x%02x at offset %d).",
                                       field.name(), c, i),
                       {.argument = field.name()});
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckRequestFields(const google::protobuf::Message& request) {
  const google::protobuf::Descriptor& descriptor = *request.GetDescriptor();
  if (&descriptor == google::protobuf::Struct::descriptor()) return absl::OkStatus();
  const google::protobuf::Reflection& reflection = *request.GetReflection();
  std::string scratch;
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor& field = *descriptor.field(i);
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      if (field.is_repeated()) {
        for (int j = 0; j < reflection.FieldSize(request, &field); ++j) {
          const std::string& value =
              reflection.GetRepeatedStringReference(request, &field, j, &scratch);
          if (absl::Status status = CheckString(field, value); !status.ok()) return status;
        }
      } else if (absl::Status status =
                     CheckString(field, reflection.GetStringReference(request, &field, &scratch));
                 !status.ok()) {
        return status;
      }
    } else if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field.is_repeated() &&
               reflection.HasField(request, &field)) {
      if (absl::Status status = CheckRequestFields(reflection.GetMessage(request, &field));
          !status.ok()) {
        return status;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace tasks::service
