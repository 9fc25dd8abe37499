// docs/config.md documents every schema key: its generated key reference is current.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "platform/config/Schema.h"

namespace {
std::string read_docs() {
    std::ifstream in(std::string(SOTSIM_SOURCE_DIR) + "/docs/config.md");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}
}  // namespace

TEST_CASE("docs/config.md mentions every key with its default", "[docs]") {
    std::string md = read_docs();
    REQUIRE_FALSE(md.empty());
    const sotsim::Config def;
    for (const auto& k : sotsim::config::schema()) {
        INFO(k.path);
        CHECK(md.find("`" + k.path + "`") != std::string::npos);
    }
    for (const char* topic : {"include", "--set", "FILE:LINE:COL: error:", "KiB", "Ohm*um^2", "Walden"}) {
        INFO(topic);
        CHECK(md.find(topic) != std::string::npos);
    }
}

TEST_CASE("docs/config.md key reference is generated from the schema", "[docs]") {
    std::string md = read_docs();
    const std::string begin = "<!-- schema:begin -->", end = "<!-- schema:end -->";
    auto b = md.find(begin), e = md.find(end);
    REQUIRE(b != std::string::npos);
    REQUIRE(e != std::string::npos);
    std::string current = md.substr(b + begin.size(), e - b - begin.size());
    std::string generated = sotsim::config::render_schema_markdown() + "\n";
    // SOTSIM_REGEN_DOCS=1 rewrites the section (then review the diff and commit it).
    if (current != generated && std::getenv("SOTSIM_REGEN_DOCS")) {
        md.replace(b + begin.size(), e - b - begin.size(), generated);
        std::ofstream(std::string(SOTSIM_SOURCE_DIR) + "/docs/config.md") << md;
        current = generated;
    }
    CHECK(current == generated);
}
