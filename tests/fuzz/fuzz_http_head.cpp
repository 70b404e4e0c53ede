// Fuzz target: camrelay-bench's HTTP head parser
// (tools/camrelay-bench/protocol/http_head.hpp) and the WebSocket opening
// handshake built on it (handshake.hpp): what `camrelay-bench run` reads
// from a relay or a camera, and what `camrelay-bench serve` reads from
// viewers. The input is the bytes of a connection's start, read both as a
// request and as a response.
//
// Checks, aborting on any disagreement, for requests and responses, with
// the default size limit and a small one:
//   - the input fed at once and fed in pieces (sizes drawn from the input)
//     gives the same state, error, head and number of bytes used;
//   - a complete head used exactly the bytes up to its empty line; an
//     unfinished one used everything; a failed one says why;
//   - parse -> write -> parse: a complete head written out again with CRLF
//     line ends reads back the same;
//   - find() gives each field's first value and has_token() finds every
//     item of a field's list;
//   - the handshake, as a request: judge_request says upgrade only for a
//     GET over HTTP/1.1 with Host, Connection: upgrade, version 13 and a
//     valid key, with the accept value RFC 6455 gives for it, and the answer
//     it leads to (upgrade_response) passes the client's
//     check_upgrade_response for that key; refusals carry 400, 405 or 426
//     and a reason;
//   - as a response: check_upgrade_response accepts only a 101 with the
//     Upgrade and Connection tokens and the right accept value, and no
//     extension or subprotocol;
//   - the client's side: a key made from 16 bytes of the input is valid,
//     decodes back to them, and the request build_upgrade_request writes
//     with it is judged an upgrade.
#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "camrelay/base64.hpp"
#include "fuzz_check.hpp"
#include "protocol/handshake.hpp"
#include "protocol/http_head.hpp"

using namespace camrelay;
using namespace camrelay::bench;
using namespace camrelay::bench::http;

namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

bool same_head(const Head& a, const Head& b) {
    if (a.method != b.method || a.target != b.target || a.version != b.version || a.status != b.status ||
        a.reason != b.reason || a.headers.size() != b.headers.size())
        return false;
    for (std::size_t i = 0; i < a.headers.size(); ++i)
        if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) return false;
    return true;
}

std::string write_head(const Head& h, HeadKind kind) {
    char status[8];
    std::snprintf(status, sizeof status, "%03d", h.status);  // "HTTP/1.1 003" parses as 3
    std::string out = kind == HeadKind::request ? h.method + " " + h.target + " " + h.version
                                                : h.version + " " + status + " " + h.reason;
    out += "\r\n";
    for (const Header& f : h.headers) out += f.name + ": " + f.value + "\r\n";
    return out + "\r\n";
}

