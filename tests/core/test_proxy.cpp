// The camera's HTTP proxy: its URL, the CONNECT request, the proxy's answer
// read byte by byte, the refusal messages, and that no message ever shows
// the proxy password.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "camrelay/proxy.hpp"

using namespace camrelay;

namespace {

constexpr std::string_view kPassword = "Pa55w0rd";

proxy::Url good(std::string_view text) {
    auto parsed = proxy::parse_url(text);
    if (auto* error = std::get_if<std::string>(&parsed)) ADD_FAILURE() << text << ": " << *error;
    return std::holds_alternative<proxy::Url>(parsed) ? std::get<proxy::Url>(parsed) : proxy::Url{};
}

std::string refused(std::string_view text) {
    auto parsed = proxy::parse_url(text);
    if (std::holds_alternative<proxy::Url>(parsed)) {
        ADD_FAILURE() << text << " was accepted";
        return "";
    }
    return std::get<std::string>(parsed);
}

// Feeds `bytes` in pieces cut at `cuts` (increasing offsets) and returns how
// many bytes the reader took in all.
std::size_t feed_in_pieces(proxy::AnswerReader& reader, std::string_view bytes, const std::vector<std::size_t>& cuts) {
    std::size_t taken = 0;
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
        taken += reader.feed(bytes.substr(from, cut - from));
        from = cut;
    }
    return taken + reader.feed(bytes.substr(from));
}

struct Answer {
    std::size_t taken = 0;
    proxy::AnswerReader reader;
};

Answer read_answer(std::string_view bytes) {
    Answer a;
    a.taken = a.reader.feed(bytes);
    return a;
}

}  // namespace

TEST(ProxyUrl, HostAndPort) {
    proxy::Url u = good("http://proxy.corp.example:3128");
    EXPECT_EQ(u.host, "proxy.corp.example");
    EXPECT_EQ(u.port, 3128);
    EXPECT_FALSE(u.has_credentials());
    EXPECT_EQ(u.redacted(), "proxy.corp.example:3128");

    EXPECT_EQ(good("http://proxy").port, proxy::kDefaultPort);
    EXPECT_EQ(proxy::kDefaultPort, 80);
    EXPECT_EQ(good("http://proxy:").port, 80);  // an empty port is the default (RFC 3986)
    EXPECT_EQ(good("http://proxy:8080/").port, 8080);
    EXPECT_EQ(good("http://proxy:08080").port, 8080);
    EXPECT_EQ(good("HTTP://Proxy:1").host, "Proxy");
    EXPECT_EQ(good("http://10.0.0.1:3128").host, "10.0.0.1");
    EXPECT_EQ(good("http://proxy_1.corp.:3128").host, "proxy_1.corp.");
}

TEST(ProxyUrl, BracketedIpv6) {
    proxy::Url u = good("http://[2001:db8::1]:3128");
    EXPECT_EQ(u.host, "2001:db8::1");
    EXPECT_EQ(u.port, 3128);
    EXPECT_EQ(u.redacted(), "[2001:db8::1]:3128");
    EXPECT_EQ(good("http://[::1]").port, 80);
    EXPECT_EQ(good("http://u:p@[::ffff:10.0.0.1]:8080/").host, "::ffff:10.0.0.1");
}

TEST(ProxyUrl, Credentials) {
    proxy::Url u = good("http://alice:Pa55w0rd@proxy:3128");
    EXPECT_EQ(u.user, "alice");
    EXPECT_EQ(u.password, "Pa55w0rd");
    EXPECT_TRUE(u.has_credentials());
    EXPECT_EQ(u.redacted(), "proxy:3128");

    // percent-encoding, a raw '@' and ':' in the password (the last '@' ends it)
    u = good("http://d%C3%A9j%C3%A0%40corp:p%20w%3A%25@proxy:3128");
    EXPECT_EQ(u.user, "d\xc3\xa9j\xc3\xa0@corp");
    EXPECT_EQ(u.password, "p w:%");
    u = good("http://bob:a@b:c@proxy:3128");
    EXPECT_EQ(u.user, "bob");
    EXPECT_EQ(u.password, "a@b:c");
    EXPECT_EQ(u.host, "proxy");
    u = good("http://bob:a+b@proxy");  // '+' is no space outside a query
    EXPECT_EQ(u.password, "a+b");

    u = good("http://bob@proxy:3128");
    EXPECT_EQ(u.user, "bob");
    EXPECT_EQ(u.password, "");
    EXPECT_TRUE(u.has_credentials());
    EXPECT_EQ(good("http://bob:@proxy").password, "");
}

