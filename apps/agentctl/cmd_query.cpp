// `agentctl query JOB MESSAGE`: the original system's query protocol — POST
// {"query": MESSAGE, "session_id": S} to <url>/query of the job's entry point (or --agent) and
// print the answer's "response" (DESIGN.md §6).

#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <fmt/core.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "console.hpp"
#include "deploy_context.hpp"
#include "flag_values.hpp"
#include "global_options.hpp"
#include "job_lookup.hpp"
#include "output_format.hpp"
#include "util/errors.hpp"
#include "verbs.hpp"

namespace agentctl::cli {
namespace {

/// `query`'s own arguments and flags.
struct QueryOptions {
    std::string job;
    std::string message;
    std::string agent;
    std::string session = "default";
    std::string timeout;
    bool raw = false;
};

// Agents that call models can take a while; a query is not a health check.
constexpr util::Millis k_default_query_timeout{60000};

/// What came back.
struct HttpReply {
    long status = 0;
    std::string body;
};

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

// One POST with libcurl's easy interface; a connection error or timeout throws OperationError.
HttpReply post_json(const std::string& url, const std::string& body, util::Millis timeout) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) throw util::OperationError("query: cannot initialise libcurl");
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
        curl_slist_append(curl_slist_append(nullptr, "Content-Type: application/json"), "Accept: application/json"),
        curl_slist_free_all);
    HttpReply reply;
    char error[CURL_ERROR_SIZE] = {};
    CURL* handle = curl.get();
    curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle, CURLOPT_POST, 1L);
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    // As the health checks: an agent on this machine is never reached through a user's proxy.
    curl_easy_setopt(handle, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
    const CURLcode code = curl_easy_perform(handle);
    if (code != CURLE_OK) {
        const std::string why = error[0] != '\0' ? error : curl_easy_strerror(code);
        throw util::OperationError("query: POST " + url + " failed: " + why);
    }
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
}

// The agent a query goes to: --agent, else the entry point recorded with the job's plan.
std::string target_agent(DeployContext& context, const state::JobRecord& job, const std::string& agent) {
    if (!agent.empty()) return agent;
    auto revision = context.store().revision(job.name, job.revision);
    if (!revision) {
        const auto all = context.store().revisions(job.name);
        if (!all.empty()) revision = all.back();
    }
    if (revision) {
        const auto plan = nlohmann::json::parse(revision->plan_json, nullptr, false);
        if (plan.is_object() && plan.contains("entry_point") && plan["entry_point"].is_string()) {
            return plan["entry_point"].get<std::string>();
        }
    }
    const auto records = context.store().instances(job.name);
    if (records.empty()) throw util::OperationError("query: job '" + job.name + "' has no instances");
    return records.front().agent;
}

int run_query(const QueryOptions& options, const GlobalOptions& globals) {
    const auto format =
        require_output_format(globals.output, "query", {OutputFormat::table, OutputFormat::json, OutputFormat::yaml});
    state::JobRecord job;
    auto context = open_for_job(globals, options.job, job);
    const std::string agent = target_agent(*context, job, options.agent);
    const auto records = select_records(job.name, context->store().instances(job.name), {agent});
    const auto& record = records.front();
    if (record.url.empty()) {
        throw util::OperationError("query: " + record.instance + " has no URL (its config has no port)");
    }

    const nlohmann::json request = {{"query", options.message}, {"session_id", options.session}};
    const auto reply = post_json(record.url + "/query", request.dump(),
                                 duration_flag("--timeout", options.timeout, k_default_query_timeout));
    if (reply.status < 200 || reply.status > 299) {
        std::string body = reply.body.size() > 500 ? reply.body.substr(0, 500) + "..." : reply.body;
        while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
        throw util::OperationError("query: " + record.instance + " answered HTTP " + std::to_string(reply.status) +
                                   (body.empty() ? "" : ": " + body));
    }
    if (options.raw) {
        fmt::print("{}", reply.body);
        if (!reply.body.empty() && reply.body.back() != '\n') fmt::print("\n");
        return 0;
    }
    const auto answer = nlohmann::ordered_json::parse(reply.body, nullptr, false);
    if (format != OutputFormat::table) {
        if (answer.is_discarded()) throw util::OperationError("query: the answer is not JSON (use --raw to see it)");
        const std::string json = answer.dump(2) + "\n";
        fmt::print("{}", format == OutputFormat::json ? json : json_to_yaml(json));
        return 0;
    }
    // The original prints the "response" field; an answer without one is shown whole.
    if (answer.is_object() && answer.contains("response")) {
        const auto& response = answer["response"];
        fmt::print("{}\n", response.is_string() ? response.get<std::string>() : response.dump());
    } else {
        fmt::print("{}", reply.body);
        if (!reply.body.empty() && reply.body.back() != '\n') fmt::print("\n");
    }
    return 0;
}

}  // namespace

Verb setup_query(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<QueryOptions>();
    auto* command = app.add_subcommand("query", "Send a query to a job's entry point (or an agent) and print the response");
    command->add_option("job", options->job, "The job")->type_name("JOB")->required();
    command->add_option("message", options->message, "The query text")->type_name("MESSAGE")->required();
    command->add_option("--agent", options->agent, "Ask this agent instead of the entry point")->type_name("AGENT");
    command->add_option("--session", options->session, "The session_id sent with the query (default: \"default\")")
        ->type_name("ID");
    command->add_option("--timeout", options->timeout, "Give up after this long (default: 60s)")->type_name("DURATION");
    command->add_flag("--raw", options->raw, "Print the answer's body as received");
    command->footer("Exit status: 0 answered (2xx), 1 no answer or a non-2xx one, 4 no such job or agent.");
    return {command, [options, &globals] { return run_query(*options, globals); }};
}

}  // namespace agentctl::cli
