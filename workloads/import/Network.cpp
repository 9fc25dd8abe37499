#include "workloads/import/Network.h"

#include <sstream>
#include <stdexcept>

namespace sotsim::workloads {

int64_t checked_mul(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r))
        throw std::overflow_error("size " + std::to_string(a) + " x " + std::to_string(b) + " overflows 64 bits");
    return r;
}

int64_t checked_add(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r))
        throw std::overflow_error("size " + std::to_string(a) + " + " + std::to_string(b) + " overflows 64 bits");
    return r;
}

int64_t shape_numel(const Shape& shape) {
    int64_t n = 1;
    bool empty = false;
    for (int64_t d : shape) {
        if (d < 0) throw std::overflow_error("shape " + shape_to_string(shape) + " has a negative dimension");
        if (d == 0) {
            empty = true;
            continue;
        }
        if (__builtin_mul_overflow(n, d, &n))
            throw std::overflow_error("shape " + shape_to_string(shape) + " has more elements than fit 64 bits");
    }
    return empty ? 0 : n;
}

std::string shape_to_string(const Shape& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ",";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

const char* op_name(OpKind kind) {
    switch (kind) {
        case OpKind::Dense: return "Dense";
        case OpKind::Conv: return "Conv";
        case OpKind::BatchNorm: return "BatchNorm";
        case OpKind::Relu: return "Relu";
        case OpKind::Sign: return "Sign";
        case OpKind::Sigmoid: return "Sigmoid";
        case OpKind::Tanh: return "Tanh";
        case OpKind::Clip: return "Clip";
        case OpKind::Round: return "Round";
        case OpKind::MaxPool: return "MaxPool";
        case OpKind::AveragePool: return "AveragePool";
        case OpKind::GlobalAveragePool: return "GlobalAveragePool";
        case OpKind::Flatten: return "Flatten";
        case OpKind::Reshape: return "Reshape";
        case OpKind::AddConst: return "AddConst";
        case OpKind::SubConst: return "SubConst";
        case OpKind::MulConst: return "MulConst";
        case OpKind::DivConst: return "DivConst";
        case OpKind::Add: return "Add";
        case OpKind::Softmax: return "Softmax";
        case OpKind::LogSoftmax: return "LogSoftmax";
    }
    return "?";
}

std::vector<int> Network::consumers(int value) const {
    std::vector<int> out;
    for (size_t i = 0; i < nodes.size(); ++i)
        for (int in : nodes[i].inputs)
            if (in == value) {
                out.push_back(static_cast<int>(i));
                break;
            }
    return out;
}

int64_t Network::macs_per_sample() const {
    int64_t macs = 0;
    for (const Node& n : nodes) {
        if (n.kind == OpKind::Dense) {
            macs += n.dense.weight.numel();
        } else if (n.kind == OpKind::Conv) {
            const Shape& out = values[n.output].shape;
            macs += n.conv.weight.numel() * out[1] * out[2];
        }
    }
    return macs;
}

std::string Network::summary() const {
    std::ostringstream os;
    for (const Node& n : nodes) {
        os << n.name << "  " << op_name(n.kind) << "  ";
        for (size_t i = 0; i < n.inputs.size(); ++i)
            os << (i ? " + " : "") << shape_to_string(values[n.inputs[i]].shape);
        os << " -> " << shape_to_string(values[n.output].shape) << "\n";
    }
    return os.str();
}

}  // namespace sotsim::workloads
