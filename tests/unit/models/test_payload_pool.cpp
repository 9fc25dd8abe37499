// models/common/PayloadPool.h: reused payloads whose extensions are members.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "models/common/PayloadPool.h"
#include "models/common/TlmUtil.h"

using namespace sotsim;

namespace {
// Counts its live instances, so a payload that freed a member extension (or a pool that
// made one per transaction) shows.
struct Probe : tlm::tlm_extension<Probe> {
    static int live;
    int value = 7;
    Probe() { ++live; }
    Probe(const Probe& o) : tlm::tlm_extension<Probe>(), value(o.value) { ++live; }
    Probe& operator=(const Probe& o) {
        value = o.value;
        return *this;
    }
    ~Probe() override { --live; }
    tlm::tlm_extension_base* clone() const override { return new Probe(*this); }
    void copy_from(const tlm::tlm_extension_base& e) override { value = static_cast<const Probe&>(e).value; }
};
int Probe::live = 0;
using Pool = tlmx::PayloadPool<tlmx::LayerExtension, tlmx::TrafficExtension, Probe>;
}  // namespace

TEST_CASE("payload pool: begin sets the payload up afresh and detaches the last use's extensions", "[payload]") {
    Pool pool;
    float data[4] = {};
    auto tx = pool.take();
    auto& p = tx->begin(tlm::TLM_WRITE_COMMAND, 0x40, data, sizeof data);
    CHECK(p.get_command() == tlm::TLM_WRITE_COMMAND);
    CHECK(p.get_address() == 0x40);
    CHECK(p.get_data_ptr() == reinterpret_cast<unsigned char*>(data));
    CHECK(p.get_data_length() == 16);
    CHECK(p.get_streaming_width() == 16);
    CHECK(p.get_byte_enable_ptr() == nullptr);
    CHECK(p.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE);
    CHECK(p.get_extension<tlmx::LayerExtension>() == nullptr);
    tx->attach<tlmx::LayerExtension>().layer = 3;
    tx->attach<tlmx::TrafficExtension>().bytes = 2;
    CHECK(tlmx::layer_of(p) == 3);
    CHECK(tlmx::modelled_bytes(p) == 2);
    p.set_response_status(tlm::TLM_OK_RESPONSE);

    // The next transaction on the same payload carries only what it attaches, reset.
    auto& q = tx->begin(tlm::TLM_READ_COMMAND, 0x80, data, 8);
    CHECK(&q == &p);
    CHECK(q.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE);
    CHECK(q.get_extension<tlmx::TrafficExtension>() == nullptr);
    CHECK(tlmx::modelled_bytes(q) == 8);   // the data length again
    CHECK(tlmx::layer_of(q) == -1);
    CHECK(tx->attach<tlmx::LayerExtension>().layer == -1);   // attached as a fresh one
}

TEST_CASE("payload pool: a transaction taken while one is out is another; given back, it is reused",
          "[payload]") {
    Pool pool;
    Probe::live = 0;
    {
        auto a = pool.take();
        a->begin(tlm::TLM_READ_COMMAND, 0, nullptr, 0);
        a->attach<Probe>().value = 1;
        {
            auto b = pool.take();   // e.g. a target calling back into the initiator
            CHECK(&*b != &*a);
            b->begin(tlm::TLM_READ_COMMAND, 0, nullptr, 0);
            CHECK(b->payload().get_extension<Probe>() == nullptr);
            CHECK(b->attach<Probe>().value == 7);
        }
        CHECK(a->payload().get_extension<Probe>()->value == 1);   // untouched by b
        CHECK(pool.size() == 2);
    }
    CHECK(Probe::live == 2);   // one member each, none made or freed by the payloads
    std::vector<const void*> seen;
    for (int i = 0; i < 5; ++i) {
        auto c = pool.take();
        seen.push_back(&*c);
        c->begin(tlm::TLM_WRITE_COMMAND, 0, nullptr, 0);
        c->attach<Probe>();
    }
    CHECK(pool.size() == 2);   // one at a time: a transaction given back is taken again
    CHECK(seen[0] == seen[4]);
    CHECK(Probe::live == 2);
}

// Holds what a callback would capture.
struct Holder : tlm::tlm_extension<Holder> {
    std::shared_ptr<int> held;
    tlm::tlm_extension_base* clone() const override { return new Holder(*this); }
    void copy_from(const tlm::tlm_extension_base& e) override { held = static_cast<const Holder&>(e).held; }
};

TEST_CASE("payload pool: a lease's end detaches and resets what it attached", "[payload]") {
    tlmx::PayloadPool<tlmx::LayerExtension, Holder> pool;
    const tlm::tlm_generic_payload* p = nullptr;
    auto captured = std::make_shared<int>(3);
    std::weak_ptr<int> seen = captured;
    {
        auto a = pool.take();
        p = &a->begin(tlm::TLM_READ_COMMAND, 0, nullptr, 0);
        a->attach<Holder>().held = std::move(captured);
        a->attach<tlmx::LayerExtension>().layer = 5;
        CHECK(!seen.expired());
    }
    // Nothing the ended transaction attached stays on the payload, and what its extensions
    // held (e.g. a callback that captured the initiator's locals) is released with it.
    CHECK(p->get_extension<Holder>() == nullptr);
    CHECK(p->get_extension<tlmx::LayerExtension>() == nullptr);
    CHECK(seen.expired());
    auto b = pool.take();
    CHECK(&b->payload() == p);   // the same transaction, reused
}
