// Transfer functions of the analog neuron readout (periphery.neuron.model), chosen through
// a registry: the input is the de-encoded column sum minus the column's threshold,
// u = x - thr in integer units (one unit = one +-1 product, v_read dG of column-pair current);
// the output y in [0, 1] is what the next layer's input driver (PWM / DAC) receives.
//   logistic: y = 1 / (1 + exp(-g u)), g = the layer's gain x periphery.neuron.slope.
//   imac:     the IMAC-Sim circuit (NeuronCircuit.h). The column pair's lines float at their
//             Norton voltages I_sc / G_line (voltage-mode crossbar of IMAC-Sim: each line
//             terminates in the amplifier input), so one unit is
//             v_unit = v_read dG / G_line,  G_line = rows (G_lo + dG / 2)
//             (the mean line conductance of a binary differential pair). The amplifier
//             takes the pair with its inputs swapped, V_a = clip(-A u v_unit, +-swing), so
//             the inverting stage rises with u; y = clip(V_out / vdd, 0, 1).
//             Amplifier gain A: periphery.neuron.amp_gain, or (0) the gain that makes the
//             circuit's slope at u = 0 equal the logistic's g / 4 (map_imac_neuron).
#pragma once

#include <memory>
#include <string>

#include "models/config/Config.h"
#include "models/physics/NeuronCircuit.h"
#include "models/physics/Registry.h"

namespace sotsim::phys {

// What a programmed block gives its neurons.
struct NeuronDrive {
    double gain = 1.0;    // model gain g in 1 / integer unit (layer gain x periphery.neuron.slope)
    double v_unit = 0.0;  // V, differential line voltage of one integer unit
};

// Differential line voltage of one integer unit for a block of `rows` rows (see above).
double line_volts_per_unit(double v_read, double g_lo, double g_step, int rows);
// Same from the configuration's nominal cell (binary digits).
double line_volts_per_unit(const Config& cfg, int rows);

class NeuronTransfer {
public:
    virtual ~NeuronTransfer() = default;
    virtual std::string kind() const = 0;
    virtual void configure(const NeuronDrive& d) = 0;
    virtual double y(double u) const = 0;
};

class LogisticNeuron : public NeuronTransfer {
public:
    explicit LogisticNeuron(const NeuronConfig&) {}
    std::string kind() const override { return "logistic"; }
    void configure(const NeuronDrive& d) override { g_ = d.gain; }
    double y(double u) const override;

private:
    double g_ = 1.0;
};

// How the compiler realises a layer's gain on the IMAC circuit.
struct NeuronMapping {
    double amp_gain = 0.0;       // amplifier voltage gain used
    bool fixed = false;          // true: periphery.neuron.amp_gain given, not mapped
    double model_slope = 0.0;    // dy/du of the logistic at u = 0 (g / 4)
    double circuit_slope = 0.0;  // dy/du of the circuit at u = 0 with amp_gain
    double y0 = 0.0;             // circuit output at u = 0 (logistic: 0.5)
    double offset_units = 0.0;   // u where the circuit crosses y = 0.5 (NaN if it never does)
};
NeuronMapping map_imac_neuron(const NeuronConfig& c, const NeuronDrive& d);

class ImacNeuron : public NeuronTransfer {
public:
    explicit ImacNeuron(const NeuronConfig& c) : circuit_(c) {}
    std::string kind() const override { return "imac"; }
    void configure(const NeuronDrive& d) override;
    double y(double u) const override;
    double amp_gain() const { return amp_gain_; }
    const NeuronCircuit& circuit() const { return circuit_; }

private:
    NeuronCircuit circuit_;
    double amp_gain_ = 0.0, v_unit_ = 0.0;
};

class NeuronRegistry : public Registry<NeuronTransfer, NeuronConfig> {
public:
    NeuronRegistry() : Registry("periphery.neuron.model") {}
    using Registry::create;
    std::unique_ptr<NeuronTransfer> create(const NeuronConfig& c) const { return create(c.model, c); }
    // Registry with the built-in transfers logistic, imac.
    static const NeuronRegistry& builtin();
};

}  // namespace sotsim::phys
