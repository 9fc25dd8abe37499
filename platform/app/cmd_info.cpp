#include <filesystem>
#include <iostream>
#include <set>
#include <systemc>

#include "models/physics/Adc.h"
#include "models/physics/IsaGuard.h"
#include "models/physics/NeuronTransfer.h"
#include "platform/app/Command.h"
#include "platform/config/Schema.h"
#include "platform/report/FigureUnits.h"

namespace sotsim::app {

int cmd_info(const std::vector<std::string>& args) {
    po::options_description desc("Options");
    bool keys = false;
    desc.add_options()("keys", po::bool_switch(&keys),
                       "print every config key, then every report.json figure, as KEY<TAB>UNIT<TAB>TYPE<TAB>DESCRIPTION "
                       "(units for plots and notebooks; TYPE of a figure is \"report figure\")");
    bool help = false;
    parse_command("info", args, desc, nullptr, help);
    if (help) {
        print_command_help("info", "", "Prints the version, the SystemC kernel, the vector ISA, where the shipped presets, "
                                       "models and datasets are found, the registered model variants and the "
                                       "supported ONNX operators.", desc);
        return 0;
    }
    if (keys) {
        // Machine-readable schema: scripts/sotsim_results.py labels plot axes from it.
        for (const auto& k : config::schema())
            std::cout << k.path << '\t' << (k.unit == "1" ? "" : k.unit) << '\t' << k.type_name() << '\t' << k.doc
                      << '\n';
        for (const auto& f : report::figure_units())
            std::cout << f.path << '\t' << f.unit << "\treport figure\t" << f.doc << '\n';
        return 0;
    }
    std::cout << "sotsim " SOTSIM_VERSION "\n"
              << "SystemC " << sc_core::sc_release() << "\n"
              << "vector ISA:       " << isa_guard::library_isa() << " (CMake SOTSIM_ARCH)\n"
              << "ADC kinds:        ";
    for (const std::string& n : phys::AdcRegistry::builtin().names()) std::cout << n << " ";
    std::cout << "\nneuron models:    ";
    for (const std::string& n : phys::NeuronRegistry::builtin().names()) std::cout << n << " ";
    std::cout << "\nreadouts:         adc sense_amp tdc sigmoid_neuron\n"
                 "summation modes:  current resistance\n"
                 "weight encodings: differential reference offset (multi-bit: bit_slice multi_level)\n"
                 "input encodings:  binary signed bit_serial pwm\n"
                 "ONNX operators:   Gemm MatMul Conv BatchNormalization Relu Sign Sigmoid Tanh Clip Round MaxPool\n"
                 "                  AveragePool GlobalAveragePool Flatten Reshape Add Sub Mul Div Constant Identity\n"
                 "                  QuantizeLinear DequantizeLinear (opsets 11-17)\n"
                 "datasets:         mnist fashion-mnist PATH.npy\n";
    const std::string root = resource_root();
    std::cout << "shipped files:    " << (root.empty() ? std::string("(not found next to ") + self_exe() + ")" : root)
              << "\ndatasets folder:  " << data_root() << "\n";
    if (!root.empty()) {
        // Shipped files are usable by name: -c NAME, -w NAME, sotsim sweep NAME.
        auto names = [&](const std::string& dir, const std::string& ext) {
            std::set<std::string> n;
            std::error_code ec;
            for (const auto& e : std::filesystem::directory_iterator(root + "/" + dir, ec))
                if (e.path().extension() == ext) n.insert(e.path().stem().string());
            std::string s;
            for (const auto& x : n) s += x + " ";
            return s;
        };
        std::cout << "presets (-c):     " << names("configs", ".yaml") << "\n"
                  << "models (-w):      " << names("workloads/models", ".onnx") << "\n"
                  << "sweeps:           " << names("configs/sweeps", ".yaml") << "\n";
    }
    return 0;
}

}  // namespace sotsim::app
