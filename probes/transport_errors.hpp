// How a failed resolve, connect or transfer is worded, shared by every connection kind so
// an operator reads the same words for the same trouble.
#pragma once

#include <boost/system/error_code.hpp>
#include <string>

namespace warden::probes {

std::string describe_connect_error(const boost::system::error_code& ec);
// A socket that could not be created (out of descriptors, most often).
std::string describe_socket_error(const boost::system::error_code& ec);
std::string describe_transfer_error(const boost::system::error_code& ec);
std::string describe_resolve_error(const std::string& host, const boost::system::error_code& ec);

}  // namespace warden::probes
