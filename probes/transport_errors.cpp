#include "probes/transport_errors.hpp"

#include <fmt/format.h>
#include <boost/asio/error.hpp>

namespace warden::probes {

namespace net = boost::asio;
using boost::system::error_code;

std::string describe_connect_error(const error_code& ec) {
    if (ec == net::error::connection_refused) return "connection refused";
    if (ec == net::error::host_unreachable) return "host unreachable";
    if (ec == net::error::network_unreachable) return "network unreachable";
    return "cannot connect: " + ec.message();
}

std::string describe_socket_error(const error_code& ec) {
    if (ec == boost::system::errc::too_many_files_open ||
        ec == boost::system::errc::too_many_files_open_in_system) {
        return "cannot open a socket: " + ec.message() +
               " (one per node: raise the descriptor limit, e.g. LimitNOFILE=)";
    }
    return "cannot open a socket: " + ec.message();
}

std::string describe_transfer_error(const error_code& ec) {
    if (ec == net::error::eof) return "connection closed by peer";
    if (ec == net::error::connection_reset || ec == net::error::broken_pipe) {
        return "connection reset by peer";
    }
    return "connection failed: " + ec.message();
}

std::string describe_resolve_error(const std::string& host, const error_code& ec) {
    if (ec == net::error::host_not_found || ec == net::error::host_not_found_try_again ||
        ec == net::error::no_data) {
        return fmt::format("cannot resolve host '{}'", host);
    }
    return fmt::format("cannot resolve host '{}' ({})", host, ec.message());
}

}  // namespace warden::probes