TEST(ProxyUrl, RefusalsSayWhy) {
    const std::vector<std::pair<std::string_view, std::string_view>> cases = {
        {"", "empty"},
        {"proxy:3128", "http://[USER[:PASSWORD]@]HOST[:PORT]"},
        {"https://proxy:3128", "https:// proxies (TLS to the proxy) are not supported"},
        {"HTTPS://proxy:3128", "https:// proxies"},
        {"socks5://proxy:1080", "SOCKS proxies are not supported"},
        {"socks5h://proxy:1080", "SOCKS proxies are not supported"},
        {"socks4a://proxy:1080", "SOCKS proxies are not supported"},
        {"ftp://proxy:21", "not http://"},
        {"http://proxy :3128", "blanks and control characters"},
        {" http://proxy:3128", "blanks and control characters"},
        {"http://proxy:3128\n", "blanks and control characters"},
        {"http://proxy:3128\r", "blanks and control characters"},
        {"http://pro\txy:3128", "blanks and control characters"},
        {"http://proxy:3128\x7f", "blanks and control characters"},
        {"http://", "no proxy host"},
        {"http://:3128", "no proxy host"},
        {"http://alice:pw@", "no proxy host"},
        {"http://proxy:3128/path", "a path, query or fragment"},
        {"http://proxy:3128?x=1", "a path, query or fragment"},
        {"http://proxy:3128#top", "a path, query or fragment"},
        {"http://proxy:0", "port is not a number from 1 to 65535"},
        {"http://proxy:65536", "port is not a number from 1 to 65535"},
        {"http://proxy:123456", "port is not a number from 1 to 65535"},
        {"http://proxy:31x8", "port is not a number from 1 to 65535"},
        {"http://proxy:-1", "port is not a number from 1 to 65535"},
        {"http://2001:db8::1:3128", "an IPv6 proxy address goes in brackets"},
        {"http://[2001:db8::1:3128", "never closes it"},
        {"http://[proxy]:3128", "is not an IPv6 address"},
        {"http://[10.0.0.1]:3128", "is not an IPv6 address"},
        {"http://[::1]3128", "text after the proxy's [IPv6 address]"},
        {"http://-proxy:3128", "host is not a host name or address"},
        {"http://pro..xy:3128", "host is not a host name or address"},
        {"http://10.0.0:3128", "host is not a host name or address"},
        {"http://300.0.0.1:3128", "host is not a host name or address"},
        {"http://pr%6fxy:3128", "host is not a host name or address"},
        {"http://pr\xc3\xb6xy:3128", "host is not a host name or address"},
        {"http://alice:p%zz@proxy", "bad percent-encoding in the proxy user or password"},
        {"http://alice:p%4@proxy", "bad percent-encoding"},
        {"http://alice:p%00@proxy", "bad percent-encoding"},
        {"http://al%3Aice:pw@proxy", "may not hold ':'"},
        {"http://alice:p%0Aw@proxy", "may not hold control characters"},
        {"http://al%7Fice@proxy", "may not hold control characters"},
        {"http://:pw@proxy", "no proxy user before the password"},
        {"http://@proxy", "no proxy user before the password"},
    };
    for (const auto& [url, reason] : cases) {
        const std::string error = refused(url);
        EXPECT_NE(error.find(reason), std::string::npos) << url << " -> " << error;
    }
}

