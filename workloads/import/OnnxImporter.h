#pragma once
// ONNX -> network IR. See Network.h for the IR and docs/workloads.md for the supported
// operators and their constraints.
#include "workloads/import/Network.h"
#include "workloads/import/WorkloadError.h"

#include <string>

namespace sotsim::workloads {

// Opsets accepted for the default ("" / "ai.onnx") domain.
constexpr int64_t kMinOnnxOpset = 11;
constexpr int64_t kMaxOnnxOpset = 17;

// Reads, validates and converts an ONNX model. Throws WorkloadError ("PATH: error: ...")
// when the file is missing or unreadable, is not a valid ONNX protobuf, uses an opset
// outside [11, 17], has an unsupported operator or attribute (naming the node and op),
// non-constant weights, missing initializers, or NaN/Inf in weights.
Network import_onnx(const std::string& path);

// Same, from bytes already in memory; `source` names them in errors.
Network import_onnx_bytes(const std::string& bytes, const std::string& source);

}  // namespace sotsim::workloads
