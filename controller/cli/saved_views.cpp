#include "controller/cli/saved_views.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace warden::cli {
namespace {

constexpr std::size_t max_file_bytes = 64 << 20;

struct file_closer {
    void operator()(std::FILE* file) const { std::fclose(file); }
};

// Reads the whole file into `text`, reusing its capacity from file to file.
result<void> read_file(const std::string& path, std::string& text) {
    auto cannot_read = [&path] {
        return error{fmt::format("cannot read '{}': {}", path, std::strerror(errno))};
    };
    std::unique_ptr<std::FILE, file_closer> file(std::fopen(path.c_str(), "rb"));
    if (!file) return cannot_read();
    text.clear();
    char chunk[1 << 16];
    while (auto got = std::fread(chunk, 1, sizeof chunk, file.get())) {
        text.append(chunk, got);
        if (text.size() > max_file_bytes) {
            return error{fmt::format("'{}' is larger than 64 MiB", path)};
        }
    }
    if (std::ferror(file.get())) return cannot_read();
    return {};
}

}  // namespace

result<void> fold_saved_views(const std::vector<std::string>& files, topology_merger& merger) {
    node_probe probe;
    probe.reachable = true;
    for (const auto& path : files) {
        if (auto read = read_file(path, probe.cluster_nodes); !read) return read;
        // Named by its file: a node that has not learned its own IP prints ":port", and then
        // the file is all there is to call it by. Otherwise the myself line names it.
        probe.address = path;
        if (auto folded = merger.add(probe); !folded) {
            return error{fmt::format("'{}': {}", path, folded.failure().message)};
        }
    }
    return {};
}

}  // namespace warden::cli
