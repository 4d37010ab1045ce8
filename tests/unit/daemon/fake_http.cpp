#include "fake_http.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>

namespace warden::daemon::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::ip::tcp;

struct fake_http_connection {
    explicit fake_http_connection(tcp::socket accepted, int order)
        : socket(std::move(accepted)), number(order) {}
    void hang_up() {
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    }
    tcp::socket socket;
    int number;
    int requests = 0;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
};

fake_http::fake_http(http_script script)
    : acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
      port_(acceptor_.local_endpoint().port()),
      script_(std::move(script)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
}

fake_http::~fake_http() {
    io_.stop();
    thread_.join();
}

int fake_http::connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
}

int fake_http::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

void fake_http::accept() {
    acceptor_.async_accept([this](auto ec, tcp::socket socket) {
        if (ec) return;
        int number = 0;
        {
            std::lock_guard lock(mutex_);
            number = ++connections_;
        }
        serve(std::make_shared<fake_http_connection>(std::move(socket), number));
        accept();
    });
}

void fake_http::serve(std::shared_ptr<fake_http_connection> connection) {
    connection->request = {};
    http::async_read(connection->socket, connection->buffer, connection->request,
                     [this, connection](auto ec, std::size_t) {
                         if (ec) return;
                         {
                             std::lock_guard lock(mutex_);
                             ++requests_;
                         }
                         auto answer = script_(connection->number, ++connection->requests);
                         if (answer == http_answer::hang_up) return connection->hang_up();
                         if (answer == http_answer::silent) return serve(connection);
                         auto& response = connection->response;
                         response = {http::status::ok, 11};
                         response.set(http::field::content_type, "application/json");
                         response.keep_alive(true);
                         response.body() =
                             R"({"connection":)" + std::to_string(connection->number) + "}";
                         response.prepare_payload();
                         bool close = answer == http_answer::reply_and_close;
                         http::async_write(connection->socket, response,
                                           [this, connection, close](auto failed, std::size_t) {
                                               if (failed) return;
                                               if (close) return connection->hang_up();
                                               serve(connection);
                                           });
                     });
}

}  // namespace warden::daemon::testing
