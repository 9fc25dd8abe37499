#include <iostream>

#include "platform/app/Command.h"
#include "models/tile/ProgramImage.h"
#include "platform/app/ImageFile.h"
#include "platform/app/ModelLoading.h"

namespace sotsim::app {

int cmd_compile(const std::vector<std::string>& args) {
    CommonOptions o;
    WorkloadOptions w;
    po::options_description desc = common_options(o, /*with_out=*/false, /*with_quiet=*/false);
    desc.add(workload_options(w));
    std::string image;
    desc.add_options()("image", po::value(&image)->value_name("FILE"),
                       "also write the program image (docs/program-image.md) a host loads into program memory");
    bool help = false;
    parse_command("compile", args, desc, nullptr, help);
    if (help) {
        print_command_help("compile", "-c CONFIG -w MODEL [--dataset D | --input-range LO:HI]",
                           "Maps the model onto the chip and prints, per layer, the weight blocks, macros, "
                           "utilization, reprogrammings and MACs; --image also writes the program image. A model without an input quantizer needs the input "
                           "domain: from --dataset (scanned) or --input-range.",
                           desc);
        return 0;
    }
    Loaded l = load_all(o, w, /*need_dataset=*/false);
    std::cout << workloads::format_mapping(l.compiled, l.cfg);
    if (!image.empty()) {
        const auto bytes = write_image_file(image, l.compiled.program, l.cfg);
        std::cout << "image: " << image << " (" << bytes << " bytes, format " << image::kVersionMajor << "." << image::kVersionMinor << ")\n";
    }
    return 0;
}

}  // namespace sotsim::app
