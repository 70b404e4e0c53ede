// camrelay-bench protocol: the WebSocket opening handshake.
#include "handshake.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

#include "camrelay/base64.hpp"

namespace camrelay::bench::ws {

std::string make_key(std::span<const std::uint8_t, 16> nonce) {
    return base64::encode(nonce, base64::Alphabet::standard);
}

std::string accept_for_key(std::string_view key) {
    std::string input(key);
    input += kAcceptGuid;
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha1(), nullptr) != 1) {
        throw std::runtime_error("OpenSSL SHA-1 failed");
    }
    return base64::encode(digest.data(), length, base64::Alphabet::standard);
}

bool is_valid_key(std::string_view key) {
    return key.size() == 24 && key.substr(22) == "==" && std::all_of(key.begin(), key.begin() + 22, [](char c) {
               return base64::in_alphabet(c, base64::Alphabet::standard);
           });
}

std::string build_upgrade_request(std::string_view target, std::string_view host, std::string_view key) {
    std::string r;
    r.reserve(256);
    r.append("GET ").append(target).append(" HTTP/1.1\r\n");
    r.append("Host: ").append(host).append("\r\n");
    r.append("Upgrade: websocket\r\n");
    r.append("Connection: Upgrade\r\n");
    r.append("Sec-WebSocket-Key: ").append(key).append("\r\n");
    r.append("Sec-WebSocket-Version: 13\r\n");
    r.append("User-Agent: camrelay-bench\r\n\r\n");
    return r;
}

RequestVerdict judge_request(const http::Head& request) {
    RequestVerdict v;
    if (!request.has_token("Upgrade", "websocket")) {
        v.kind = RequestVerdict::Kind::plain_http;
        return v;
    }
    auto refuse = [&v](int status, std::string reason) {
        v.kind = RequestVerdict::Kind::refuse;
        v.status = status;
        v.reason = std::move(reason);
        return v;
    };
    if (request.method != "GET") return refuse(405, "WebSocket upgrade needs GET");
    if (request.version != "HTTP/1.1") return refuse(400, "WebSocket upgrade needs HTTP/1.1");
    if (!request.find("Host")) return refuse(400, "missing Host header");
    if (!request.has_token("Connection", "upgrade")) return refuse(400, "Connection header lacks \"upgrade\"");
    auto version = request.find("Sec-WebSocket-Version");
    if (!version || *version != "13") return refuse(426, "unsupported Sec-WebSocket-Version (13 needed)");
    auto key = request.find("Sec-WebSocket-Key");
    if (!key || !is_valid_key(*key)) return refuse(400, "missing or malformed Sec-WebSocket-Key");
    v.kind = RequestVerdict::Kind::upgrade;
    v.status = 101;
    v.accept = accept_for_key(*key);
    return v;
}

std::string upgrade_response(std::string_view accept) {
    std::string r;
    r.append("HTTP/1.1 101 Switching Protocols\r\n");
    r.append("Upgrade: websocket\r\n");
    r.append("Connection: Upgrade\r\n");
    r.append("Sec-WebSocket-Accept: ").append(accept).append("\r\n\r\n");
    return r;
}

std::string simple_response(int status, std::string_view reason, std::string_view content_type, std::string_view body,
                            std::string_view extra_headers, bool head_only) {
    std::string r;
    r.append("HTTP/1.1 ").append(std::to_string(status)).append(" ").append(reason).append("\r\n");
    r.append("Content-Type: ").append(content_type).append("\r\n");
    r.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    r.append("Connection: close\r\n");
    r.append(extra_headers);
    r.append("\r\n");
    if (!head_only) r.append(body);
    return r;
}

std::optional<std::string> check_upgrade_response(const http::Head& response, std::string_view key) {
    if (response.status != 101) return "expected HTTP status 101, got " + std::to_string(response.status);
    if (!response.has_token("Upgrade", "websocket")) return std::string("101 response without \"Upgrade: websocket\"");
    if (!response.has_token("Connection", "upgrade"))
        return std::string("101 response without \"Connection: Upgrade\"");
    auto accept = response.find("Sec-WebSocket-Accept");
    if (!accept) return std::string("101 response without Sec-WebSocket-Accept");
    if (*accept != accept_for_key(key)) return "wrong Sec-WebSocket-Accept \"" + std::string(*accept) + "\"";
    if (auto ext = response.find("Sec-WebSocket-Extensions")) {
        return "server chose extension \"" + std::string(*ext) + "\" that was not offered";
    }
    if (auto proto = response.find("Sec-WebSocket-Protocol")) {
        return "server chose subprotocol \"" + std::string(*proto) + "\" that was not offered";
    }
    return std::nullopt;
}

}  // namespace camrelay::bench::ws
