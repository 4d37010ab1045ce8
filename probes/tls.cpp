#include "probes/tls.hpp"

#include "controller/core/utc_time.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <ctime>

namespace warden::probes {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;

bool is_ip(const std::string& host) {
    error_code not_ip;
    net::ip::make_address(host, not_ip);
    return !not_ip;
}

std::string name_text(const X509_NAME* name) {
    if (name == nullptr) return {};
    std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
    if (!out || X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
    char* data = nullptr;
    long size = BIO_get_mem_data(out.get(), &data);
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::optional<long long> unix_seconds(const ASN1_TIME* when) {
    std::tm parts{};
    if (when == nullptr || ASN1_TIME_to_tm(when, &parts) != 1) return std::nullopt;
    return static_cast<long long>(timegm(&parts));
}

// The leaf certificate: after a verified handshake the session's peer; after a failed one
// only the chain it received holds it.
const X509* leaf_of(SSL* session) {
    if (session == nullptr) return nullptr;
    if (const X509* peer = SSL_get0_peer_certificate(session)) return peer;
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(session);
    if (chain == nullptr || sk_X509_num(chain) == 0) return nullptr;
    return sk_X509_value(chain, 0);
}

std::string describe_verify_failure(long verify_result, SSL* session,
                                    const std::string& expected_name) {
    switch (verify_result) {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            return "the server's certificate is not signed by a trusted CA (unknown CA: check "
                   "the CA file, --cacert / tls.ca_file)";
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
            return fmt::format(
                "the server's certificate is not valid for '{}' (host name mismatch: dial a name "
                "it carries, or give it as --sni / tls.server_name)",
                expected_name);
        case X509_V_ERR_CERT_HAS_EXPIRED: {
            auto certificate = peer_certificate(session);
            return certificate ? fmt::format("the server's certificate expired on {}",
                                             utc_text(static_cast<double>(certificate->not_after)))
                               : std::string("the server's certificate has expired");
        }
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return "the server's certificate is not valid yet (check the clocks)";
        default:
            return fmt::format("the server's certificate failed verification: {}",
                               X509_verify_cert_error_string(verify_result));
    }
}

}  // namespace

tls_setting_names tls_flag_names(std::string_view prefix) {
    auto flag = [prefix](std::string_view name) { return fmt::format("{}{}", prefix, name); };
    return {flag("cacert"), flag("cacertdir"), flag("cert"), flag("key")};
}

tls_setting_names tls_config_names(std::string_view section) {
    auto key = [section](std::string_view name) { return fmt::format("{}.{}", section, name); };
    return {key("ca_file"), key("ca_dir"), key("cert_file"), key("key_file")};
}

tls_client::tls_client(std::unique_ptr<ssl::context> context, tls_settings settings)
    : context_(std::move(context)), settings_(std::move(settings)) {}

result<std::shared_ptr<tls_client>> tls_client::make(const tls_settings& settings,
                                                     const tls_setting_names& names) {
    auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
    auto failed_file = [](const std::string& name, const std::string& path, error_code ec) {
        return error{fmt::format("{} '{}': {}", name, path, ec.message()), error_kind::usage};
    };
    error_code failed;
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1,
                         failed);
    // An encrypted key would make OpenSSL prompt on the terminal: refuse it instead.
    context->set_password_callback(
        [](std::size_t, ssl::context::password_purpose) { return std::string(); }, failed);
    context->set_verify_mode(settings.insecure ? ssl::verify_none : ssl::verify_peer, failed);
    if (settings.ca_file) {
        context->load_verify_file(*settings.ca_file, failed);
        if (failed) return failed_file(names.ca_file, *settings.ca_file, failed);
    }
    if (settings.ca_dir) {
        context->add_verify_path(*settings.ca_dir, failed);
        if (failed) return failed_file(names.ca_dir, *settings.ca_dir, failed);
    }
    if (!settings.ca_file && !settings.ca_dir) {
        context->set_default_verify_paths(failed);
        if (failed) {
            return error{"the system's CA certificates: " + failed.message(), error_kind::usage};
        }
    }
    if (settings.cert_file.has_value() != settings.key_file.has_value()) {
        return error{fmt::format("{} and {} go together (a client certificate and its key)",
                                 names.cert_file, names.key_file),
                     error_kind::usage};
    }
    if (settings.cert_file) {
        context->use_certificate_chain_file(*settings.cert_file, failed);
        if (failed) return failed_file(names.cert_file, *settings.cert_file, failed);
        context->use_private_key_file(*settings.key_file, ssl::context::pem, failed);
        if (failed) return failed_file(names.key_file, *settings.key_file, failed);
        if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
            ERR_clear_error();
            return error{fmt::format("{} '{}' is not the key of {} '{}'", names.key_file,
                                     *settings.key_file, names.cert_file, *settings.cert_file),
                         error_kind::usage};
        }
    }
    return std::shared_ptr<tls_client>(new tls_client(std::move(context), settings));
}

