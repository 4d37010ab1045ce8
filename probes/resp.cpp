#include "probes/resp.hpp"

#include <hiredis/hiredis.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <ostream>
#include <string>

#include "controller/core/parse/text_fields.hpp"

namespace warden::probes {
namespace {

resp_value convert(const redisReply& reply) {
    resp_value value;
    switch (reply.type) {
        case REDIS_REPLY_STATUS:
            value.type = resp_type::status;
            value.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_ERROR:
            value.type = resp_type::error;
            value.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_INTEGER:
            value.type = resp_type::integer;
            value.integer = reply.integer;
            break;
        case REDIS_REPLY_STRING:
            value.type = resp_type::string;
            value.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_ARRAY:
            value.type = resp_type::array;
            value.elements.reserve(reply.elements);
            for (std::size_t i = 0; i < reply.elements; ++i) {
                value.elements.push_back(convert(*reply.element[i]));
            }
            break;
        default:  // REDIS_REPLY_NIL: the only other type hiredis 0.14 produces
            value.type = resp_type::nil;
            break;
    }
    return value;
}

// hiredis says e.g. `Protocol error, got "H" as reply type byte`.
error protocol_error(std::string_view hiredis_text) {
    constexpr std::string_view prefix = "Protocol error, ";
    if (hiredis_text.starts_with(prefix)) hiredis_text.remove_prefix(prefix.size());
    return error{"not a Redis reply (protocol error: " + std::string(hiredis_text) + ")"};
}

constexpr std::size_t staging_bytes = 16 * 1024;
// A bulk string's payload is allocated whole up to this size (CLUSTER NODES of 7,000 nodes);
// beyond it, it grows as bytes arrive, so that a length a peer announces costs nothing
// until it sends the bytes.
constexpr std::size_t upfront_bytes = 1024 * 1024;

// A type byte as hiredis prints it in its protocol error: "H", "\r", "\x01".
std::string quoted_byte(char byte) {
    switch (byte) {
        case '\n':
            return R"("\n")";
        case '\r':
            return R"("\r")";
        case '\t':
            return R"("\t")";
        case '"':
        case '\\':
            return fmt::format("\"\\{}\"", byte);
        default:
            break;
    }
    if (byte >= 0x20 && byte < 0x7f) return fmt::format("\"{}\"", byte);
    return fmt::format("\"\\x{:02x}\"", static_cast<unsigned char>(byte));
}

struct reply_deleter {
    void operator()(void* reply) const { freeReplyObject(reply); }
};

struct command_deleter {
    void operator()(char* command) const { redisFreeCommand(command); }
};

}  // namespace

std::string_view to_string(resp_type type) {
    switch (type) {
        case resp_type::status:
            return "status";
        case resp_type::error:
            return "error";
        case resp_type::integer:
            return "integer";
        case resp_type::string:
            return "string";
        case resp_type::array:
            return "array";
        case resp_type::nil:
            return "nil";
    }
    return "unknown";
}

std::ostream& operator<<(std::ostream& out, const resp_value& value) {
    out << to_string(value.type);
    switch (value.type) {
        case resp_type::status:
        case resp_type::error:
        case resp_type::string:
            return out << " \"" << value.text << '"';
        case resp_type::integer:
            return out << ' ' << value.integer;
        case resp_type::array:
            out << " [";
            for (std::size_t i = 0; i < value.elements.size(); ++i) {
                out << (i == 0 ? "" : ", ") << value.elements[i];
            }
            return out << ']';
        case resp_type::nil:
            return out;
    }
    return out;
}

void detail::reader_deleter::operator()(redisReader* reader) const {
    redisReaderFree(reader);
}

resp_reader::resp_reader() : reader_(redisReaderCreate()) {
    if (!reader_) throw std::bad_alloc();  // hiredis returns null only when out of memory
}

bool resp_reader::feed(std::string_view bytes) {
    return redisReaderFeed(reader_.get(), bytes.data(), bytes.size()) == REDIS_OK;
}

result<std::optional<resp_value>> resp_reader::next() {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
        return protocol_error(reader_->errstr);
    }
    if (raw == nullptr) return std::optional<resp_value>{};
    std::unique_ptr<void, reply_deleter> owned(raw);
    return std::optional<resp_value>{convert(*static_cast<const redisReply*>(raw))};
}

scalar_reply_reader::scalar_reply_reader(std::size_t max_bulk_bytes)
    : max_bulk_bytes_(max_bulk_bytes), staging_(staging_bytes) {}

