// Parts of the on-call page (report/page.hpp) shared by its source files. Internal to the
// report folder: the accessors read the /status document without throwing on a missing
// field (a cluster not polled yet has only a name and a status).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "controller/core/health/findings.hpp"

namespace warden::page {

std::string text_at(const nlohmann::json& object, const char* key);
bool bool_at(const nlohmann::json& object, const char* key, bool fallback);
double number_at(const nlohmann::json& object, const char* key, double fallback = 0);
// The array (object) at `key`, or an empty one.
const nlohmann::json& array_at(const nlohmann::json& object, const char* key);
const nlohmann::json& object_at(const nlohmann::json& object, const char* key);
// escaped text_at
std::string escaped(const nlohmann::json& object, const char* key);

// The status the document names ("ok", "warning", "critical"; anything else is unknown).
severity severity_of(std::string_view status);
// The status as a shape and a word, so it never rests on colour alone: "✕ CRITICAL".
std::string status_badge(std::string_view status);

// One <section> for a cluster of the /status document.
std::string render_cluster(const nlohmann::json& cluster);
// The 16,384 slots by owner, open and uncovered slots marked, with a legend in words.
std::string render_slot_bar(const nlohmann::json& cluster);
// Nodes by failure domain: one column per domain, masters with their replicas.
std::string render_domain_map(const nlohmann::json& cluster);

}  // namespace warden::page
