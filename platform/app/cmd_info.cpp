#include <iostream>
#include <systemc>

#include "models/physics/Adc.h"
#include "platform/app/Command.h"

namespace sotsim::app {

int cmd_info(const std::vector<std::string>& args) {
    po::options_description desc("Options");
    bool help = false;
    parse_command("info", args, desc, nullptr, help);
    if (help) {
        print_command_help("info", "", "Prints the version, the SystemC kernel, the registered model variants "
                                       "and the supported ONNX operators.", desc);
        return 0;
    }
    std::cout << "sotsim " SOTSIM_VERSION "\n"
              << "SystemC " << sc_core::sc_release() << "\n"
              << "ADC kinds:        ";
    for (const std::string& n : phys::AdcRegistry::builtin().names()) std::cout << n << " ";
    std::cout << "\nreadouts:         adc sense_amp tdc sigmoid_neuron\n"
                 "summation modes:  current resistance\n"
                 "weight encodings: differential reference offset (multi-bit: bit_slice multi_level)\n"
                 "input encodings:  binary signed bit_serial pwm\n"
                 "ONNX operators:   Gemm MatMul Conv BatchNormalization Relu Sign Sigmoid Tanh Clip Round MaxPool\n"
                 "                  AveragePool GlobalAveragePool Flatten Reshape Add Sub Mul Div Constant Identity\n"
                 "                  QuantizeLinear DequantizeLinear (opsets 11-17)\n"
                 "datasets:         mnist fashion-mnist PATH.npy\n";
    return 0;
}

}  // namespace sotsim::app
