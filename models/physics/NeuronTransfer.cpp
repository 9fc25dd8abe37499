#include "models/physics/NeuronTransfer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/physics/MtjDevice.h"

namespace sotsim::phys {

double line_volts_per_unit(double v_read, double g_lo, double g_step, int rows) {
    return v_read * g_step / (std::max(rows, 1) * (g_lo + 0.5 * g_step));
}

double line_volts_per_unit(const Config& cfg, int rows) {
    const MtjDevice dev(cfg.device);
    const int l = dev.levels();
    const double v = cfg.array.v_read;
    const double g_lo = 1.0 / dev.cell_resistance(dev.nominal(l - 1), v);
    const double g_hi = 1.0 / dev.cell_resistance(dev.nominal(0), v);
    return line_volts_per_unit(v, g_lo, g_hi - g_lo, rows);
}

double LogisticNeuron::y(double u) const { return 1.0 / (1.0 + std::exp(-g_ * u)); }

namespace {

double imac_y(const NeuronCircuit& c, double amp_gain, double v_unit, double u) {
    const double va = c.amp_out(-u * v_unit, amp_gain);
    return std::clamp(c.stage_out(va) / c.config().vdd, 0.0, 1.0);
}

}  // namespace

NeuronMapping map_imac_neuron(const NeuronConfig& c, const NeuronDrive& d) {
    const NeuronCircuit circuit(c);
    NeuronMapping m;
    m.model_slope = d.gain / 4.0;
    const double s = std::fabs(circuit.centre_gain());   // |dV_out / dV_a| at the bias point
    m.fixed = c.amp_gain > 0.0;
    m.amp_gain = m.fixed ? c.amp_gain : m.model_slope * c.vdd / (s * d.v_unit);
    m.circuit_slope = s * m.amp_gain * d.v_unit / c.vdd;
    m.y0 = imac_y(circuit, m.amp_gain, d.v_unit, 0.0);
    // Crossing of y = 0.5 within +-(the amplifier's full swing) in units.
    double lo = -c.amp_swing / (m.amp_gain * d.v_unit), hi = -lo;
    if (imac_y(circuit, m.amp_gain, d.v_unit, lo) > 0.5 || imac_y(circuit, m.amp_gain, d.v_unit, hi) < 0.5) {
        m.offset_units = std::numeric_limits<double>::quiet_NaN();
        return m;
    }
    for (int it = 0; it < 100; ++it) {
        const double mid = 0.5 * (lo + hi);
        (imac_y(circuit, m.amp_gain, d.v_unit, mid) < 0.5 ? lo : hi) = mid;
    }
    m.offset_units = 0.5 * (lo + hi);
    return m;
}

void ImacNeuron::configure(const NeuronDrive& d) {
    v_unit_ = d.v_unit;
    amp_gain_ = map_imac_neuron(circuit_.config(), d).amp_gain;
}

double ImacNeuron::y(double u) const { return imac_y(circuit_, amp_gain_, v_unit_, u); }

const NeuronRegistry& NeuronRegistry::builtin() {
    static const NeuronRegistry r = [] {
        NeuronRegistry x;
        x.add("logistic", [](const NeuronConfig& c) { return std::make_unique<LogisticNeuron>(c); });
        x.add("imac", [](const NeuronConfig& c) { return std::make_unique<ImacNeuron>(c); });
        return x;
    }();
    return r;
}

}  // namespace sotsim::phys
