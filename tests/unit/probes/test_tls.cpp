#include <doctest/doctest.h>

#include <boost/asio/error.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "probes/tls.hpp"

using namespace warden;
using namespace warden::probes;

namespace {

// A self-signed EC certificate (its own CA, valid 100 years) and its key, a key that does
// not belong to it, and the same key encrypted (passphrase "secret-pass"). Made with
// openssl once; the tests only load them.
constexpr const char* certificate_pem = R"pem(-----BEGIN CERTIFICATE-----
MIIBiTCCAS+gAwIBAgIUdkWp82pndZdL4gFHOS1e6G3x33wwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOd2FyZGVuLXVuaXQtY2EwIBcNMjYxMjAyMDgxMDA3WhgPMjEy
NjExMDgwODEwMDdaMBkxFzAVBgNVBAMMDndhcmRlbi11bml0LWNhMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAE7cIgNfwXpM55Hx8DtJvOtloKNix5M0SCo2sBIdav
oxumXts1tJzWGEBUI7k1qEDj1R2MGPeZt7G0VMiyAjK1WKNTMFEwHQYDVR0OBBYE
FA8pji0z5Y06UhmyxBmvkPiYAjuRMB8GA1UdIwQYMBaAFA8pji0z5Y06UhmyxBmv
kPiYAjuRMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgS1m7vpQk
xYjqqJ4vJgVGTY4RSMQumFC2hxm6JIAcnjICIQCJTpmHSYCBfW3yNNnpcM5jPSci
yb3U8+UbrVsHCdFVbA==
-----END CERTIFICATE-----
)pem";
constexpr const char* key_pem = R"pem(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg5e6n124U5sspSA9T
+RRQbgeAnVr6cqJo1gdEZn9reBihRANCAATtwiA1/BekznkfHwO0m862Wgo2LHkz
RIKjawEh1q+jG6Ze2zW0nNYYQFQjuTWoQOPVHYwY95m3sbRUyLICMrVY
-----END PRIVATE KEY-----
)pem";
constexpr const char* other_key_pem = R"pem(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIPPl4IJWYn/xjDmB9H9wtSzcTZWfS9xlEzSUxrUjN+qSoAoGCCqGSM49
AwEHoUQDQgAE/z//QKEtZyzieXhAWyEQkkZd07Ra+OInN1SK3C8Q2JdbnOBiL5Bg
FkKG+jTpzou7Zc0fAOrCFdo8ku0UOgNu3A==
-----END EC PRIVATE KEY-----
)pem";
constexpr const char* encrypted_key_pem = R"pem(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjzhVfwbUO2FwICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEENz0KN8js01xShIEyt+pJOcEgZA3
j1texVtkAm3ow2kc4rGeWm37JwTP7j8Gk3F/GVwBWFGaDHah3Y/fxp9WH6ruiox/
cLdwMq1z58XoAlP4klYx9qVfYgh1vUEuC/OGp6lIV/Ko1hvqx6pKW4N+5hDi+dX7
bjY7FQ3D/sKj4WQCmkIHR1FajAr8pVDaZUy99B/ZIaK+qYA0O+LVD021wRIf/T8=
-----END ENCRYPTED PRIVATE KEY-----
)pem";

class pem_files {
  public:
    pem_files() : dir_(std::filesystem::temp_directory_path() / unique_name()) {
        std::filesystem::create_directories(dir_);
        write("cert.pem", certificate_pem);
        write("key.pem", key_pem);
        write("other.key", other_key_pem);
        write("encrypted.key", encrypted_key_pem);
    }
    ~pem_files() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    pem_files(const pem_files&) = delete;
    pem_files& operator=(const pem_files&) = delete;
    std::string path(const std::string& name) const { return (dir_ / name).string(); }

  private:
    static std::string unique_name() {
        return "warden-tls-unit-" + std::to_string(std::rand()) + "-" +
               std::to_string(reinterpret_cast<std::uintptr_t>(&certificate_pem));
    }
    void write(const std::string& name, const char* text) const {
        std::ofstream(dir_ / name) << text;
    }
    std::filesystem::path dir_;
};

