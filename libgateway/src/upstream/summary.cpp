// upstream::summarize_response: usage and model of an answer relayed unchanged.
//
// First a skim of the root object: strings are skipped with memchr and nested values by counting
// brackets, so the answer's text (most of its bytes) costs a fraction of tokenising it; only the
// values of `model`, `usage` and (Chat) `error` are parsed, with Boost.JSON. The parts not read
// are checked for their structure only: the client gets the bytes as they came, and its own
// parser judges them. Whatever the skim does not follow (a malformed answer, an escaped root key)
// goes to one pass of Boost.JSON's event parser over the whole answer, which builds only the
// root's `usage` and `error` objects and gives the precise error. The usage readers are the full
// decoders' own, run on the same subtree a full parse would build.

#include "gateway/upstream/codec.hpp"

#include "formats/anthropic_messages/common.hpp"
#include "formats/json_skim.hpp"
#include "formats/openai_chat/common.hpp"
#include "formats/openai_responses/common.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value_stack.hpp>

#include <boost/json/parse.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gateway::upstream {

namespace json = boost::json;

namespace {

// Events of the whole answer in, the root's `model` string and its `usage` and `error` objects
// out. `depth` counts the containers open; the root object is depth 1, so its members' values
// are read at depth 1 and a member's own container opens depth 2.
class summary_handler {
  public:
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

    // The kept values share the arena, so taking one off the stack moves it instead of copying.
    summary_handler(json::storage_ptr storage, bool want_error)
        : usage(storage),
          error(storage),
          storage_(storage),
          stack_(std::move(storage)),
          want_error_(want_error) {}

    bool root_is_object = false;
    std::string model;
    bool model_not_string = false;
    bool usage_not_object = false;
    json::value usage;  // null when absent or null
    json::value error;  // null unless the root has an `error` object (and it was asked for)

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }

    bool on_object_begin(json::error_code&) {
        if (depth_ == 0) {
            root_is_object = true;
        } else if (capture_from_ == 0 && depth_ == 1) {
            if (member_ == member::usage || member_ == member::error) {
                capture_from_ = 2;
                stack_.reset(storage_);
            } else {
                root_container();
            }
        }
        ++depth_;
        return true;
    }
    bool on_object_end(std::size_t n, json::error_code&) {
        if (capture_from_ != 0) {
            stack_.push_object(n);
            if (depth_ == capture_from_) {
                (member_ == member::usage ? usage : error) = stack_.release();
                capture_from_ = 0;
            }
        }
        --depth_;
        return true;
    }
    bool on_array_begin(json::error_code&) {
        if (capture_from_ == 0 && depth_ == 1) root_container();
        ++depth_;
        return true;
    }
    bool on_array_end(std::size_t n, json::error_code&) {
        if (capture_from_ != 0) stack_.push_array(n);
        --depth_;
        return true;
    }

    bool on_key_part(std::string_view s, std::size_t, json::error_code&) {
        if (capture_from_ != 0) {
            stack_.push_chars(s);
        } else if (depth_ == 1) {
            key_.append(s);
        }
        return true;
    }
    bool on_key(std::string_view s, std::size_t, json::error_code&) {
        if (capture_from_ != 0) {
            stack_.push_key(s);
        } else if (depth_ == 1) {
            key_.append(s);
            start_member();
            key_.clear();
        }
        return true;
    }

    bool on_string_part(std::string_view s, std::size_t, json::error_code&) {
        if (capture_from_ != 0) {
            stack_.push_chars(s);
        } else if (depth_ == 1 && member_ == member::model) {
            model.append(s);
        }
        return true;
    }
    bool on_string(std::string_view s, std::size_t, json::error_code&) {
        if (capture_from_ != 0) {
            stack_.push_string(s);
        } else if (depth_ == 1) {
            if (member_ == member::model) {
                model.append(s);
            } else if (member_ == member::usage) {
                usage_not_object = true;
            }
        }
        return true;
    }

