#include "models/common/Actions.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace sotsim {

namespace {

// The process's action names. Names never move (a fixed array), so name() reads without a
// lock; the name order is republished as a new immutable list on each intern (the old
// lists are kept: interning past the vocabulary happens a handful of times per process).
constexpr int kMaxNames = 4096;

struct Registry {
    std::mutex mu;
    std::string names[kMaxNames];
    int n = 0;
    std::vector<std::vector<int>> orders;  // every published order, the last one current
    std::atomic<const std::vector<int>*> order{nullptr};
};

Registry& registry() {
    static Registry r;
    return r;
}

}  // namespace

ActionId::ActionId(std::string_view name) {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    for (int i = 0; i < r.n; ++i)
        if (r.names[i] == name) {
            index_ = i;
            return;
        }
    if (r.n == kMaxNames) throw std::length_error("more than 4096 distinct action names");
    index_ = r.n;
    r.names[r.n++] = std::string(name);
    std::vector<int> order = r.orders.empty() ? std::vector<int>{} : r.orders.back();
    order.insert(std::upper_bound(order.begin(), order.end(), index_,
                                  [&](int a, int b) { return r.names[a] < r.names[b]; }),
                 index_);
    r.orders.reserve(kMaxNames);  // published lists never move
    r.orders.push_back(std::move(order));
    r.order.store(&r.orders.back(), std::memory_order_release);
}

const std::string& ActionId::name() const { return registry().names[index_]; }

ActionId::Order ActionId::by_name() {
    const std::vector<int>* o = registry().order.load(std::memory_order_acquire);
    if (o == nullptr) return {nullptr, 0};
    return {o->data(), static_cast<int>(o->size())};
}

}  // namespace sotsim
