// A cursor over a YAML node that knows its dotted key path and source position, so every
// validation error reads "FILE:LINE:COL: key 'clusters[0].timeout': why".
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

#include "controller/core/result.hpp"

namespace warden::config::detail {

struct config_error {
    std::string message;
};

class yaml_cursor {
  public:
    yaml_cursor(YAML::Node node, std::string source, std::string path)
        : node_(std::move(node)), source_(std::move(source)), path_(std::move(path)) {}

    const YAML::Node& node() const { return node_; }
    const std::string& path() const { return path_; }
    [[nodiscard]] config_error fail(const std::string& why) const;

    // Throws config_error (caught at the loader's edge) on any unknown key.
    void expect_map(const std::set<std::string>& allowed) const;
    bool has(const std::string& key) const { return node_.IsMap() && node_[key]; }
    yaml_cursor child(const std::string& key) const;
    std::vector<yaml_cursor> items() const;  // sequence elements
    std::string scalar() const;
    std::vector<std::string> scalars() const;
    int integer(int min, int max) const;
    bool boolean() const;

  private:
    YAML::Node node_;
    std::string source_;
    std::string path_;
};

}  // namespace warden::config::detail
