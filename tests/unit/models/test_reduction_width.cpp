// PE reduction width (models/pe/ReductionWidth.h): converter bound vs value bound.
#include <catch2/catch.hpp>

#include "models/pe/ReductionWidth.h"

using namespace sotsim;

namespace {
pe::ReductionShape shape(int rows, int blocks, int wb, int ib, InputEncoding in, ReadoutKind ro) {
    pe::ReductionShape s;
    s.rows = rows;
    s.blocks = blocks;
    s.weight_bits = wb;
    s.input_bits = ib;
    s.input = in;
    s.readout = ro;
    return s;
}
}  // namespace

TEST_CASE("A binary layer on a 5-bit ADC: ADC bits + log2(blocks) + sign") {
    Config c;
    c.periphery.adc.bits = 5;
    // 784 rows in 4 blocks of 256: converter bound 5 + 2 + 1 = 8 < value bound
    // ceil(log2(785)) + 1 = 11.
    CHECK(pe::reduction_bits(c, shape(784, 4, 1, 1, InputEncoding::Binary, ReadoutKind::Adc)) == 8);
    // One block: no reduction bits beyond the code and its sign.
    CHECK(pe::reduction_bits(c, shape(256, 1, 1, 1, InputEncoding::Binary, ReadoutKind::Adc)) == 6);
}

TEST_CASE("The dot product's own range bounds the width when the converter is finer") {
    Config c;
    c.periphery.adc.bits = 8;
    // 100 binary rows in 2 blocks: converter 8 + 1 + 1 = 10, value ceil(log2(101)) + 1 = 8.
    CHECK(pe::reduction_bits(c, shape(100, 2, 1, 1, InputEncoding::Binary, ReadoutKind::Adc)) == 8);
}

TEST_CASE("Slice shifts: bit-serial input planes and bit-sliced weight digits widen the sum") {
    Config c;
    c.periphery.adc.bits = 5;
    // 4-bit bit-serial inputs: 3 shifts. 300 rows in 3 blocks: 5 + 3 + 2 + 1 = 11 < value
    // bound ceil(log2(300 * 15 + 1)) + 1 = 14.
    CHECK(pe::reduction_bits(c, shape(300, 3, 1, 4, InputEncoding::BitSerial, ReadoutKind::Adc)) == 11);
    // 4-bit weights, differential bit slices: |w| <= 7 in 3 binary digits = 2 shifts.
    // 256 rows in 2 blocks: 5 + 2 + 1 + 1 = 9 < ceil(log2(256 * 7 + 1)) + 1 = 12.
    c.array.weight_encoding = WeightEncoding::Differential;
    c.array.multibit = MultiBitMode::BitSlice;
    CHECK(pe::reduction_bits(c, shape(256, 2, 4, 1, InputEncoding::Binary, ReadoutKind::Adc)) == 9);
}

TEST_CASE("PWM inputs sliced to the DAC shift by the bits above the first slice") {
    Config c;
    c.periphery.adc.bits = 5;
    // 8-bit inputs in two 4-bit slices: 4 shifts. 300 rows in 3 blocks: 5 + 4 + 2 + 1 = 12
    // < value bound ceil(log2(300 * 255 + 1)) + 1 = 18.
    pe::ReductionShape s = shape(300, 3, 1, 8, InputEncoding::Pwm, ReadoutKind::Adc);
    s.input_slice_bits = 4;
    CHECK(pe::reduction_bits(c, s) == 12);
    // The same inputs in one pulse (a DAC as wide as the input): no shift.
    s.input_slice_bits = 0;
    CHECK(pe::reduction_bits(c, s) == 8);
}

TEST_CASE("Sense-amp and TDC readouts use their own code widths") {
    Config c;
    c.periphery.tdc.bits = 4;
    // +-1 sense-amp outputs of 3 blocks: 1 + 2 + 1 = 4 bits (sums in [-3, 3]).
    CHECK(pe::reduction_bits(c, shape(48, 3, 1, 1, InputEncoding::Signed, ReadoutKind::SenseAmp)) == 4);
    // 4-bit TDC, 64 rows, one block: 4 + 0 + 1 = 5 < ceil(log2(65)) + 1 = 8.
    CHECK(pe::reduction_bits(c, shape(64, 1, 1, 1, InputEncoding::Binary, ReadoutKind::Tdc)) == 5);
}
