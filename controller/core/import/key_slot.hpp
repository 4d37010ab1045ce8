// Which of the 16384 cluster slots a key belongs to: CRC16 (XMODEM) of the key, or of its
// hash tag -- the part between the first '{' and the next '}' when that part is not empty
// -- modulo 16384 (https://redis.io/docs/reference/cluster-spec/#hash-tags).
#pragma once

#include <cstdint>
#include <string_view>

namespace warden {

std::uint16_t crc16_xmodem(std::string_view data);
int key_slot(std::string_view key);

}  // namespace warden
