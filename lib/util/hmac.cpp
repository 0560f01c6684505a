#include "util/hmac.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/errors.hpp"

namespace agentctl::util {

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    // An empty key is legal for HMAC; OpenSSL wants a non-null pointer for it.
    static const unsigned char k_empty = 0;
    const void* key_data = key.empty() ? static_cast<const void*>(&k_empty) : key.data();
    if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length) == nullptr) {
        throw OperationError("HMAC-SHA256 failed in OpenSSL");
    }
    static const char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += k_hex[digest[i] >> 4];
        out += k_hex[digest[i] & 0x0f];
    }
    return out;
}

}  // namespace agentctl::util