tls_settings with_client_certificate(const pem_files& files, const std::string& key) {
    tls_settings settings;
    settings.ca_file = files.path("cert.pem");
    settings.cert_file = files.path("cert.pem");
    settings.key_file = files.path(key);
    return settings;
}

}  // namespace

TEST_SUITE("tls") {
    TEST_CASE("a profile loads a CA, a client certificate and its key") {
        pem_files files;
        auto profile =
            tls_client::make(with_client_certificate(files, "key.pem"), tls_flag_names());
        REQUIRE(profile);
        CHECK((*profile)->settings().cert_file == files.path("cert.pem"));
    }

    TEST_CASE("each bad file is named by the setting it came from, never by its content") {
        pem_files files;
        tls_settings missing_ca;
        missing_ca.ca_file = files.path("absent.pem");
        auto no_ca = tls_client::make(missing_ca, tls_flag_names());
        REQUIRE_FALSE(no_ca);
        CHECK(no_ca.failure().message.rfind("--cacert '" + files.path("absent.pem") + "': ", 0) ==
              0);
        CHECK(no_ca.failure().kind == error_kind::usage);

        auto wrong_key = tls_client::make(with_client_certificate(files, "other.key"),
                                          tls_config_names("clusters[0].tls"));
        REQUIRE_FALSE(wrong_key);
        CHECK(wrong_key.failure().message.find("clusters[0].tls.key_file '") == 0);
        INFO(wrong_key.failure().message);
        CHECK(wrong_key.failure().message.find("mismatch") != std::string::npos);

        // An encrypted key is refused at once (no passphrase prompt on the terminal).
        auto encrypted =
            tls_client::make(with_client_certificate(files, "encrypted.key"), tls_flag_names());
        REQUIRE_FALSE(encrypted);
        CHECK(encrypted.failure().message.find("--key '") == 0);

        auto half = with_client_certificate(files, "key.pem");
        half.key_file.reset();
        auto lone_cert = tls_client::make(half, tls_flag_names("--from-"));
        REQUIRE_FALSE(lone_cert);
        CHECK(lone_cert.failure().message ==
              "--from-cert and --from-key go together (a client "
              "certificate and its key)");
        for (const auto* text : {key_pem, other_key_pem, encrypted_key_pem}) {
            std::string line = std::string(text).substr(std::string(text).find('\n') + 1, 40);
            for (const auto& failure :
                 {no_ca.failure(), wrong_key.failure(), encrypted.failure(), lone_cert.failure()}) {
                CHECK(failure.message.find(line) == std::string::npos);
            }
        }
    }

    TEST_CASE("a TLS record where a Redis reply was expected means a TLS port") {
        CHECK(tls_answer_to_plaintext(std::string_view("\x15\x03\x03\x00\x02", 5)));
        CHECK(tls_answer_to_plaintext(std::string_view("\x16\x03\x01", 3)));
        CHECK_FALSE(tls_answer_to_plaintext("+PONG\r\n"));
        CHECK_FALSE(tls_answer_to_plaintext("$5\r\n"));
        CHECK_FALSE(tls_answer_to_plaintext(std::string_view("\x15", 1)));
    }

    TEST_CASE("a connection closed before any reply hints at the TLS side to fix") {
        namespace net = boost::asio;
        auto plaintext = closed_before_reply_hint(net::error::connection_reset, nullptr);
        REQUIRE(plaintext);
        CHECK(plaintext->find("a TLS port?") != std::string::npos);

        pem_files files;
        tls_settings no_client_certificate;
        no_client_certificate.ca_file = files.path("cert.pem");
        auto anonymous = tls_client::make(no_client_certificate, tls_flag_names());
        REQUIRE(anonymous);
        auto hint = closed_before_reply_hint(net::error::eof, anonymous->get());
        REQUIRE(hint);
        CHECK(hint->find("requires a client certificate") != std::string::npos);
        CHECK_FALSE(closed_before_reply_hint(net::error::timed_out, nullptr));
    }
}
