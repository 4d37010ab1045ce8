// Base64 (RFC 4648, standard alphabet, '=' padding) for etcd's JSON gateway, which carries
// every key and value as base64 (protobuf `bytes` in JSON).
#pragma once

#include <string>
#include <string_view>

#include "controller/core/result.hpp"

namespace warden {

std::string base64_encode(std::string_view bytes);
// Rejects characters outside the alphabet and bad padding, naming the offset.
result<std::string> base64_decode(std::string_view text);

}  // namespace warden
