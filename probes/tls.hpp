// The project's one TLS layer (DESIGN.md "TLS"): a client profile built once from
// tls_settings, used by every connection to Redis (the poller's links, the blocking
// connections of the executor and audit) and by the etcd client. It decides how a session
// is verified (the CA, and the host or IP dialed, or server_name) and words what went
// wrong in a handshake so that an operator knows which side to fix.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "controller/core/result.hpp"
#include "controller/core/tls.hpp"

namespace warden::probes {

// How the settings are named where they came from, for errors ("--cacert 'x.pem': ...",
// "clusters[0].tls.ca_file 'x.pem': ...").
struct tls_setting_names {
    std::string ca_file, ca_dir, cert_file, key_file;
};
tls_setting_names tls_flag_names(std::string_view prefix = "--");  // --cacert, --cert...
tls_setting_names tls_config_names(std::string_view section);      // SECTION.ca_file...

class tls_client {
  public:
    // Reads the CA, certificate and key files. The error names the setting and the file,
    // never a key's content; an encrypted key is refused (no passphrase prompt).
    static result<std::shared_ptr<tls_client>> make(const tls_settings& settings,
                                                    const tls_setting_names& names);

    // Asio's streams take the context by non-const reference; sessions are only created
    // from it (thread safe), it is never modified after make().
    boost::asio::ssl::context& context() const { return *context_; }
    const tls_settings& settings() const { return settings_; }

    // The name or address the server's certificate must carry: server_name when set, else
    // the host dialed (also what error messages name).
    std::string expected_name(const std::string& dialed_host) const {
        return settings_.server_name.value_or(dialed_host);
    }
    // On a new session, before its handshake: SNI, and expected_name() checked by OpenSSL.
    result<void> prepare(SSL* session, const std::string& dialed_host) const;

  private:
    tls_client(std::unique_ptr<boost::asio::ssl::context> context, tls_settings settings);
    std::unique_ptr<boost::asio::ssl::context> context_;
    tls_settings settings_;
};

// The certificate the peer presented on this session, if any.
std::optional<tls_certificate> peer_certificate(SSL* session);

// True for errors that come from OpenSSL (a handshake or record-layer failure).
bool is_tls_error(const boost::system::error_code& ec);
// The peer closed a TLS connection (with or without close_notify): for a kept link, the
// same as a plaintext EOF.
bool is_tls_close(const boost::system::error_code& ec);

// Why a TLS handshake or read failed, in an operator's words: "the server's certificate is
// not signed by a trusted CA (unknown CA: check --cacert)", "... is not valid for
// '127.0.0.1'", "... expired on 2026-01-01", "the server requires a client certificate",
// "not a TLS server (a plaintext port?)". `session` may be null.
std::string describe_tls_error(const boost::system::error_code& ec, SSL* session,
                               const std::string& expected_name);

// A new connection closed (EOF or reset) before the first reply byte: the likely TLS cause,
// if there is one. `profile` is the connection's TLS profile, null for plaintext: a
// plaintext client on a TLS port, or a TLS client without the client certificate the
// server requires (TLS 1.3 refuses it after the handshake, often as a reset).
std::optional<std::string> closed_before_reply_hint(const boost::system::error_code& ec,
                                                    const tls_client* profile);

// A plaintext connection whose first reply bytes are a TLS record: the port speaks TLS.
std::optional<std::string> tls_answer_to_plaintext(std::string_view first_bytes);

}  // namespace warden::probes