void check_fields(const Head& h) {
    for (const Header& f : h.headers) {
        const auto first = h.find(f.name);
        FUZZ_CHECK(first.has_value());
        for (const Header& g : h.headers) {
            if (iequals(g.name, f.name)) {
                FUZZ_CHECK(*first == g.value);
                break;
            }
        }
        std::string_view rest = f.value;
        while (true) {
            const std::size_t comma = rest.find(',');
            std::string_view item = rest.substr(0, comma);
            while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
            while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
            if (!item.empty()) FUZZ_CHECK(h.has_token(f.name, item));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
}

// The head of `text`, if it holds a complete one.
std::optional<Head> parse(std::string_view text, HeadKind kind) {
    HeadParser p(kind);
    p.feed(bytes(text));
    if (!p.complete()) return std::nullopt;
    return p.head();
}

// The RFC 6455 example key and the accept value section 1.3 gives for it.
constexpr std::string_view kRfcKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kRfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

void check_request(const Head& req) {
    const ws::RequestVerdict v = ws::judge_request(req);
    switch (v.kind) {
        case ws::RequestVerdict::Kind::plain_http: FUZZ_CHECK(!req.has_token("Upgrade", "websocket")); break;
        case ws::RequestVerdict::Kind::refuse:
            FUZZ_CHECK(v.status == 400 || v.status == 405 || v.status == 426);
            FUZZ_CHECK(!v.reason.empty());
            break;
        case ws::RequestVerdict::Kind::upgrade: {
            FUZZ_CHECK(v.status == 101 && req.method == "GET" && req.version == "HTTP/1.1");
            FUZZ_CHECK(req.find("Host") && req.has_token("Connection", "upgrade"));
            FUZZ_CHECK(req.find("Sec-WebSocket-Version") == "13");
            const auto key = req.find("Sec-WebSocket-Key");
            FUZZ_CHECK(key && ws::is_valid_key(*key));
            FUZZ_CHECK(v.accept == ws::accept_for_key(*key));
            if (*key == kRfcKey) FUZZ_CHECK(v.accept == kRfcAccept);
            const auto answer = parse(ws::upgrade_response(v.accept), HeadKind::response);
            FUZZ_CHECK(answer && !ws::check_upgrade_response(*answer, *key));
            break;
        }
    }
}

void check_response(const Head& resp) {
    const auto problem = ws::check_upgrade_response(resp, kRfcKey);
    if (problem) {
        FUZZ_CHECK(!problem->empty());
        return;
    }
    FUZZ_CHECK(resp.status == 101 && resp.has_token("Upgrade", "websocket") && resp.has_token("Connection", "upgrade"));
    FUZZ_CHECK(resp.find("Sec-WebSocket-Accept") == kRfcAccept);
    FUZZ_CHECK(!resp.find("Sec-WebSocket-Extensions") && !resp.find("Sec-WebSocket-Protocol"));
}

void check_client(const std::uint8_t* data, std::size_t size) {
    std::array<std::uint8_t, 16> nonce{};
    for (std::size_t i = 0; i < nonce.size() && i < size; ++i) nonce[i] = data[i];
    const std::string key = ws::make_key(nonce);
    FUZZ_CHECK(ws::is_valid_key(key));
    const auto back = base64::decode(key, base64::Alphabet::standard);
    FUZZ_CHECK(back && std::equal(back->begin(), back->end(), nonce.begin(), nonce.end()));
    const auto req = parse(ws::build_upgrade_request("/cam1/?k=v1.cam1", "127.0.0.1:8080", key), HeadKind::request);
    FUZZ_CHECK(req);
    const ws::RequestVerdict v = ws::judge_request(*req);
    FUZZ_CHECK(v.kind == ws::RequestVerdict::Kind::upgrade && v.accept == ws::accept_for_key(key));
}

void check_kind(std::string_view input, HeadKind kind, std::size_t limit, const std::uint8_t* data) {
    HeadParser whole(kind, limit);
    const std::size_t used = whole.feed(bytes(input));
    FUZZ_CHECK(used <= input.size());

    HeadParser pieces(kind, limit);
    fuzz::Chunks chunks(data, input.size());
    std::size_t at = 0;
    while (at < input.size() && !pieces.complete() && !pieces.failed()) {
        const std::size_t n = std::min(chunks.next(64), input.size() - at);
        const std::size_t took = pieces.feed(bytes(input.substr(at, n)));
        FUZZ_CHECK(took <= n);
        at += took;
        if (took < n) FUZZ_CHECK(pieces.complete() || pieces.failed());
    }
    FUZZ_CHECK(at == used);
    FUZZ_CHECK(pieces.complete() == whole.complete() && pieces.failed() == whole.failed());
    FUZZ_CHECK(pieces.error() == whole.error());
    FUZZ_CHECK(same_head(pieces.head(), whole.head()));

    if (whole.failed()) {
        FUZZ_CHECK(!whole.error().empty());
        return;
    }
    if (!whole.complete()) {
        FUZZ_CHECK(used == input.size());
        return;
    }
    const std::string_view head = input.substr(0, used);
    FUZZ_CHECK(head.size() >= 2 && head.back() == '\n');
    const std::string_view before = head.substr(0, head.size() - 1);
    FUZZ_CHECK(before.back() == '\n' ||
               (before.back() == '\r' && before.size() >= 2 && before[before.size() - 2] == '\n'));
    const Head& h = whole.head();
    if (kind == HeadKind::request) {
        FUZZ_CHECK(!h.method.empty() && !h.target.empty() && h.version.size() == 8);
    } else {
        FUZZ_CHECK(h.status >= 0 && h.status <= 999 && h.version.size() == 8);
    }
    check_fields(h);
    if (limit == HeadParser::kDefaultLimit) {
        if (kind == HeadKind::request) {
            check_request(h);
        } else {
            check_response(h);
        }
    }

    const std::string again = write_head(h, kind);
    HeadParser reread(kind, again.size() + 1);
    FUZZ_CHECK(reread.feed(bytes(again)) == again.size());
    FUZZ_CHECK(reread.complete() && same_head(reread.head(), h));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::as_text(data, size);
    for (HeadKind kind : {HeadKind::request, HeadKind::response}) {
        check_kind(input, kind, HeadParser::kDefaultLimit, data);
        check_kind(input, kind, 64, data);
    }
    check_client(data, size);
    return 0;
}