std::span<char> scalar_reply_reader::read_buffer() {
    into_bulk_ = bulk_ && bulk_filled_ < bulk_size_;
    if (into_bulk_) {
        // next() moved every staged byte into the payload: the rest of it goes there directly.
        auto& text = bulk_->text;
        if (text.size() == bulk_filled_) {
            text.resize(std::min(bulk_size_, std::max(2 * bulk_filled_, upfront_bytes)));
        }
        return {text.data() + bulk_filled_, text.size() - bulk_filled_};
    }
    if (begin_ > 0) {
        std::memmove(staging_.data(), staging_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    // Only a status or error line longer than the staging fills it; the caller's byte cap
    // bounds that.
    if (end_ == staging_.size()) staging_.resize(2 * staging_.size());
    return {staging_.data() + end_, staging_.size() - end_};
}

void scalar_reply_reader::commit(std::size_t bytes) {
    if (into_bulk_) {
        bulk_filled_ += bytes;
    } else {
        end_ += bytes;
    }
}

result<std::optional<resp_value>> scalar_reply_reader::next() {
    if (failed_) return *failed_;
    auto decoded = bulk_ ? result<std::optional<resp_value>>(fill_bulk()) : start_reply();
    if (!decoded) failed_ = decoded.failure();
    return decoded;
}

// The payload's first bytes came with its header: moved from the staging; then the CRLF.
std::optional<resp_value> scalar_reply_reader::fill_bulk() {
    auto staged = std::min(end_ - begin_, bulk_size_ - bulk_filled_);
    if (bulk_->text.size() < bulk_filled_ + staged) bulk_->text.resize(bulk_filled_ + staged);
    std::memcpy(bulk_->text.data() + bulk_filled_, staging_.data() + begin_, staged);
    begin_ += staged;
    bulk_filled_ += staged;
    // The terminating CRLF is skipped unread, as hiredis does.
    if (bulk_filled_ < bulk_size_ || end_ - begin_ < 2) return std::nullopt;
    begin_ += 2;
    auto done = std::move(bulk_);
    bulk_.reset();
    return done;
}

result<std::optional<resp_value>> scalar_reply_reader::start_reply() {
    if (begin_ == end_) return std::optional<resp_value>{};
    const char type = staging_[begin_];
    if (type == '*') {
        return error{"not a Redis reply (array where a bulk string was expected)",
                     error_kind::protocol};
    }
    if (type != '+' && type != '-' && type != ':' && type != '$') {
        return protocol_error(fmt::format("got {} as reply type byte", quoted_byte(type)));
    }
    const std::string_view staged(staging_.data() + begin_, end_ - begin_);
    auto line_end = staged.find("\r\n");
    if (line_end == std::string_view::npos) return std::optional<resp_value>{};
    auto line = staged.substr(1, line_end - 1);
    begin_ += line_end + 2;
    resp_value value;
    switch (type) {
        case '+':
            value.type = resp_type::status;
            value.text.assign(line);
            return std::optional<resp_value>{std::move(value)};
        case '-':
            value.type = resp_type::error;
            value.text.assign(line);
            return std::optional<resp_value>{std::move(value)};
        case ':':
            if (auto integer = parse_integer<std::int64_t>(line)) {
                value.type = resp_type::integer;
                value.integer = *integer;
                return std::optional<resp_value>{std::move(value)};
            }
            return protocol_error("bad integer value");
        default:
            break;
    }
    auto length = parse_integer<std::int64_t>(line);
    if (!length || *length < -1) return protocol_error("bad bulk string length");
    if (*length == -1) return std::optional<resp_value>{resp_value{}};  // nil
    if (static_cast<std::uint64_t>(*length) > max_bulk_bytes_) {
        return error{too_large_message(max_bulk_bytes_), error_kind::protocol};
    }
    bulk_.emplace();
    bulk_->type = resp_type::string;
    bulk_size_ = static_cast<std::size_t>(*length);
    bulk_->text.resize(std::min(bulk_size_, upfront_bytes));
    bulk_filled_ = 0;
    return fill_bulk();
}

std::string too_large_message(std::size_t limit) {
    constexpr std::size_t mebibyte = 1024 * 1024;
    if (limit % mebibyte == 0)
        return fmt::format("replies too large (over {} MiB)", limit / mebibyte);
    return fmt::format("replies too large (over {} bytes)", limit);
}

std::string encode_command(std::span<const std::string_view> arguments) {
    std::vector<const char*> pointers;
    std::vector<std::size_t> lengths;
    pointers.reserve(arguments.size());
    lengths.reserve(arguments.size());
    for (auto argument : arguments) {
        pointers.push_back(argument.data());
        lengths.push_back(argument.size());
    }
    char* raw = nullptr;
    int length = redisFormatCommandArgv(&raw, static_cast<int>(arguments.size()), pointers.data(),
                                        lengths.data());
    std::unique_ptr<char, command_deleter> owned(raw);
    if (length < 0 || raw == nullptr) throw std::bad_alloc();  // only fails allocating
    return std::string(raw, static_cast<std::size_t>(length));
}

}  // namespace warden::probes
