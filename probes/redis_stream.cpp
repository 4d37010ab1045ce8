#include "probes/redis_stream.hpp"

namespace warden::probes {

result<void> redis_stream::begin_tls(const tls_client& profile, const std::string& host) {
    session_ = std::make_unique<boost::asio::ssl::stream<tcp::socket&>>(socket_, profile.context());
    return profile.prepare(session_->native_handle(), host);
}

void redis_stream::close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

}  // namespace warden::probes
