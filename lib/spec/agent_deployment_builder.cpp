// `agents[].deployment` -> DeploymentSpec: target aliases, the agent's environment and env_file,
// secrets, remote/container/kubernetes fields, and the job-level SSH defaults.

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "spec/env_file.hpp"
#include "spec/section_builders.hpp"
#include "spec/units.hpp"
#include "util/text.hpp"

namespace agentctl::spec {

namespace {

const std::vector<std::string> k_deployment_keys = {
    "target", "environment", "env_file", "workdir",   "python",         "advertise", "host",
    "hosts",  "user",        "port",     "ssh_key",   "password",       "files",     "image",
    "network", "container_name", "volumes", "publish", "namespace",     "service_type"};
const std::vector<std::string> k_file_keys = {"src", "dest", "mode"};
const std::vector<std::string> k_target_names = {"localhost", "remote", "container", "kubernetes",
                                                 "local",     "ssh",    "docker"};
const Target k_targets[] = {Target::localhost, Target::remote, Target::container, Target::kubernetes,
                            Target::localhost, Target::remote, Target::container};

constexpr const char* k_publish_hint = "write publish: \"127.0.0.1:19000\" (host address and port) or publish: 19000";

// True when `text` is exactly one ${...} reference; `name` receives its variable name.
bool single_reference(const std::string& text, std::string& name) {
    if (text.size() < 4 || text.compare(0, 2, "${") != 0 || text.back() != '}') {
        return false;
    }
    int depth = 1;
    for (std::size_t i = 2; i < text.size(); ++i) {
        if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
            ++depth;
            ++i;
        } else if (text[i] == '}' && --depth == 0) {
            if (i != text.size() - 1) {
                return false;
            }
        }
    }
    std::size_t end = 2;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
        ++end;
    }
    name = text.substr(2, end - 2);
    return is_env_name(name);
}

void read_target(const MapReader& section, DeploymentSpec& spec) {
    const YamlNode* node = section.get("target");
    auto text = section.text("target");
    if (!text) {
        return;
    }
    spec.target_text = *text;
    spec.target_pos = node->pos;
    for (std::size_t i = 0; i < k_target_names.size(); ++i) {
        if (*text == k_target_names[i]) {
            spec.target = k_targets[i];
            return;
        }
    }
    const std::string suggestion = util::did_you_mean(*text, k_target_names);
    section.walker().error(*node, "unknown deployment target '" + *text + "'",
                           suggestion.empty() ? "use localhost, remote, container or kubernetes"
                                              : "did you mean '" + suggestion + "'?");
}

