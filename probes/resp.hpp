// RESP2 decoding and encoding on top of hiredis' reader: hiredis parses, Asio moves bytes.
// https://redis.io/docs/reference/protocol-spec/
//   "+OK\r\n" status, "-ERR text\r\n" error, ":42\r\n" integer,
//   "$5\r\nhello\r\n" bulk string, "$-1\r\n" nil, "*2\r\n:1\r\n:2\r\n" array.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controller/core/result.hpp"

struct redisReader;

namespace warden::probes {

enum class resp_type { status, error, integer, string, array, nil };

std::string_view to_string(resp_type type);

// One reply, owned: no pointer into hiredis memory survives the reader.
struct resp_value {
    resp_type type = resp_type::nil;
    std::string text;                  // status, error and string payloads
    std::int64_t integer = 0;          // integer payload
    std::vector<resp_value> elements;  // array payload

    friend bool operator==(const resp_value&, const resp_value&) = default;
};

// Prints e.g. `error "ERR unknown command"` so doctest failures read well.
std::ostream& operator<<(std::ostream& out, const resp_value& value);

namespace detail {
struct reader_deleter {
    void operator()(redisReader* reader) const;
};
}  // namespace detail

// Incremental decoder: feed bytes as they arrive, take complete replies out in order.
// A protocol error is sticky: the stream cannot be resynchronised after it.
class resp_reader {
  public:
    resp_reader();

    // Returns false once the reader is in the error state (next() then says why).
    bool feed(std::string_view bytes);

    // The next complete reply; nullopt when more bytes are needed; an error value
    // "not a Redis reply (protocol error: ...)" when the bytes are not RESP.
    result<std::optional<resp_value>> next();

  private:
    std::unique_ptr<redisReader, detail::reader_deleter> reader_;
};

// Decodes replies that are not arrays (status, error, integer, bulk string, nil: what a
// probe gets) with each bulk string's payload read straight into the string the reply
// carries: at 1,000 nodes a poll reads 133 MB of CLUSTER NODES text, and hiredis copies
// each reply into its buffer, then into its reply object, then into ours. The caller reads
// into read_buffer(), commit()s what it read, then takes replies with next(). Errors are
// sticky, as resp_reader's: the stream cannot be resynchronised.
class scalar_reply_reader {
  public:
    // A bulk string announcing more than `max_bulk_bytes` is refused before it is allocated.
    explicit scalar_reply_reader(std::size_t max_bulk_bytes);

    // Where the next read puts its bytes; never empty.
    std::span<char> read_buffer();
    // `bytes` were read into the start of the last read_buffer().
    void commit(std::size_t bytes);
    // As resp_reader::next(); an array is refused ("array where a bulk string was expected")
    // before anything is allocated for it.
    result<std::optional<resp_value>> next();

  private:
    result<std::optional<resp_value>> start_reply();
    std::optional<resp_value> fill_bulk();

    std::size_t max_bulk_bytes_;
    std::vector<char> staging_;  // reply headers, small replies, a payload's first bytes
    std::size_t begin_ = 0;      // staging_[begin_, end_) is read and not yet decoded
    std::size_t end_ = 0;
    std::optional<resp_value> bulk_;  // a bulk string whose payload is being read
    std::size_t bulk_size_ = 0;       // its length, as announced
    std::size_t bulk_filled_ = 0;     // payload bytes in bulk_->text so far
    bool into_bulk_ = false;          // the last read_buffer() was bulk_'s payload
    std::optional<error> failed_;
};

// "replies too large (over 64 MiB)" for a node cut off at `limit` bytes.
std::string too_large_message(std::size_t limit);

// Encodes one command as a RESP array of bulk strings (binary safe).
std::string encode_command(std::span<const std::string_view> arguments);

}  // namespace warden::probes