    bool on_number_part(std::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t i, std::string_view, json::error_code&) {
        if (capture_from_ != 0) {
            stack_.push_int64(i);
        } else {
            root_scalar();
        }
        return true;
    }
    bool on_uint64(std::uint64_t u, std::string_view, json::error_code&) {
        if (capture_from_ != 0) {
            stack_.push_uint64(u);
        } else {
            root_scalar();
        }
        return true;
    }
    bool on_double(double d, std::string_view, json::error_code&) {
        if (capture_from_ != 0) {
            stack_.push_double(d);
        } else {
            root_scalar();
        }
        return true;
    }
    bool on_bool(bool b, json::error_code&) {
        if (capture_from_ != 0) {
            stack_.push_bool(b);
        } else {
            root_scalar();
        }
        return true;
    }
    bool on_null(json::error_code&) {
        if (capture_from_ != 0) stack_.push_null();
        return true;  // a null model or usage is an absent one
    }

    bool on_comment_part(std::string_view, json::error_code&) { return true; }
    bool on_comment(std::string_view, json::error_code&) { return true; }

  private:
    enum class member { other, model, usage, error };

    // A root member begins: a repeated one replaces what the earlier one gave, as in a tree.
    void start_member() {
        member_ = member::other;
        if (key_ == "model") {
            member_ = member::model;
            model.clear();
            model_not_string = false;
        } else if (key_ == "usage") {
            member_ = member::usage;
            usage = nullptr;
            usage_not_object = false;
        } else if (key_ == "error" && want_error_) {
            member_ = member::error;
            error = nullptr;
        }
    }
    // A number or boolean as the value of a root member.
    void root_scalar() {
        if (depth_ != 1) return;
        if (member_ == member::model) model_not_string = true;
        if (member_ == member::usage) usage_not_object = true;
    }
    // An array, or an object the summary does not keep, as the value of a root member.
    void root_container() {
        if (member_ == member::model) model_not_string = true;
        if (member_ == member::usage) usage_not_object = true;
    }

    json::storage_ptr storage_;
    json::value_stack stack_;
    bool want_error_;
    int depth_ = 0;
    int capture_from_ = 0;  // depth of the object being built; 0 while none is
    member member_ = member::other;
    std::string key_;  // of the root member being read, across key parts
};

// --- the skim ------------------------------------------------------------------------------

// The raw text of the root members the summary reads (the last of each name), or nothing when
// the answer is not a JSON object the skim can follow.
struct root_members {
    std::optional<std::string_view> model;
    std::optional<std::string_view> usage;
    std::optional<std::string_view> error;
};

std::optional<root_members> skim_root(std::string_view body) {
    root_members found;
    const bool followed = formats::skim_object(body, [&](const formats::skimmed_member& m) {
        if (m.key == "model") {
            found.model = m.value;
        } else if (m.key == "usage") {
            found.usage = m.value;
        } else if (m.key == "error") {
            found.error = m.value;
        }
    });
    if (!followed) return std::nullopt;
    return found;
}

// What both readings give: the model, the usage and error objects (null when absent or null),
// and the type errors of the first two.
struct root_read {
    std::string model;
    bool model_not_string = false;
    bool usage_not_object = false;
    json::value usage;
    json::value error;
};

// One of the skimmed values, parsed. False when it is not valid JSON after all.
bool parse_value(std::string_view text, json::storage_ptr storage, json::value& out) {
    json::error_code ec;
    out = json::parse(text, ec, std::move(storage));
    return !ec;
}

