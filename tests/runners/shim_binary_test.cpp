// The built agentctl-shim binary itself: statically linked (it is copied to remote hosts and
// must start without a dynamic loader), and, when built with musl, free of glibc's start-up.

#include <catch2/catch.hpp>

#include <elf.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

// The whole file, as bytes.
std::string read_binary(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The p_type of every program header of a 64-bit ELF image (empty when it is not one).
std::vector<std::uint32_t> program_header_types(const std::string& image) {
    std::vector<std::uint32_t> types;
    if (image.size() < sizeof(Elf64_Ehdr) || image.compare(0, SELFMAG, ELFMAG) != 0 ||
        image[EI_CLASS] != ELFCLASS64) {
        return types;
    }
    Elf64_Ehdr header;
    std::memcpy(&header, image.data(), sizeof header);
    for (unsigned i = 0; i < header.e_phnum; ++i) {
        std::size_t offset = header.e_phoff + std::size_t(i) * header.e_phentsize;
        if (offset + sizeof(Elf64_Phdr) > image.size()) return {};
        Elf64_Phdr program;
        std::memcpy(&program, image.data() + offset, sizeof program);
        types.push_back(program.p_type);
    }
    return types;
}

}  // namespace

TEST_CASE("shim binary: statically linked, no dynamic loader", "[shim][binary]") {
    std::string image = read_binary(AGENTCTL_SHIM_PATH);
    auto types = program_header_types(image);
    REQUIRE(types.size() >= 2);
    CHECK(std::count(types.begin(), types.end(), PT_LOAD) >= 1);
    CHECK(std::count(types.begin(), types.end(), PT_INTERP) == 0);
    CHECK(std::count(types.begin(), types.end(), PT_DYNAMIC) == 0);
}

#ifdef AGENTCTL_SHIM_MUSL
TEST_CASE("shim binary: built against musl, without glibc's start-up code", "[shim][binary]") {
    // Static glibc always carries its tunables parser (and with it the CPU/cache detection that
    // costs ~1 ms per start on a VM); musl has neither.
    std::string image = read_binary(AGENTCTL_SHIM_PATH);
    REQUIRE(image.size() > 1000);
    CHECK(image.find("GLIBC_TUNABLES") == std::string::npos);
}
#endif
