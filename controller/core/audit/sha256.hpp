// SHA-256 (FIPS 180-4), so secrets are compared by digest and never kept or shown: Redis'
// ACL LIST prints each password as "#<sha256 hex>", and warden hashes what CONFIG GET
// returns for requirepass/masterauth the moment it arrives. Small and dependency-free.
#pragma once

#include <string>
#include <string_view>

namespace warden {

// Lowercase hex digest, 64 characters.
std::string sha256_hex(std::string_view data);
// The 32 bytes of the digest (a Content-Security-Policy hash is their base64).
std::string sha256_digest(std::string_view data);

}  // namespace warden