// The skim, then the values it found; false when the full parse must decide.
bool read_skimmed(std::string_view body, bool want_error, const json::storage_ptr& storage,
                  root_read& read) {
    const auto members = skim_root(body);
    if (!members) return false;
    if (members->model) {
        const std::string_view text = *members->model;
        if (text.front() == '"' && text.find('\\') == std::string_view::npos) {
            read.model.assign(text.substr(1, text.size() - 2));
        } else if (text != "null") {
            json::value model;
            if (!parse_value(text, storage, model)) return false;
            if (const auto* name = model.if_string()) {
                read.model.assign(name->data(), name->size());
            } else {
                read.model_not_string = true;
            }
        }
    }
    if (members->usage && *members->usage != "null") {
        if (!parse_value(*members->usage, storage, read.usage)) return false;
        read.usage_not_object = !read.usage.is_object();
    }
    if (want_error && members->error && members->error->front() == '{') {
        if (!parse_value(*members->error, storage, read.error)) return false;
    }
    return true;
}

// The whole answer through the event parser, for the precise error or what the skim declined.
bool read_parsed(std::string_view body, bool want_error, const json::storage_ptr& storage,
                 root_read& read, conversion_report& report) {
    json::basic_parser<summary_handler> parser(json::parse_options{}, storage, want_error);
    json::error_code ec;
    const std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
    if (!ec && used < body.size()) ec = json::error::extra_data;
    // The messages of formats::parse_upstream_object, which the full decoders use.
    if (ec) {
        report.fail("", "the upstream's answer is not valid JSON: " + ec.message());
        return false;
    }
    summary_handler& handler = parser.handler();
    if (!handler.root_is_object) {
        report.fail("", "the upstream's answer is not a JSON object");
        return false;
    }
    read.model = std::move(handler.model);
    read.model_not_string = handler.model_not_string;
    read.usage_not_object = handler.usage_not_object;
    read.usage = std::move(handler.usage);
    read.error = std::move(handler.error);
    return true;
}

}  // namespace

result<response_summary> summarize_response(upstream_format format, std::string_view body,
                                            conversion_report& report) {
    const bool summarised = format == upstream_format::openai_chat ||
                            format == upstream_format::openai_responses ||
                            format == upstream_format::anthropic_messages;
    if (!summarised) {
        auto decoded = decode_response(format, body, nullptr, report);
        if (!decoded) return decoded.error();
        return response_summary{decoded->usage, std::move(decoded->model)};
    }
    // The kept objects live in this arena, on the stack while they fit, and are read before it
    // goes.
    alignas(std::max_align_t) unsigned char scratch[4096];
    json::monotonic_resource arena(scratch, sizeof scratch);
    const json::storage_ptr storage(&arena);
    const bool want_error = format == upstream_format::openai_chat;
    root_read read;
    if (!read_skimmed(body, want_error, storage, read)) {
        read = root_read{};
        if (!read_parsed(body, want_error, storage, read, report)) {
            return errc::bad_upstream_response;
        }
    }
    if (read.model_not_string) {
        report.fail("model", "expected a string");
        return errc::bad_upstream_response;
    }
    if (read.usage_not_object) {
        report.fail("usage", "malformed usage object");
        return errc::bad_upstream_response;
    }
    if (read.error.is_object()) {
        std::string what = "an error body in a successful answer: ";
        if (const auto* m = read.error.get_object().if_contains("message");
            m != nullptr && m->is_string()) {
            what += m->get_string();
        }
        report.fail("error", what);
        return errc::bad_upstream_response;
    }
    response_summary summary;
    summary.model = std::move(read.model);
    bool usage_ok = true;
    if (const auto* usage = read.usage.if_object()) {
        switch (format) {
            case upstream_format::openai_chat:
                usage_ok = formats::openai_chat::detail::parse_usage(*usage, summary.usage);
                break;
            case upstream_format::openai_responses:
                usage_ok = formats::openai_responses::detail::parse_usage(*usage, summary.usage);
                break;
            default:
                formats::anthropic_messages::read_usage(*usage, summary.usage);
                break;
        }
    }
    if (!usage_ok) {
        report.fail("usage", "malformed usage object");
        return errc::bad_upstream_response;
    }
    return summary;
}

}  // namespace gateway::upstream
