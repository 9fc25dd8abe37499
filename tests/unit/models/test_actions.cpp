// models/common/Actions.h: interned action names and the flat counter the models count in.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "models/common/Actions.h"

using namespace sotsim;

TEST_CASE("action ids: one id per name, the vocabulary's names, new names interned once", "[actions]") {
    CHECK(ActionId("adc_conversion") == action::kAdc);
    CHECK(action::kAdc.name() == "adc_conversion");
    CHECK(ActionId(std::string("row_drive")) == action::kRowDrive);
    CHECK(action::kAdc != action::kDac);
    // A count and a physics energy may share a name: one id, two tables.
    CHECK(action::kCellWrite == action::kCellWriteEnergy);
    const ActionId a("test_only_action_a");
    CHECK(ActionId("test_only_action_a") == a);
    CHECK(a.name() == "test_only_action_a");
    // The name order visits every id exactly once, sorted.
    std::vector<std::string> names;
    ActionId::for_each_by_name([&](ActionId id) { names.push_back(id.name()); });
    CHECK(std::is_sorted(names.begin(), names.end()));
    CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
    CHECK(std::find(names.begin(), names.end(), "test_only_action_a") != names.end());
}

TEST_CASE("action ids interned from several threads at once are consistent", "[actions]") {
    // Physics runs on worker threads (sim.threads); a name first seen there must get one id.
    std::vector<int> got(8, -1);
    std::vector<std::thread> pool;
    for (int t = 0; t < 8; ++t)
        pool.emplace_back([&, t] {
            for (int k = 0; k < 50; ++k) ActionId("test_thread_name_" + std::to_string(k));
            got[static_cast<std::size_t>(t)] = ActionId("test_thread_name_7").index();
        });
    for (auto& th : pool) th.join();
    for (int g : got) CHECK(g == got[0]);
    CHECK(ActionId("test_thread_name_7").name() == "test_thread_name_7");
}

TEST_CASE("action counter: presence, merge, subtract and name order as a map of names", "[actions]") {
    ActionCounter c;
    CHECK(c.empty());
    c.add(action::kTdc, 2);
    c.add(action::kAdc);
    c.add(action::kAdc, 0.5);
    c.add(action::kRowDrive, 0.0);  // counted by zero: present
    c.add_energy(action::kArrayReadEnergy, 1e-12);
    CHECK_FALSE(c.empty());
    CHECK(c.get(action::kAdc) == 1.5);
    CHECK(c.get(action::kDac) == 0.0);
    CHECK(c.physics_energy(action::kArrayReadEnergy) == 1e-12);
    CHECK(c.physics_energy(action::kCellWriteEnergy) == 0.0);
    const std::map<std::string, double> want = {{"adc_conversion", 1.5}, {"row_drive", 0.0}, {"tdc_conversion", 2.0}};
    CHECK(c.counts() == want);
    CHECK(c.energies() == std::map<std::string, double>{{"array_read", 1e-12}});
    std::vector<std::string> order;
    c.for_each_count([&](const std::string& k, double) { order.push_back(k); });
    CHECK(order == std::vector<std::string>{"adc_conversion", "row_drive", "tdc_conversion"});
    CHECK(c.total_count() == 3.5);

    // Names beyond the inline table (interned late) count like the vocabulary.
    std::vector<ActionId> late;
    for (int k = 0; k < 40; ++k) late.emplace_back("test_late_" + std::to_string(k));
    ActionCounter d;
    for (int k = 0; k < 40; ++k) d.add(late[static_cast<std::size_t>(k)], k);
    d.add(action::kAdc, 1);
    ActionCounter m = c;
    m.merge(d);
    CHECK(m.get(action::kAdc) == 2.5);
    CHECK(m.get(late[39]) == 39.0);
    CHECK(m.counts().size() == 3 + 40);
    m.subtract(d);
    CHECK(m.get(action::kAdc) == 1.5);
    CHECK(m.get(late[39]) == 0.0);
    CHECK(m.counts().count("test_late_39") == 1);  // present (now zero), as a map's key would stay
    m.clear();
    CHECK(m.empty());
    CHECK(m.counts().empty());
}