// Reads the env file into `out` (values are secrets); problems point into the env file itself.
void read_env_file(const MapReader& section, const LoadContext& context, std::vector<EnvVar>& out) {
    SchemaWalker& walker = section.walker();
    const YamlNode* node = section.get("env_file");
    auto relative = section.text("env_file");
    if (!relative || relative->empty()) {
        return;
    }
    // An env_file inherited from defaults is read for every agent but reported once, there.
    const bool report = !walker.quiet(*node);
    const std::string path = relative->front() == '/' ? *relative : context.dir + "/" + *relative;
    std::error_code error;
    const bool directory = std::filesystem::is_directory(path, error);
    const auto size = directory ? 0 : std::filesystem::file_size(path, error);
    if (directory || error) {
        walker.error(*node,
                     "cannot read env_file '" + *relative + "': " + (directory ? "it is a directory" : error.message()),
                     "env_file is relative to the job file's directory");
        return;
    }
    if (size > context.options.limits.max_bytes) {
        walker.error(*node, "env_file '" + *relative + "' is larger than " +
                                std::to_string(context.options.limits.max_bytes) + " bytes");
        return;
    }
    std::ifstream in(path, std::ios::binary);
    std::string text(static_cast<std::size_t>(size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (!in) {
        walker.error(*node, "cannot read env_file '" + *relative + "': " + std::strerror(errno ? errno : EIO));
        return;
    }
    const EnvFileContent content = parse_env_file(text);
    for (const EnvFileProblem& problem : content.problems) {
        if (!report) {
            break;
        }
        walker.out().append({Diagnostic{path, SourcePos{problem.line, 1}, Severity::error, problem.message,
                                        "write KEY=VALUE lines; names are letters, digits and _"}});
    }
    for (const EnvFileEntry& entry : content.entries) {
        EnvVar var{entry.name, entry.value, true, node->pos};
        auto existing = std::find_if(out.begin(), out.end(), [&](const EnvVar& v) { return v.name == var.name; });
        if (existing != out.end()) {
            *existing = std::move(var);
        } else {
            out.push_back(std::move(var));
        }
    }
}

void read_password(const MapReader& section, DeploymentSpec& spec) {
    SchemaWalker& walker = section.walker();
    const YamlNode* node = section.get("password");
    if (node == nullptr || walker.failed(*node)) {
        return;
    }
    auto value = read_text(walker, *node, section.path_of("password"));
    if (!value) {
        return;
    }
    const std::string* raw = walker.raw_text(*node);
    std::string name;
    // A password written in the file would end up in version control and in `ps`: refuse it.
    if (!single_reference(raw ? *raw : node->text, name)) {
        walker.error(*node, "password must come from the environment", "write password: \"${SSH_PASSWORD}\"");
        return;
    }
    spec.password = EnvVar{name, *value, true, node->pos};
}

void read_files(const MapReader& section, DeploymentSpec& spec) {
    SchemaWalker& walker = section.walker();
    const YamlNode* list = section.list("files");
    if (list == nullptr) {
        return;
    }
    for (std::size_t i = 0; i < list->items.size(); ++i) {
        const YamlNode& item = *list->items[i];
        const std::string path = section.path_of("files") + "[" + std::to_string(i) + "]";
        if (walker.failed(item)) {
            continue;
        }
        if (!item.is_map()) {
            walker.type_error(item, path, "a map {src, dest, mode}");
            continue;
        }
        MapReader file(walker, item, path, k_file_keys);
        FileSpec spec_file;
        spec_file.pos = file.pos();
        if (auto src = file.text("src")) {
            spec_file.src = *src;
        } else if (!file.has("src")) {
            file.missing("src");
        }
        if (auto dest = file.text("dest")) {
            spec_file.dest = *dest;
        } else if (!file.has("dest")) {
            file.missing("dest");
        }
        if (const YamlNode* mode = file.get("mode"); mode != nullptr && !walker.failed(*mode)) {
            spec_file.mode = mode->is_scalar() ? parse_file_mode(mode->text) : std::nullopt;
            if (!spec_file.mode) {
                walker.type_error(*mode, file.path_of("mode"), "an octal file mode", "write mode: \"0644\"");
            }
        }
        spec.files.push_back(std::move(spec_file));
    }
}

void read_publish(const MapReader& section, DeploymentSpec& spec) {
    SchemaWalker& walker = section.walker();
    const YamlNode* node = section.get("publish");
    if (node == nullptr || walker.failed(*node)) {
        return;
    }
    auto text = read_text(walker, *node, section.path_of("publish"));
    if (!text) {
        return;
    }
    const std::size_t colon = text->rfind(':');
    std::string address = colon == std::string::npos ? "127.0.0.1" : text->substr(0, colon);
    const std::string port_text = colon == std::string::npos ? *text : text->substr(colon + 1);
    bool ok = !address.empty() && !port_text.empty() && port_text.size() <= 5 &&
              std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; });
    const int port = ok ? std::stoi(port_text) : 0;
    // "19000:9000" is Docker's HOST:CONTAINER form; here the container side is config.port.
    const bool docker_pair = !address.empty() &&
                             std::all_of(address.begin(), address.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!ok || port < 1 || port > 65535 || docker_pair) {
        walker.error(*node, section.path_of("publish") + " must be \"ADDR:PORT\" or \"PORT\", not \"" + *text + "\"",
                     docker_pair ? std::string("publish maps a host address to config.port; ") + k_publish_hint
                                 : std::string(k_publish_hint));
        return;
    }
    spec.publish = address + ":" + std::to_string(port);
    spec.publish_pos = node->pos;
}

