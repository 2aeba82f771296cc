#pragma once
// A Beast body type that copies nothing (private to http/).
//
// The parser hands the reader a view of body bytes inside the connection's read buffer (chunked
// framing already removed); the reader stores that view and reports `need_buffer` to any further
// put, so a parser step yields at most one piece. The view stays valid until the next read on
// the connection: bytes go socket → read buffer → caller, with no second copy and no allocation.

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional/optional.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gateway::http::detail {

struct view_body {
    struct value_type {
        const char* data = nullptr;
        std::size_t size = 0;

        void clear() noexcept {
            data = nullptr;
            size = 0;
        }
        std::string_view view() const noexcept { return {data, size}; }
    };

    class reader {
      public:
        template <bool is_request, class Fields>
        reader(boost::beast::http::header<is_request, Fields>& /*header*/, value_type& body)
            : body_(body) {}

        void init(const boost::optional<std::uint64_t>& /*content_length*/,
                  boost::beast::error_code& ec) {
            ec = {};
        }

        template <class ConstBufferSequence>
        std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
            ec = {};
            if (body_.size != 0) {
                // The previous piece has not been handed out yet.
                ec = boost::beast::http::error::need_buffer;
                return 0;
            }
            // basic_parser always passes one contiguous buffer.
            auto it = boost::asio::buffer_sequence_begin(buffers);
            if (it == boost::asio::buffer_sequence_end(buffers)) return 0;
            boost::asio::const_buffer const b = *it;
            body_.data = static_cast<const char*>(b.data());
            body_.size = b.size();
            return b.size();
        }

        void finish(boost::beast::error_code& ec) { ec = {}; }

      private:
        value_type& body_;
    };
};

}  // namespace gateway::http::detail
