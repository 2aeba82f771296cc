// Amazon Bedrock's runtime API, Converse and ConverseStream
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html) behind
// `https://bedrock-runtime.{region}.amazonaws.com`, the model id in the path.
//
// Authentication, by the shape of the channel key:
// - `ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]`: AWS Signature Version 4 (sigv4.hpp), signing name
//   `bedrock`, the channel's region, the signing time from `credentials::now`; a session token
//   (temporary STS credentials) goes in `X-Amz-Security-Token`.
// - A Bedrock API key (`ABSK…` long-term, `bedrock-api-key-…` short-term, or any key without a
//   colon): `Authorization: Bearer <key>`, as AWS documents for AWS_BEARER_TOKEN_BEDROCK
//   (https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html).
//
// `cross_region` (`us`, `eu`, `apac`, `global`, ...) turns a model id into the id of a
// cross-region inference profile (`us.anthropic.claude-…`,
// https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html) unless
// the id already names a profile or is an ARN.

#include "providers/bedrock/bedrock.hpp"

#include "http/url.hpp"
#include "providers/bedrock/sigv4.hpp"

#include <array>
#include <optional>

namespace gateway::providers::bedrock {

namespace {

using namespace gateway::provider;
using upstream::upstream_format;

/// The geography prefixes of inference profile ids.
constexpr std::array<std::string_view, 8> profile_prefixes{"us", "us-gov", "eu", "apac",
                                                           "jp", "au",     "ca", "global"};

/// `us-east-1`, `eu-central-2`, `ap-southeast-1`, `us-gov-west-1`: lowercase words joined by
/// '-', the first of two letters, the last a number.
bool valid_region(std::string_view region) {
    if (region.size() < 6 || region.size() > 32) return false;
    std::size_t parts = 0;
    std::string_view rest = region;
    std::string_view last;
    while (!rest.empty() || parts == 0) {
        const std::size_t dash = rest.find('-');
        const std::string_view part = rest.substr(0, dash);
        if (part.empty()) return false;
        const bool first = parts == 0;
        for (const char c : part) {
            const bool letter = c >= 'a' && c <= 'z';
            const bool digit = c >= '0' && c <= '9';
            if (!letter && !(digit && dash == std::string_view::npos)) return false;
        }
        if (first && part.size() != 2) return false;
        last = part;
        ++parts;
        if (dash == std::string_view::npos) break;
        rest = rest.substr(dash + 1);
        if (rest.empty()) return false;
    }
    return parts >= 3 && !last.empty() && last.front() >= '0' && last.front() <= '9';
}

bool valid_prefix(std::string_view prefix) {
    for (const std::string_view p : profile_prefixes) {
        if (p == prefix) return true;
    }
    return false;
}

/// Bedrock model ids, inference profile ids and ARNs: letters, digits and `-._:/`.
bool valid_model_id(std::string_view model) { return is_url_segment(model, 2048, "-._:/"); }

/// True when `model` already names an inference profile (`eu.anthropic.…`) or is an ARN.
bool has_profile(std::string_view model) {
    if (model.starts_with("arn:")) return true;
    const std::size_t dot = model.find('.');
    return dot != std::string_view::npos && valid_prefix(model.substr(0, dot));
}

bool is_api_key(std::string_view key) {
    return key.starts_with("ABSK") || key.starts_with("bedrock-api-key-") ||
           key.find(':') == std::string_view::npos;
}

/// Splits `ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]`; nullopt when a part is missing or empty.
std::optional<aws_credentials> parse_key(std::string_view key) {
    aws_credentials c;
    const std::size_t first = key.find(':');
    if (first == std::string_view::npos) return std::nullopt;
    c.access_key_id = key.substr(0, first);
    std::string_view rest = key.substr(first + 1);
    const std::size_t second = rest.find(':');
    c.secret_access_key = rest.substr(0, second);
    if (second != std::string_view::npos) {
        c.session_token = std::string(rest.substr(second + 1));
        if (c.session_token->empty()) return std::nullopt;
    }
    if (c.access_key_id.empty() || c.secret_access_key.empty()) return std::nullopt;
    return c;
}

class bedrock_adapter final : public adapter {
  public:
    std::string_view id() const noexcept override { return "bedrock"; }
    auth_kind auth() const noexcept override { return auth_kind::aws_sigv4; }