void read_hosts(const MapReader& section, DeploymentSpec& spec) {
    SchemaWalker& walker = section.walker();
    const YamlNode* list = section.get("hosts");
    if (list == nullptr || walker.failed(*list)) {
        return;
    }
    if (!list->is_sequence()) {
        walker.type_error(*list, section.path_of("hosts"), "a list of hosts",
                          list->is_scalar() ? "write hosts: [" + list->text + "], or host: " + list->text
                                            : std::string());
        return;
    }
    if (list->items.empty()) {
        walker.error(*list, section.path_of("hosts") + " must list at least one host");
    }
    for (std::size_t i = 0; i < list->items.size(); ++i) {
        const YamlNode& item = *list->items[i];
        if (auto host = read_text(walker, item, section.path_of("hosts") + "[" + std::to_string(i) + "]")) {
            spec.hosts.push_back(IdRef{*host, item.pos});
        }
    }
}

}  // namespace

DeploymentSpec build_agent_deployment(const MapReader& agent, LoadContext& context) {
    DeploymentSpec spec;
    auto section = agent.map("deployment", k_deployment_keys);
    if (section) {
        SchemaWalker& walker = section->walker();
        read_target(*section, spec);
        if (const YamlNode* environment = section->get("environment")) {
            spec.environment = build_environment(walker, *environment, section->path_of("environment"), true);
        }
        spec.env_file = section->text("env_file").value_or("");
        std::vector<EnvVar> from_file;
        read_env_file(*section, context, from_file);
        for (EnvVar& var : from_file) {
            // `environment` wins over the env file, as in docker compose.
            auto own = std::find_if(spec.environment.begin(), spec.environment.end(),
                                    [&](const EnvVar& v) { return v.name == var.name; });
            if (own == spec.environment.end()) {
                spec.environment.push_back(std::move(var));
            }
        }
        spec.workdir = section->text("workdir").value_or("");
        spec.python = section->text("python").value_or("python3");
        spec.advertise = section->text("advertise").value_or("");
        if (auto host = section->text("host")) {
            spec.host = *host;
            spec.host_pos = section->get("host")->pos;
        }
        read_hosts(*section, spec);
        spec.user = section->text("user").value_or("");
        if (auto port = section->integer("port", 1, 65535, "write port: 22 without quotes")) {
            spec.port = static_cast<int>(*port);
        }
        spec.ssh_key = section->text("ssh_key").value_or("");
        read_password(*section, spec);
        read_files(*section, spec);
        spec.image = section->text("image").value_or("");
        spec.network = section->text("network").value_or("");
        spec.container_name = section->text("container_name").value_or("");
        spec.volumes = section->text_list("volumes", "write volumes as a list: [\"./data:/data\"]")
                           .value_or(std::vector<std::string>{});
        read_publish(*section, spec);
        spec.k8s_namespace = section->text("namespace").value_or("default");
        spec.service_type = section->text("service_type").value_or("");
    }

    // Job-level SSH settings apply wherever agentctl opens an SSH session for this agent.
    const bool over_ssh = spec.target == Target::remote || (spec.target == Target::container && !spec.host.empty());
    if (over_ssh) {
        if (spec.ssh_key.empty() && context.deployment.ssh_key_file) {
            spec.ssh_key = *context.deployment.ssh_key_file;
        }
        spec.ssh_timeout = context.ssh_timeout;
    }
    return spec;
}

}  // namespace agentctl::spec
