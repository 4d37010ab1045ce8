// HTTP for /metrics, /status, /healthz and / with Boost.Beast, served from the status board.
// GET/HEAD only; small request limits and a read deadline, so a slow or hostile client
// costs one socket and never blocks other scrapers.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "controller/core/result.hpp"

namespace warden::daemon {

struct http_response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

// Decides the response to a GET of `target`; pure of sockets.
using http_router = std::function<http_response(const std::string& target)>;

class http_server {
  public:
    http_server(boost::asio::io_context& io, http_router router);
    // Binds and starts accepting; an error names the address and the reason.
    result<bool> listen(const std::string& address);
    std::string bound_address() const;

  private:
    void accept();

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    http_router router_;
};

}  // namespace warden::daemon