TEST(ProxyUrl, NoMessageShowsThePassword) {
    // Every way a URL holding the password can be refused: none of the
    // reasons quotes it, nor the user.
    const std::vector<std::string> urls = {
        "https://alice:Pa55w0rd@proxy:3128",
        "socks5://alice:Pa55w0rd@proxy:1080",
        "Pa55w0rd",
        "alice:Pa55w0rd@proxy:3128",
        "http://alice:Pa55w0rd",       // no '@': it looks like HOST:PORT
        "http://Pa55w0rd:3128/x",      // a host that is refused later
        "http://alice:Pa55w0rd@",      // no host
        "http://alice:Pa55w0rd@-bad",  // a bad host
        "http://alice:Pa55w0rd@proxy:0",
        "http://alice:Pa55w0rd@proxy/path",
        "http://alice:Pa55w0rd @proxy",
        "http://alice:Pa55w0rd%zz@proxy",
        "http://alice:Pa55w0rd%0A@proxy",
        "http://:Pa55w0rd@proxy",
        "http://proxy:Pa55w0rd",
        "http://[Pa55w0rd]:3128",
        "http://[::1]Pa55w0rd",
        "http://alice:Pa55w0rd@[::1",
        "http://a:b:Pa55w0rd:3128",
    };
    for (const std::string& url : urls) {
        const std::string error = refused(url);
        EXPECT_EQ(error.find(kPassword), std::string::npos) << url << " -> " << error;
        EXPECT_EQ(error.find("alice"), std::string::npos) << url << " -> " << error;
        EXPECT_FALSE(error.empty()) << url;
    }
    // The redacted form and every refusal of a proxy with credentials.
    const proxy::Url u = good("http://alice:Pa55w0rd@proxy:3128");
    EXPECT_EQ(u.redacted().find(kPassword), std::string::npos);
    for (int code = 100; code <= 599; ++code) {
        const std::string text = proxy::refusal({code, "Denied"}, true);
        EXPECT_EQ(text.find(kPassword), std::string::npos) << text;
        EXPECT_EQ(text.find("alice"), std::string::npos) << text;
    }
}

TEST(ProxyHost, ValidHosts) {
    for (std::string_view h : {"relay", "relay.example.com", "relay.example.com.", "r-1.ex_ample.com", "10.0.0.1",
                               "::1", "2001:db8::1", "::ffff:10.0.0.1", "xn--bcher-kva.example", "1a.2b"}) {
        EXPECT_TRUE(proxy::valid_host(h)) << h;
    }
    const std::string label63(63, 'a');
    EXPECT_TRUE(proxy::valid_host(label63 + ".example"));
    EXPECT_FALSE(proxy::valid_host(label63 + "a.example"));
    std::string name253;
    while (name253.size() < 250) name253 += "abcdefghi.";
    name253 += "com";
    ASSERT_EQ(name253.size(), 253u);
    EXPECT_TRUE(proxy::valid_host(name253));
    EXPECT_FALSE(proxy::valid_host("a" + name253));
    for (std::string_view h :
         {"",        ".",          "-relay",   "relay-",      "relay-.example", "re..lay", ".relay",  "relay..",
          "10.0.0",  "10.0.0.256", "[::1]",    "::g",         "relay:22",       "re lay",  "re\rlay", "re\nlay",
          "relay/x", "relay@x",    "relay%41", "r\xc3\xa9lay"}) {
        EXPECT_FALSE(proxy::valid_host(h)) << h;
    }
}

TEST(ProxyHost, HostPort) {
    EXPECT_EQ(proxy::host_port("relay.example", 443), "relay.example:443");
    EXPECT_EQ(proxy::host_port("10.0.0.1", 22), "10.0.0.1:22");
    EXPECT_EQ(proxy::host_port("2001:db8::1", 443), "[2001:db8::1]:443");
}

TEST(ProxyConnect, RequestWithoutCredentials) {
    EXPECT_EQ(proxy::connect_request(good("http://proxy:3128"), "relay.example", 443),
              "CONNECT relay.example:443 HTTP/1.1\r\n"
              "Host: relay.example:443\r\n"
              "User-Agent: camrelay-connect\r\n"
              "\r\n");
    EXPECT_EQ(proxy::connect_request(good("http://proxy:3128"), "2001:db8::1", 22),
              "CONNECT [2001:db8::1]:22 HTTP/1.1\r\n"
              "Host: [2001:db8::1]:22\r\n"
              "User-Agent: camrelay-connect\r\n"
              "\r\n");
}

TEST(ProxyConnect, RequestWithBasicCredentials) {
    // RFC 7617's example.
    EXPECT_EQ(proxy::connect_request(good("http://Aladdin:open%20sesame@proxy:3128"), "relay.example", 443),
              "CONNECT relay.example:443 HTTP/1.1\r\n"
              "Host: relay.example:443\r\n"
              "User-Agent: camrelay-connect\r\n"
              "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"
              "\r\n");
    // A user without a password: "bob:".
    EXPECT_NE(
        proxy::connect_request(good("http://bob@proxy"), "relay", 22).find("Proxy-Authorization: Basic Ym9iOg==\r\n"),
        std::string::npos);
}

TEST(ProxyConnect, RequestRefusesWhatIsNoHost) {
    const proxy::Url p = good("http://proxy:3128");
    for (std::string_view h : {"", "relay\r\nX-Evil: 1", "relay example", "[::1]", "relay:22"}) {
        EXPECT_THROW(proxy::connect_request(p, h, 443), std::invalid_argument) << h;
    }
}

