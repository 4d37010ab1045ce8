#include "controller/daemon/http_server.hpp"

#include <fmt/format.h>

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>

#include "controller/core/parse/endpoint.hpp"

namespace warden::daemon {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

constexpr std::size_t header_limit = 8 * 1024;
constexpr std::uint64_t body_limit = 4 * 1024;
constexpr auto read_deadline = std::chrono::seconds(10);

// One keep-alive connection: read a request, answer it, repeat until the peer is done.
class http_session : public std::enable_shared_from_this<http_session> {
  public:
    http_session(tcp::socket socket, const http_router& router)
        : stream_(std::move(socket)), router_(router) {}

    void start() { read(); }

  private:
    void read() {
        parser_.emplace();
        parser_->header_limit(header_limit);
        parser_->body_limit(body_limit);
        stream_.expires_after(read_deadline);
        http::async_read(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout) return close();
        if (ec == http::error::header_limit || ec == http::error::body_limit) {
            return reply_error(ec == http::error::header_limit
                                   ? http::status::request_header_fields_too_large
                                   : http::status::payload_too_large);
        }
        if (ec) return reply_error(http::status::bad_request);
        const auto& request = parser_->get();
        if (request.method() != http::verb::get && request.method() != http::verb::head) {
            return reply({405, "text/plain; charset=utf-8", "only GET and HEAD\n"}, false);
        }
        auto answer = router_(std::string(request.target()));
        if (request.method() == http::verb::head) answer.body.clear();
        reply(answer, request.keep_alive());
    }

    void reply_error(http::status status) {
        reply({static_cast<int>(status), "text/plain; charset=utf-8",
               std::string(http::obsolete_reason(status)) + "\n"},
              false);
    }

    void reply(const http_response& answer, bool keep_alive) {
        auto response = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(answer.status), 11);
        response->set(http::field::server, "redis-warden");
        response->set(http::field::content_type, answer.content_type);
        response->set("X-Content-Type-Options", "nosniff");
        for (const auto& [name, value] : answer.headers) response->set(name, value);
        response->keep_alive(keep_alive);
        response->body() = answer.body;
        response->prepare_payload();
        stream_.expires_after(read_deadline);
        http::async_write(
            stream_, *response,
            [self = shared_from_this(), response, keep_alive](beast::error_code ec, std::size_t) {
                if (ec || !keep_alive) return self->close();
                self->read();
            });
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    const http_router& router_;
};

}  // namespace

http_server::http_server(boost::asio::io_context& io, http_router router)
    : io_(io), acceptor_(io), router_(std::move(router)) {}

result<bool> http_server::listen(const std::string& address) {
    auto parsed = parse_endpoint(address);
    if (!parsed) return error{fmt::format("listen: {}", parsed.failure().message)};
    boost::system::error_code ec;
    auto ip = boost::asio::ip::make_address(parsed->host, ec);
    if (ec)
        return error{fmt::format("listen '{}': '{}' is not an IP address", address, parsed->host)};
    tcp::endpoint where(ip, static_cast<unsigned short>(parsed->port));
    if (acceptor_.open(where.protocol(), ec); !ec) {
        acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!acceptor_.bind(where, ec))
            acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
    }
    if (ec) return error{fmt::format("cannot listen on {}: {}", address, ec.message())};
    accept();
    return true;
}

std::string http_server::bound_address() const {
    boost::system::error_code ec;
    auto where = acceptor_.local_endpoint(ec);
    if (ec) return "";
    return fmt::format("{}:{}", where.address().to_string(), where.port());
}

void http_server::accept() {
    acceptor_.async_accept(
        boost::asio::make_strand(io_), [this](boost::system::error_code ec, tcp::socket socket) {
            if (ec == boost::asio::error::operation_aborted) return;
            if (!ec) std::make_shared<http_session>(std::move(socket), router_)->start();
            accept();
        });
}

}  // namespace warden::daemon
