#include <catch2/catch.hpp>

#include "util/hmac.hpp"

using agentctl::util::hmac_sha256_hex;

TEST_CASE("hmac_sha256_hex matches RFC 4231 test case 2") {
    CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("hmac_sha256_hex depends on the key") {
    CHECK(hmac_sha256_hex("", "") == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    CHECK(hmac_sha256_hex("k1", "m") != hmac_sha256_hex("k2", "m"));
}
