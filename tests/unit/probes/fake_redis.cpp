#include "fake_redis.hpp"

#include <array>
#include <boost/asio/write.hpp>
#include <memory>

#include "probes/resp.hpp"

namespace warden::probes::testing {
namespace {

namespace net = boost::asio;
using net::ip::tcp;

class connection : public std::enable_shared_from_this<connection> {
  public:
    connection(tcp::socket socket, fake_script& script,
               std::function<void(std::vector<std::string>)> record)
        : socket_(std::move(socket)), script_(script), record_(std::move(record)) {}

    void read() {
        socket_.async_read_some(net::buffer(buffer_),
                                [self = shared_from_this()](auto ec, std::size_t n) {
                                    if (!ec) self->on_read(n);
                                });
    }

  private:
    void on_read(std::size_t bytes) {
        reader_.feed(std::string_view(buffer_.data(), bytes));
        std::string out;
        bool close = false;
        for (auto next = reader_.next(); next && next->has_value(); next = reader_.next()) {
            std::vector<std::string> command;
            for (const auto& part : (**next).elements) command.push_back(part.text);
            record_(command);
            fake_reply reply = script_(command);
            out += reply.bytes;
            close = close || reply.close_after;
        }
        if (out.empty() && !close) return read();
        auto data = std::make_shared<std::string>(std::move(out));
        net::async_write(socket_, net::buffer(*data),
                         [self = shared_from_this(), data, close](auto ec, std::size_t) {
                             if (ec) return;
                             if (close) {
                                 boost::system::error_code ignored;
                                 self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
                                 self->socket_.close(ignored);
                                 return;
                             }
                             self->read();
                         });
    }

    tcp::socket socket_;
    fake_script& script_;
    std::function<void(std::vector<std::string>)> record_;
    resp_reader reader_;
    std::array<char, 4096> buffer_{};
};

}  // namespace

fake_redis::fake_redis(fake_script script)
    : acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
      port_(acceptor_.local_endpoint().port()),
      script_(std::move(script)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
}

fake_redis::~fake_redis() {
    io_.stop();
    thread_.join();
}

std::vector<std::vector<std::string>> fake_redis::commands_seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
}

void fake_redis::accept() {
    acceptor_.async_accept([this](auto ec, tcp::socket socket) {
        if (ec) return;
        auto record = [this](std::vector<std::string> command) {
            std::lock_guard lock(mutex_);
            seen_.push_back(std::move(command));
        };
        std::make_shared<connection>(std::move(socket), script_, record)->read();
        accept();
    });
}

fake_reply bulk(const std::string& text) {
    return {"$" + std::to_string(text.size()) + "\r\n" + text + "\r\n"};
}

fake_script silent() {
    return [](const auto&) { return fake_reply{}; };
}

fake_script garbage() {
    return [](const auto&) {
        return fake_reply{"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", true};
    };
}

fake_script always(std::string resp) {
    return [resp](const auto&) { return fake_reply{resp}; };
}

fake_script cluster_node(std::string cluster_nodes) {
    return [cluster_nodes](const std::vector<std::string>& command) {
        if (command.size() == 2 && command[1] == "NODES") return bulk(cluster_nodes);
        if (command.size() == 2 && command[1] == "INFO") return bulk("cluster_state:ok\r\n");
        if (command.size() == 2 && command[0] == "INFO" && command[1] == "replication")
            return bulk("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
        return fake_reply{"-ERR unknown command\r\n"};
    };
}

std::uint16_t closed_port() {
    net::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

}  // namespace warden::probes::testing
