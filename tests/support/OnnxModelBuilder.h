// A small ONNX graph builder for tests and reproducer generators: one float input "x", one
// output "y", initializers and nodes added by name. Written once for the unit tests that
// build models as protos and for tests/regress/make_onnx_reproducers.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sotsim::testing {

class OnnxModelBuilder {
public:
    struct Options {
        int opset = 13;
        bool batch_dim = false;           // a symbolic leading dim "N" before input_shape
        bool name_nodes_by_output = false;  // else "<op>_<index>"
        std::string producer;             // empty: not set
        std::string graph_name;           // empty: not set
    };

    onnx::ModelProto m;
    onnx::GraphProto* g;

    OnnxModelBuilder(const std::vector<int64_t>& input_shape, const Options& o) : opt_(o) {
        m.set_ir_version(8);
        if (!o.producer.empty()) m.set_producer_name(o.producer);
        auto* os = m.add_opset_import();
        os->set_domain("");
        os->set_version(o.opset);
        g = m.mutable_graph();
        if (!o.graph_name.empty()) g->set_name(o.graph_name);
        auto* in = g->add_input();
        in->set_name("x");
        auto* tt = in->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(onnx::TensorProto::FLOAT);
        if (o.batch_dim) tt->mutable_shape()->add_dim()->set_dim_param("N");
        for (int64_t d : input_shape) tt->mutable_shape()->add_dim()->set_dim_value(d);
        g->add_output()->set_name("y");
    }

    // Values are given as floats and stored in the field the data type uses.
    onnx::TensorProto* init(const std::string& name, const std::vector<int64_t>& dims,
                            const std::vector<float>& data, int dtype = onnx::TensorProto::FLOAT) {
        onnx::TensorProto* t = g->add_initializer();
        t->set_name(name);
        t->set_data_type(dtype);
        for (int64_t d : dims) t->add_dims(d);
        for (float v : data) {
            if (dtype == onnx::TensorProto::FLOAT) t->add_float_data(v);
            else if (dtype == onnx::TensorProto::INT64) t->add_int64_data(static_cast<int64_t>(v));
            else t->add_int32_data(static_cast<int32_t>(v));
        }
        return t;
    }

    onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& in, const std::string& out) {
        auto* n = g->add_node();
        n->set_op_type(op);
        n->set_name(opt_.name_nodes_by_output ? out : op + "_" + std::to_string(g->node_size()));
        for (const auto& s : in) n->add_input(s);
        n->add_output(out);
        return n;
    }

    static void attr(onnx::NodeProto* n, const std::string& name, int64_t v) {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(v);
    }

    static void ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INTS);
        for (int64_t x : v) a->add_ints(x);
    }

private:
    Options opt_;
};

}  // namespace sotsim::testing