TEST(ProxyAnswer, TakesTheHeadAndNotAByteMore) {
    const std::string head = "HTTP/1.1 200 Connection established\r\nProxy-Agent: tinyproxy/1.11.1\r\n\r\n";
    const std::string relay = "SSH-2.0-OpenSSH_9.2p1\r\n";
    Answer a = read_answer(head + relay);
    EXPECT_TRUE(a.reader.complete());
    EXPECT_EQ(a.taken, head.size());
    EXPECT_EQ(a.reader.size(), head.size());
    EXPECT_EQ(a.reader.status().code, 200);
    EXPECT_EQ(a.reader.status().reason, "Connection established");
    EXPECT_TRUE(a.reader.status().success());
    // Once complete, nothing more is taken.
    EXPECT_EQ(a.reader.feed(relay), 0u);
}

TEST(ProxyAnswer, SameResultWhereverTheBytesAreCut) {
    const std::string head =
        "HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n";
    const std::string bytes = head + "<html>body</html>";
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
        proxy::AnswerReader reader;
        EXPECT_EQ(feed_in_pieces(reader, bytes, {cut}), head.size()) << cut;
        ASSERT_TRUE(reader.complete()) << cut;
        EXPECT_EQ(reader.status().code, 407);
        EXPECT_EQ(reader.status().reason, "Proxy Authentication Required");
        EXPECT_FALSE(reader.status().success());
    }
    // One byte at a time, the way camrelay-connect may read it.
    std::vector<std::size_t> every_byte;
    for (std::size_t i = 1; i < bytes.size(); ++i) every_byte.push_back(i);
    proxy::AnswerReader reader;
    EXPECT_EQ(feed_in_pieces(reader, bytes, every_byte), head.size());
    EXPECT_TRUE(reader.complete());
}

TEST(ProxyAnswer, LineEndsAndStatusLines) {
    Answer a = read_answer("HTTP/1.1 200\n\nrest");
    ASSERT_TRUE(a.reader.complete());
    EXPECT_EQ(a.taken, 14u);
    EXPECT_EQ(a.reader.status().code, 200);
    EXPECT_EQ(a.reader.status().reason, "");

    a = read_answer("HTTP/1.1 204 \r\n\r\n");
    ASSERT_TRUE(a.reader.complete());
    EXPECT_EQ(a.reader.status().code, 204);
    EXPECT_TRUE(a.reader.status().success());

    a = read_answer("HTTP/1.1 299 Fine\r\nX-A:\r\nX-B: \tb\r\n\r\n");
    ASSERT_TRUE(a.reader.complete());
    EXPECT_TRUE(a.reader.status().success());
    EXPECT_FALSE(read_answer("HTTP/1.1 300 Moved\r\n\r\n").reader.status().success());
    EXPECT_FALSE(read_answer("HTTP/1.1 199 Odd\r\n\r\n").reader.status().success());

    // Not complete yet: everything is taken, nothing decided.
    a = read_answer("HTTP/1.1 200 OK\r\nVia: x\r\n\r");
    EXPECT_FALSE(a.reader.complete());
    EXPECT_FALSE(a.reader.failed());
    EXPECT_EQ(a.taken, std::string_view("HTTP/1.1 200 OK\r\nVia: x\r\n\r").size());
}

TEST(ProxyAnswer, ReasonPhraseIsPrintableAndShort) {
    Answer a = read_answer("HTTP/1.1 403 Forbidden\xc3\xa9\tby policy  \r\n\r\n");
    ASSERT_TRUE(a.reader.complete());
    EXPECT_EQ(a.reader.status().reason, "Forbidden?? by policy");
    a = read_answer("HTTP/1.1 403 " + std::string(500, 'x') + "\r\n\r\n");
    ASSERT_TRUE(a.reader.complete());
    EXPECT_EQ(a.reader.status().reason, std::string(120, 'x') + "...");
}