result<void> tls_client::prepare(SSL* session, const std::string& dialed_host) const {
    const std::string name = expected_name(dialed_host);
    // SNI carries names only: a certificate for an IP carries it as a subjectAltName.
    if (!is_ip(name) && SSL_set_tlsext_host_name(session, name.c_str()) != 1) {
        ERR_clear_error();
        return error{fmt::format("'{}' cannot be sent as the TLS server name", name),
                     error_kind::usage};
    }
    if (settings_.insecure) return {};
    X509_VERIFY_PARAM* checks = SSL_get0_param(session);
    X509_VERIFY_PARAM_set_hostflags(checks, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int set = is_ip(name) ? X509_VERIFY_PARAM_set1_ip_asc(checks, name.c_str())
                          : X509_VERIFY_PARAM_set1_host(checks, name.c_str(), name.size());
    if (set != 1) {
        ERR_clear_error();
        return error{fmt::format("'{}' cannot be checked against a certificate", name),
                     error_kind::usage};
    }
    return {};
}

std::optional<tls_certificate> peer_certificate(SSL* session) {
    const X509* leaf = leaf_of(session);
    if (leaf == nullptr) return std::nullopt;
    auto not_after = unix_seconds(X509_get0_notAfter(leaf));
    if (!not_after) return std::nullopt;
    return tls_certificate{*not_after, name_text(X509_get_subject_name(leaf)),
                           name_text(X509_get_issuer_name(leaf))};
}

bool is_tls_error(const error_code& ec) {
    return ec.category() == net::error::get_ssl_category() ||
           ec.category() == ssl::error::get_stream_category();
}

bool is_tls_close(const error_code& ec) {
    if (ec == ssl::error::stream_truncated) return true;
    return ec.category() == net::error::get_ssl_category() &&
           ERR_GET_REASON(static_cast<unsigned long>(ec.value())) ==
               SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

std::string describe_tls_error(const error_code& ec, SSL* session,
                               const std::string& expected_name) {
    if (ec == ssl::error::stream_truncated) {
        return "TLS: the server closed the connection without a TLS close (refused?)";
    }
    if (ec.category() != net::error::get_ssl_category()) return "TLS: " + ec.message();
    const auto reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    switch (reason) {
        case SSL_R_CERTIFICATE_VERIFY_FAILED:
            return "TLS: " + describe_verify_failure(
                                 session ? SSL_get_verify_result(session) : X509_V_ERR_UNSPECIFIED,
                                 session, expected_name);
        case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
            return "TLS: the server requires a client certificate (give --cert and --key, or "
                   "tls.cert_file and tls.key_file)";
        case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
            return "TLS: the server does not trust warden's client certificate (unknown CA)";
        case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
            // Servers answer a missing client certificate with this alert before TLS 1.3.
            if (session != nullptr && SSL_get_certificate(session) == nullptr) {
                return "TLS: the server requires a client certificate (give --cert and --key, "
                       "or tls.cert_file and tls.key_file; " +
                       ec.message() + ")";
            }
            [[fallthrough]];
        case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
        case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
        case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
            return "TLS: the server refused warden's client certificate (" + ec.message() + ")";
        case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
            return "TLS: the server refused the handshake (no common protocol or cipher, or it "
                   "requires a client certificate)";
        case SSL_R_WRONG_VERSION_NUMBER:
        case SSL_R_PACKET_LENGTH_TOO_LONG:
        case SSL_R_HTTP_REQUEST:
            return "TLS: the server did not answer in TLS (a plaintext port? connect without "
                   "TLS)";
        case SSL_R_UNEXPECTED_EOF_WHILE_READING:
            return "TLS: the server closed the connection during the TLS exchange";
        default:
            return "TLS: " + ec.message();
    }
}

std::optional<std::string> closed_before_reply_hint(const error_code& ec,
                                                    const tls_client* profile) {
    bool closed = ec == net::error::eof || ec == net::error::connection_reset || is_tls_close(ec);
    if (!closed) return std::nullopt;
    const char* what = ec == net::error::connection_reset ? "connection reset by peer"
                                                          : "connection closed by peer";
    if (profile == nullptr) {
        return fmt::format(
            "{} before any reply (a TLS port? connect with --tls, or a tls: "
            "section)",
            what);
    }
    if (!profile->settings().cert_file) {
        return fmt::format(
            "TLS: {} after the handshake, before any reply: the server likely "
            "requires a client certificate (give --cert and --key, or "
            "tls.cert_file and tls.key_file)",
            what);
    }
    return fmt::format(
        "TLS: {} after the handshake, before any reply (does the server "
        "accept warden's client certificate? see its log)",
        what);
}

std::optional<std::string> tls_answer_to_plaintext(std::string_view first_bytes) {
    // A TLS record starts with its type (21 alert, 22 handshake) and major version 3.
    if (first_bytes.size() < 2 || first_bytes[1] != '\x03') return std::nullopt;
    if (first_bytes[0] != '\x15' && first_bytes[0] != '\x16') return std::nullopt;
    return "the server answered in TLS: this port speaks TLS (connect with --tls, or a tls: "
           "section in the config)";
}

}  // namespace warden::probes
