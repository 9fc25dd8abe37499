// Name -> factory table for the interchangeable physics models (ADC kinds, neuron
// transfers). Filled explicitly by each model's register function (no static
// self-registration); create() names the known kinds when a name is unknown.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace sotsim::phys {

template <class Base, class Cfg>
class Registry {
public:
    using Factory = std::function<std::unique_ptr<Base>(const Cfg&)>;
    explicit Registry(std::string what) : what_(std::move(what)) {}
    void add(const std::string& name, Factory f) { factories_[name] = std::move(f); }
    bool has(const std::string& name) const { return factories_.count(name) != 0; }
    std::vector<std::string> names() const {
        std::vector<std::string> n;
        for (const auto& kv : factories_) n.push_back(kv.first);
        return n;
    }
    // Throws std::invalid_argument naming the known kinds if `name` is unknown.
    std::unique_ptr<Base> create(const std::string& name, const Cfg& c) const {
        auto it = factories_.find(name);
        if (it == factories_.end()) {
            std::string known;
            for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
            throw std::invalid_argument(what_ + ": unknown kind '" + name + "' (known: " + known + ")");
        }
        return it->second(c);
    }

private:
    std::string what_;
    std::map<std::string, Factory> factories_;
};

}  // namespace sotsim::phys
