// A small interning table for the per-line hot paths (merge, discovery).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace warden {

// Strings (node ids, address fields) to small integers, looked up by string_view without
// building a string: an open-addressing table of (hash, number) pairs over one contiguous
// arena of the strings' bytes. Made for lookups once per line of every view, a million a
// poll at 1,000 nodes: small enough to stay in the cache.
class string_index {
  public:
    std::int32_t find(std::string_view id) const {
        if (slots_.empty()) return -1;
        auto hash = hash_of(id);
        for (auto at = hash & mask(); slots_[at].number >= 0; at = (at + 1) & mask()) {
            if (slots_[at].hash == hash && name(slots_[at].number) == id) {
                return slots_[at].number;
            }
        }
        return -1;
    }
    // The string's number, and whether it is new.
    std::pair<std::int32_t, bool> intern(std::string_view id) {
        if (auto known = find(id); known >= 0) return {known, false};
        if ((offsets_.size() + 1) * 2 > slots_.size()) grow();
        auto number = static_cast<std::int32_t>(offsets_.size());
        offsets_.push_back({arena_.size(), id.size()});
        arena_.append(id);
        place(hash_of(id), number);
        return {number, true};
    }
    // Valid until the next intern().
    std::string_view name(std::int32_t number) const {
        return std::string_view(arena_).substr(offsets_[number].first, offsets_[number].second);
    }
    std::size_t size() const { return offsets_.size(); }

  private:
    struct slot {
        std::uint64_t hash = 0;
        std::int32_t number = -1;  // -1: empty
    };

    // Eight bytes at a time, multiply and fold (node ids are 40 hex characters).
    static std::uint64_t hash_of(std::string_view id) {
        std::uint64_t hash = 0x9e3779b97f4a7c15ULL ^ id.size();
        std::size_t at = 0;
        for (; at + 8 <= id.size(); at += 8) {
            std::uint64_t word = 0;
            std::memcpy(&word, id.data() + at, 8);
            hash = (hash ^ word) * 0xff51afd7ed558ccdULL;
            hash ^= hash >> 32;
        }
        for (; at < id.size(); ++at) {
            hash = (hash ^ static_cast<unsigned char>(id[at])) * 0xc4ceb9fe1a85ec53ULL;
        }
        // Murmur3's finaliser: every input bit reaches the low bits the table indexes by.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdULL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53ULL;
        return hash ^ (hash >> 33);
    }
    std::size_t mask() const { return slots_.size() - 1; }
    void place(std::uint64_t hash, std::int32_t number) {
        auto at = hash & mask();
        while (slots_[at].number >= 0) at = (at + 1) & mask();
        slots_[at] = {hash, number};
    }
    void grow() {
        std::vector<slot> old = std::move(slots_);
        slots_.assign(std::max<std::size_t>(64, old.size() * 2), slot{});
        for (const auto& entry : old) {
            if (entry.number >= 0) place(entry.hash, entry.number);
        }
    }

    std::vector<slot> slots_;  // a power of two in size, at most half full
    std::string arena_;        // every id's bytes, back to back
    std::vector<std::pair<std::size_t, std::size_t>> offsets_;  // number -> arena offset, size
};

}  // namespace warden
