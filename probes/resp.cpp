#include "probes/resp.hpp"

#include <hiredis/hiredis.h>

#include <cstdlib>
#include <new>
#include <ostream>
#include <string>

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

std::optional<char> resp_reader::pending_type() const {
    // ridx == -1: hiredis is between replies, so buf[pos] is the next reply's type byte.
    const redisReader& reader = *reader_;
    if (reader.err != 0 || reader.ridx != -1 || reader.buf == nullptr) return std::nullopt;
    if (reader.pos >= reader.len) return std::nullopt;
    return reader.buf[reader.pos];
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
