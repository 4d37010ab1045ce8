// TLS as plain values: the client profile's settings (where the CA, the client certificate
// and its key are; which name to expect) and what a node's certificate says. The probes
// build the OpenSSL context from the settings (probes/tls.hpp); the core reads certificates.
#pragma once

#include <optional>
#include <string>

namespace warden {

// One TLS client profile (redis-cli's --tls flags, a cluster's `tls:` section, etcd's).
// Paths only: files are read when the profile is built.
struct tls_settings {
    std::optional<std::string> ca_file;      // PEM bundle of trusted CAs (--cacert)
    std::optional<std::string> ca_dir;       // hashed directory of CAs (--cacertdir)
    std::optional<std::string> cert_file;    // client certificate chain (--cert)
    std::optional<std::string> key_file;     // its private key (--key); never printed
    std::optional<std::string> server_name;  // SNI, and the name the certificate must carry
    bool insecure = false;                   // skip verification (--insecure); never implied

    friend bool operator==(const tls_settings&, const tls_settings&) = default;
};

// The certificate a node presented in its TLS handshake.
struct tls_certificate {
    long long not_after = 0;  // Unix seconds
    std::string subject;      // RFC 2253 distinguished names
    std::string issuer;

    friend bool operator==(const tls_certificate&, const tls_certificate&) = default;
};

}  // namespace warden
