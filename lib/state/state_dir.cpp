#include "state/state_dir.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "util/errors.hpp"

namespace agentctl::state {
namespace {

constexpr const char* k_key_file = "hash.key";
constexpr std::size_t k_key_bytes = 32;
constexpr std::size_t k_key_hex_length = 2 * k_key_bytes;

[[noreturn]] void fail(const std::string& what, const std::string& path, int error) {
    throw util::OperationError(what + " " + path + ": " + std::strerror(error));
}

std::optional<std::string> non_empty_env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

std::string join_path(const std::string& dir, const std::string& name) {
    if (!dir.empty() && dir.back() == '/') return dir + name;
    return dir + "/" + name;
}

void make_one_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0700) == 0) return;
    const int error = errno;
    struct stat info {};
    // EEXIST is fine for a directory (or a symlink to one); anything else is a real failure.
    if (error == EEXIST && ::stat(path.c_str(), &info) == 0) {
        if (S_ISDIR(info.st_mode)) return;
        fail("cannot create directory", path, ENOTDIR);
    }
    fail("cannot create directory", path, error);
}

void write_all(int fd, const std::string& data, const std::string& path) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t written = ::write(fd, data.data() + done, data.size() - done);
        if (written < 0) {
            if (errno == EINTR) continue;
            fail("cannot write", path, errno);
        }
        done += static_cast<std::size_t>(written);
    }
}

std::string random_hex(std::size_t bytes) {
    static const char digits[] = "0123456789abcdef";
    const std::string source = "/dev/urandom";
    const int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open", source, errno);
    std::string raw(bytes, '\0');
    std::size_t done = 0;
    while (done < bytes) {
        const ssize_t got = ::read(fd, raw.data() + done, bytes - done);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            const int error = got < 0 ? errno : EIO;
            ::close(fd);
            fail("cannot read", source, error);
        }
        done += static_cast<std::size_t>(got);
    }
    ::close(fd);
    std::string hex;
    hex.reserve(2 * bytes);
    for (const char c : raw) {
        const auto byte = static_cast<unsigned char>(c);
        hex += digits[byte >> 4];
        hex += digits[byte & 0x0f];
    }
    return hex;
}

bool is_key_text(const std::string& text) {
    if (text.size() != k_key_hex_length) return false;
    for (const char c : text) {
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        if (!hex) return false;
    }
    return true;
}

// nullopt when the file does not exist; its text (newline trimmed) otherwise.
std::optional<std::string> read_key_file(const std::string& path) {
    // O_NOFOLLOW: a symlink planted in the state dir must not redirect the secret.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        fail("cannot open", path, errno);
    }
    struct stat info {};
    // A key others can read is no secret: tighten a file of ours that was loosened by hand.
    if (::fstat(fd, &info) == 0 && info.st_uid == ::geteuid() && (info.st_mode & 077) != 0) {
        ::fchmod(fd, 0600);
    }
    std::string text;
    char buffer[256];
    for (;;) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            const int error = errno;
            ::close(fd);
            fail("cannot read", path, error);
        }
        if (got == 0) break;
        text.append(buffer, static_cast<std::size_t>(got));
        if (text.size() > 4096) break;
    }
    ::close(fd);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
}

// A concurrent creator that fell back to writing in place may not have finished: give it a moment.
std::optional<std::string> read_key_settled(const std::string& path) {
    auto text = read_key_file(path);
    for (int attempt = 0; attempt < 50 && text && !is_key_text(*text); ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        text = read_key_file(path);
    }
    if (text && !is_key_text(*text)) {
        throw util::OperationError("malformed hash key file " + path +
                                   " (expected 64 hex digits; remove it to make a new key)");
    }
    return text;
}

// Writes the key to a private temporary file and links it into place, so a reader never sees
// a partial key and exactly one of several concurrent creators wins.
void publish_key(const std::string& dir, const std::string& path, const std::string& key) {
    const std::string temp = join_path(dir, ".hash.key." + std::to_string(::getpid()) + "." + random_hex(4));
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) fail("cannot create", temp, errno);
    try {
        if (::fchmod(fd, 0600) != 0) fail("cannot chmod", temp, errno);
        write_all(fd, key + "\n", temp);
        if (::fsync(fd) != 0) fail("cannot sync", temp, errno);
    } catch (...) {
        ::close(fd);
        ::unlink(temp.c_str());
        throw;
    }
    ::close(fd);
    const int linked = ::link(temp.c_str(), path.c_str());
    const int error = errno;
    ::unlink(temp.c_str());
    if (linked == 0 || error == EEXIST) return;
    fail("cannot create", path, error);
}

}  // namespace

StateDirInputs state_dir_inputs_from_process(std::string flag) {
    StateDirInputs inputs;
    inputs.flag = std::move(flag);
    inputs.agentctl_state_dir = non_empty_env("AGENTCTL_STATE_DIR");
    inputs.xdg_state_home = non_empty_env("XDG_STATE_HOME");
    inputs.home = non_empty_env("HOME");
    if (!inputs.home) {
        // getpwuid_r would be needed in threaded code; the CLI resolves this once, up front.
        if (const passwd* entry = ::getpwuid(::geteuid()); entry != nullptr && entry->pw_dir != nullptr &&
                                                            *entry->pw_dir != '\0') {
            inputs.home = std::string(entry->pw_dir);
        }
    }
    return inputs;
}

std::string resolve_state_dir(const StateDirInputs& inputs) {
    if (!inputs.flag.empty()) return inputs.flag;
    if (inputs.agentctl_state_dir && !inputs.agentctl_state_dir->empty()) return *inputs.agentctl_state_dir;
    if (inputs.xdg_state_home && !inputs.xdg_state_home->empty() && inputs.xdg_state_home->front() == '/') {
        return join_path(*inputs.xdg_state_home, "agentctl");
    }
    if (inputs.home && !inputs.home->empty()) return join_path(*inputs.home, ".local/state/agentctl");
    throw util::OperationError(
        "cannot find a state directory: HOME is unset and the user has no home directory "
        "(use --state-dir or AGENTCTL_STATE_DIR)");
}

void ensure_state_dir(const std::string& dir) {
    if (dir.empty()) throw util::OperationError("the state directory path is empty");
    // Each missing component is made 0700, as the XDG spec asks for the directories it creates.
    for (std::size_t slash = dir.find('/', 1); slash != std::string::npos; slash = dir.find('/', slash + 1)) {
        make_one_dir(dir.substr(0, slash));
    }
    make_one_dir(dir);
    struct stat info {};
    if (::stat(dir.c_str(), &info) != 0) fail("cannot stat", dir, errno);
    // Someone else's directory is left alone: chmod would fail, and it is not ours to tighten.
    if (info.st_uid == ::geteuid() && (info.st_mode & 07777) != 0700) {
        if (::chmod(dir.c_str(), 0700) != 0) fail("cannot chmod", dir, errno);
    }
}

std::string load_or_create_hash_key(const std::string& dir) {
    const std::string path = join_path(dir, k_key_file);
    if (auto existing = read_key_settled(path)) return *existing;
    publish_key(dir, path, random_hex(k_key_bytes));
    // Whether this call or a concurrent one won the link, the file now holds the one key.
    if (auto created = read_key_settled(path)) return *created;
    fail("cannot read", path, ENOENT);
}

}  // namespace agentctl::state