    std::string check(const channel_config& channel) const override {
        const boost::json::value* region = channel.settings.if_contains("region");
        if (region == nullptr || !region->is_string() || !valid_region(region->get_string())) {
            return "settings.region is required for type bedrock and must be an AWS region "
                   "name such as us-east-1";
        }
        if (const boost::json::value* p = channel.settings.if_contains("cross_region");
            p != nullptr && (!p->is_string() || !valid_prefix(p->get_string()))) {
            return "settings.cross_region must be one of us, us-gov, eu, apac, jp, au, ca, global";
        }
        const std::string_view wire = setting(channel.settings, "upstream_format");
        if (!wire.empty() && wire != "bedrock_converse") {
            return "settings.upstream_format must be bedrock_converse for type bedrock";
        }
        return unknown_settings(channel.settings, {"region", "cross_region"});
    }

    upstream_format format(const channel_config&, std::string_view) const override {
        return upstream_format::bedrock_converse;
    }

    result<prepared_request> prepare(const channel_config& channel, const request_target& target,
                                     upstream::http_request_parts parts, const credentials& creds,
                                     conversion_report& report) const override {
        if (!valid_model_id(target.model)) {
            report.fail("model",
                        "a Bedrock model id is letters, digits, '-', '.', '_', ':' and '/'");
            return errc::bad_request;
        }
        const std::string_view region = setting(channel.settings, "region");
        if (!valid_region(region)) {
            report.fail("", "the Bedrock channel has no valid settings.region");
            return errc::bad_request;
        }
        std::string model(target.model);
        if (const std::string_view prefix = setting(channel.settings, "cross_region");
            !prefix.empty() && !has_profile(model)) {
            model = std::string(prefix) + "." + model;
        }
        const std::string path =
            upstream::request_path(upstream_format::bedrock_converse, model, target.stream);
        prepared_request out;
        const std::string fallback =
            "https://bedrock-runtime." + std::string(region) + ".amazonaws.com";
        out.url = join_url(channel.base_url, fallback, path);
        out.headers = std::move(parts.headers);
        out.body = std::move(parts.body);

        if (creds.key.empty()) return out;  // unauthenticated (a local test server)
        if (is_api_key(creds.key)) {
            std::string bearer = "Bearer ";
            bearer += creds.key;
            out.headers.emplace_back("Authorization", std::move(bearer));
            return out;
        }
        auto aws = parse_key(creds.key);
        if (!aws) {
            report.fail("",
                        "the Bedrock channel key must be ACCESS_KEY_ID:SECRET[:SESSION_TOKEN] "
                        "or a Bedrock API key");
            return errc::bad_request;
        }
        auto url = http::detail::parse_upstream_url(out.url);
        if (!url) {
            report.fail("", "the Bedrock channel's base_url is not an http(s) URL");
            return errc::bad_request;
        }
        sigv4_request signing;
        signing.method = "POST";
        signing.path = url->target;
        signing.headers = out.headers;
        signing.headers.emplace_back("Host", url->host_header);
        signing.payload = out.body;
        sigv4_options options;
        options.region = region;
        options.service = "bedrock";
        auto signature = sign_v4(signing, *aws, options, creds.now);
        if (!signature) {
            report.fail("", "the request could not be signed for Bedrock (check the channel key)");
            return errc::bad_request;
        }
        for (auto& h : signature->headers) out.headers.push_back(std::move(h));
        return out;
    }
};

}  // namespace

std::unique_ptr<adapter> make_adapter() { return std::make_unique<bedrock_adapter>(); }

}  // namespace gateway::providers::bedrock
