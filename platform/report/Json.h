// A small JSON value type and writer for reports (no external JSON library).
//
// Objects keep insertion order, so a report built in a fixed order is byte-for-byte
// stable across runs. Numbers are doubles written in the shortest form that reads back
// to the same value; non-finite numbers (NaN, inf) are not valid JSON and are written as
// `null`. Strings are escaped per RFC 8259 (quotes, backslash, control characters).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sotsim::report {

class Json {
public:
    enum class Type { Null, Bool, Number, String, Array, Object };

    Json() = default;                       // null
    Json(std::nullptr_t) {}
    Json(bool b) : type_(Type::Bool), bool_(b) {}
    Json(double v) : type_(Type::Number), num_(v) {}
    Json(int v) : type_(Type::Number), num_(v) {}
    Json(long v) : type_(Type::Number), num_(static_cast<double>(v)) {}
    Json(long long v) : type_(Type::Number), num_(static_cast<double>(v)) {}
    Json(unsigned v) : type_(Type::Number), num_(v) {}
    Json(unsigned long v) : type_(Type::Number), num_(static_cast<double>(v)) {}
    Json(unsigned long long v) : type_(Type::Number), num_(static_cast<double>(v)) {}
    Json(const char* s) : type_(Type::String), str_(s) {}
    Json(std::string s) : type_(Type::String), str_(std::move(s)) {}

    static Json array() { Json j; j.type_ = Type::Array; return j; }
    static Json object() { Json j; j.type_ = Type::Object; return j; }
    // {"value": v, "unit": unit}: the report's convention for a quantity with its unit.
    static Json quantity(double v, const std::string& unit);

    Type type() const { return type_; }
    bool is_null() const { return type_ == Type::Null; }
    bool is_number() const { return type_ == Type::Number; }
    bool is_string() const { return type_ == Type::String; }
    bool is_object() const { return type_ == Type::Object; }
    bool is_array() const { return type_ == Type::Array; }

    bool as_bool() const;
    double as_number() const;
    const std::string& as_string() const;

    // Object access. operator[] inserts (turning a null into an object); a key set twice
    // keeps its first position and takes the new value.
    Json& operator[](const std::string& key);
    const Json& at(const std::string& key) const;   // throws std::out_of_range naming the key
    bool contains(const std::string& key) const;
    const std::vector<std::pair<std::string, Json>>& items() const;

    // Array access.
    void push_back(Json v);                          // turns a null into an array
    const Json& at(std::size_t i) const;
    const std::vector<Json>& elements() const;

    std::size_t size() const;   // elements or members; 0 for scalars

    // indent < 0: compact single line; otherwise pretty-printed with that many spaces.
    std::string dump(int indent = 2) const;

    // Strict RFC 8259 parser (used by tests and tools that read reports back).
    // Throws std::invalid_argument with the byte offset of the problem.
    static Json parse(const std::string& text);

private:
    void write(std::string& out, int indent, int level) const;

    Type type_ = Type::Null;
    bool bool_ = false;
    double num_ = 0.0;
    std::string str_;
    std::vector<Json> arr_;
    std::vector<std::pair<std::string, Json>> obj_;
};

// Shortest decimal text that reads back to exactly `v` ("72", "0.1", "1.5e-12").
// `v` must be finite.
std::string format_number(double v);

// `s` as a quoted JSON string literal.
std::string quote_json(const std::string& s);

// YAML text (e.g. the resolved config from config::to_yaml) to JSON: maps -> objects in
// document order, sequences -> arrays, plain scalars that read as numbers -> numbers,
// true/false -> bools, null/~ -> null, everything else (including quoted scalars) ->
// strings. Throws std::invalid_argument on malformed YAML.
Json json_from_yaml(const std::string& yaml_text);

}  // namespace sotsim::report