TEST(ProxyAnswer, GarbageIsRefusedAtOnce) {
    // An SSH server where the proxy should be: refused at the first byte.
    Answer a = read_answer("SSH-2.0-OpenSSH_9.2p1\r\n");
    EXPECT_TRUE(a.reader.failed());
    EXPECT_EQ(a.taken, 1u);
    EXPECT_NE(a.reader.error().find("is not HTTP (is it an HTTP proxy?)"), std::string::npos);
    EXPECT_TRUE(read_answer("\x16\x03\x01").reader.failed());  // a TLS record
    EXPECT_TRUE(read_answer("\r\n").reader.failed());
    EXPECT_TRUE(read_answer("http/1.1 200 OK\r\n\r\n").reader.failed());

    const std::vector<std::pair<std::string, std::string_view>> cases = {
        {"HTTP/1.1\r\n\r\n", "does not start with an HTTP status line"},
        {"HTTP/1.1 20\r\n\r\n", "does not start with an HTTP status line"},
        {"HTTP/1.1 2000 OK\r\n\r\n", "does not start with an HTTP status line"},
        {"HTTP/1.1 20x OK\r\n\r\n", "does not start with an HTTP status line"},
        {"HTTP/1.1 600 Odd\r\n\r\n", "does not start with an HTTP status line"},
        {"HTTP/1.1 099 Odd\r\n\r\n", "does not start with an HTTP status line"},
        {"HTTP/1.1  200 OK\r\n\r\n", "does not start with an HTTP status line"},
        {"HTTP/x.1 200 OK\r\n\r\n", "does not start with an HTTP status line"},
        {"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "malformed header line"},
        {"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", "malformed header line"},
        {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "malformed header line"},
        {"HTTP/1.1 200 OK\r\n folded\r\n\r\n", "malformed header line"},
        {"HTTP/1.1 200 OK\r\nX: a\x01z\r\n\r\n", "control character"},
        {std::string("HTTP/1.1 200 O\0K\r\n\r\n", 20), "control character"},
    };
    for (const auto& [bytes, reason] : cases) {
        a = read_answer(bytes);
        EXPECT_TRUE(a.reader.failed()) << bytes;
        EXPECT_NE(a.reader.error().find(reason), std::string::npos) << bytes << " -> " << a.reader.error();
        EXPECT_EQ(a.reader.feed("more"), 0u);
    }
}

TEST(ProxyAnswer, HeadSizeIsBounded) {
    std::string big = "HTTP/1.1 200 OK\r\n";
    while (big.size() < proxy::kMaxAnswerHead + 100) big += "X-Filler: 0123456789012345678901234567890123456789\r\n";
    Answer a = read_answer(big);
    EXPECT_TRUE(a.reader.failed());
    EXPECT_EQ(a.taken, proxy::kMaxAnswerHead);
    EXPECT_NE(a.reader.error().find("larger than 16384 bytes"), std::string::npos) << a.reader.error();

    // A head just within the limit is fine.
    std::string fits = "HTTP/1.1 200 OK\r\nX: ";
    fits += std::string(proxy::kMaxAnswerHead - fits.size() - 4, 'y');
    fits += "\r\n\r\n";
    ASSERT_EQ(fits.size(), proxy::kMaxAnswerHead);
    a = read_answer(fits);
    EXPECT_TRUE(a.reader.complete()) << a.reader.error();
}

TEST(ProxyRefusal, MessagesAndHints) {
    EXPECT_EQ(proxy::refusal({407, "Proxy Authentication Required"}, true),
              "proxy refused CONNECT: 407 Proxy Authentication Required (check the proxy user and password)");
    EXPECT_EQ(proxy::refusal({407, "Proxy Authentication Required"}, false),
              "proxy refused CONNECT: 407 Proxy Authentication Required (the proxy wants a user and password: "
              "http://USER:PASSWORD@HOST:PORT)");
    // tinyproxy answers wrong credentials with 401.
    EXPECT_EQ(proxy::refusal({401, "Unauthorized"}, true),
              "proxy refused CONNECT: 401 Unauthorized (check the proxy user and password)");
    EXPECT_EQ(proxy::refusal({403, "Access violation"}, false),
              "proxy refused CONNECT: 403 Access violation (the proxy may allow CONNECT only to some ports, such as "
              "443)");
    EXPECT_EQ(proxy::refusal({502, "Bad Gateway"}, true),
              "proxy refused CONNECT: 502 Bad Gateway (the proxy could not reach the relay)");
    EXPECT_EQ(proxy::refusal({500, "Unable to connect"}, true),
              "proxy refused CONNECT: 500 Unable to connect (the proxy failed, or could not reach the relay)");
    EXPECT_EQ(proxy::refusal({405, ""}, true), "proxy refused CONNECT: 405 (the proxy does not allow CONNECT)");
    EXPECT_EQ(proxy::refusal({418, "I'm a teapot"}, true), "proxy refused CONNECT: 418 I'm a teapot");
}
