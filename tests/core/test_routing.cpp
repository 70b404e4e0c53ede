// Routing: camera selection, URL rewriting, k= extraction and refusals.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "camrelay/routing.hpp"
#include "test_util.hpp"

using namespace camrelay;

namespace {

struct RoutingTest : ::testing::Test {
    Registry reg = test::three_cameras();
    Registry reg_default = test::three_cameras("default cam1\n");
    RouteConfig cfg = [] {
        RouteConfig c;
        c.host_suffix = "relay.example.com";
        return c;
    }();

    Route route(std::string_view url, std::string_view host = "relay.example.com", bool with_default = false) {
        return route_request(cfg, with_default ? reg_default : reg, url, host);
    }
};

std::vector<std::string> values_of(std::string_view url, std::string_view name, std::string* out) {
    std::vector<std::string> values;
    *out = remove_query_param(url, name, &values);
    return values;
}

using V = std::vector<std::string>;

}  // namespace

TEST(PercentDecode, Basics) {
    const std::pair<const char*, const char*> good[] = {{"abc", "abc"}, {"", ""},           {"%41%6b%6B", "Akk"},
                                                        {"a+b", "a+b"}, {"%2Fx%2f", "/x/"}, {"%C3%A9", "\xc3\xa9"}};
    for (const auto& [text, decoded] : good) EXPECT_EQ(percent_decode(text), decoded) << text;
    for (const char* bad : {"%", "%4", "a%", "%zz", "%g0", "%0g", "%00", "a%00b", "%%41"})
        EXPECT_FALSE(percent_decode(bad).has_value()) << bad;
}

TEST(RemoveQueryParam, Positions) {
    std::string url;
    EXPECT_EQ(values_of("/x?k=1&a=2", "k", &url), V{"1"});
    EXPECT_EQ(url, "/x?a=2");  // first
    EXPECT_EQ(values_of("/x?a=1&k=2&b=3", "k", &url), V{"2"});
    EXPECT_EQ(url, "/x?a=1&b=3");  // middle
    EXPECT_EQ(values_of("/x?a=1&k=2", "k", &url), V{"2"});
    EXPECT_EQ(url, "/x?a=1");  // last
    EXPECT_EQ(values_of("/x?k=2", "k", &url), V{"2"});
    EXPECT_EQ(url, "/x");  // only: the '?' goes too
    EXPECT_EQ(values_of("/x?k=1&a=2&k=3", "k", &url), (V{"1", "3"}));
    EXPECT_EQ(url, "/x?a=2");  // twice
    EXPECT_EQ(values_of("/x?k=1&k=2", "k", &url), (V{"1", "2"}));
    EXPECT_EQ(url, "/x");
}

TEST(RemoveQueryParam, EncodingsAndEmptyValues) {
    std::string url;
    EXPECT_EQ(values_of("/x?%6B=1&a=2", "k", &url), V{"1"});
    EXPECT_EQ(url, "/x?a=2");
    EXPECT_EQ(values_of("/x?a=2&%6b=v1%2Eabc", "k", &url), V{"v1.abc"});
    EXPECT_EQ(url, "/x?a=2");
    EXPECT_EQ(values_of("/x?k=a%2Db%5F", "k", &url), V{"a-b_"});
    EXPECT_EQ(values_of("/x?a=1&k=&b=2", "k", &url), V{""});
    EXPECT_EQ(url, "/x?a=1&b=2");
    EXPECT_EQ(values_of("/x?a=1&k&b=2", "k", &url), V{""});
    EXPECT_EQ(url, "/x?a=1&b=2");
    EXPECT_EQ(values_of("/x?k", "k", &url), V{""});
    EXPECT_EQ(url, "/x");
    EXPECT_EQ(values_of("/x?k=a=b", "k", &url), V{"a=b"});  // only the first '=' splits
    // Undecodable values are handed back raw.
    EXPECT_EQ(values_of("/x?k=%zz", "k", &url), V{"%zz"});
}

TEST(RemoveQueryParam, KeepsEverythingElseByteForByte) {
    std::string url;
    EXPECT_EQ(values_of("/p/a%20th?a=%41&b=c+d&k=1&e&f=&&g=%zz", "k", &url), V{"1"});
    EXPECT_EQ(url, "/p/a%20th?a=%41&b=c+d&e&f=&&g=%zz");
    for (const char* same : {"/x", "/x?", "/x?a=1", "/x?kk=1", "/x?ak=1", "/x?K=1", "/x?k%3D=1", "/x?%6B%6B=1",
                             "/x?a=k", "/x?a=1&k2=3", "/k=1"}) {
        EXPECT_TRUE(values_of(same, "k", &url).empty()) << same;
        EXPECT_EQ(url, same);
    }
    // No values vector wanted.
    EXPECT_EQ(remove_query_param("/x?k=1&a", "k", nullptr), "/x?a");
    // Other names.
    EXPECT_EQ(remove_query_param("/x?cam=cam1&k=1", "cam", nullptr), "/x?k=1");
    // Only empty segments left: the '?' goes.
    EXPECT_EQ(remove_query_param("/x?&k=1", "k", nullptr), "/x");
}

TEST(RouteOrder, Parse) {
    using S = RouteSource;
    EXPECT_EQ(parse_route_order("path,host,query"), (std::vector<S>{S::path, S::host, S::query}));
    EXPECT_EQ(parse_route_order("query,path"), (std::vector<S>{S::query, S::path}));
    EXPECT_EQ(parse_route_order("host"), (std::vector<S>{S::host}));
    EXPECT_EQ(parse_route_order(" host , path "), (std::vector<S>{S::host, S::path}));
    for (const char* bad :
         {"", " ", "path,,host", "path,", ",path", "path,path", "paths", "Path", "path;host", "cookie"})
        EXPECT_THROW(parse_route_order(bad), std::invalid_argument) << bad;
}

TEST_F(RoutingTest, ByPath) {
    Route r = route("/cam1/x?y=1");
    ASSERT_EQ(r.status, Route::Status::ok) << r.reason;
    EXPECT_EQ(r.camera->id, "cam1");
    EXPECT_EQ(r.url, "/x?y=1");
    EXPECT_EQ(route("/cam1").url, "/");
    EXPECT_EQ(route("/cam1/").url, "/");
    EXPECT_EQ(route("/cam1?y").url, "/?y");
    EXPECT_EQ(route("/cam1/a/b/c.js").url, "/a/b/c.js");
    EXPECT_EQ(route("/front-door/ws").camera->id, "front-door");
    r = route("/cam2/x?k=KEY&y=1");
    EXPECT_EQ(r.camera->id, "cam2");
    EXPECT_EQ(r.url, "/x?y=1");
    EXPECT_EQ(r.key, "KEY");
    EXPECT_EQ(r.key_count, 1);
    r = route("/cam1?k=KEY");
    EXPECT_EQ(r.url, "/");
    EXPECT_EQ(r.key, "KEY");
    // Only the first segment, exactly.
    EXPECT_EQ(route("/CAM1/x", "", true).url, "/CAM1/x");
    EXPECT_EQ(route("/cam1x/y", "", true).url, "/cam1x/y");
    EXPECT_EQ(route("/x/cam2/y", "", true).camera->id, "cam1");
}

TEST_F(RoutingTest, PathFallsBackToDefault) {
    Route r = route("/index.html?v=2", "", true);
    ASSERT_EQ(r.status, Route::Status::ok);
    EXPECT_EQ(r.camera->id, "cam1");
    EXPECT_EQ(r.url, "/index.html?v=2");
    r = route("/?k=abc", "", true);
    EXPECT_EQ(r.camera->id, "cam1");
    EXPECT_EQ(r.url, "/");
    EXPECT_EQ(r.key, "abc");
    EXPECT_EQ(route("/cam9/x", "", true).camera->id, "cam1");
}

TEST_F(RoutingTest, PathRefusalsWithoutDefault) {
    Route r = route("/index.html");
    EXPECT_EQ(r.status, Route::Status::bad_request);
    EXPECT_EQ(r.reason, "invalid camera id");
    EXPECT_EQ(r.camera, nullptr);
    r = route("/cam9/x");
    EXPECT_EQ(r.status, Route::Status::unknown_camera);
    EXPECT_EQ(r.reason, "camera cam9 is not registered");
    for (const char* bad : {"/Cam1/x", "/cam%2f1/x", "/../x", "/-cam/x",
                            "/"
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
        EXPECT_EQ(route(bad).status, Route::Status::bad_request) << bad;
    r = route("/");
    EXPECT_EQ(r.status, Route::Status::unknown_camera);
    EXPECT_EQ(r.reason, "no camera named and no default camera");
    EXPECT_EQ(route("//x").status, Route::Status::unknown_camera);
}

TEST_F(RoutingTest, ByHost) {
    Route r = route("/x?a=1", "cam2.relay.example.com");
    ASSERT_EQ(r.status, Route::Status::ok) << r.reason;
    EXPECT_EQ(r.camera->id, "cam2");
    EXPECT_EQ(r.url, "/x?a=1");
    EXPECT_EQ(route("/", "CAM2.Relay.Example.COM.").camera->id, "cam2");
    EXPECT_EQ(route("/", "cam2.relay.example.com:8443").camera->id, "cam2");
    EXPECT_EQ(route("/", "cam2.relay.example.com.:80").camera->id, "cam2");
    EXPECT_EQ(route("/", "front-door.relay.example.com").camera->id, "front-door");
    cfg.host_suffix = ".Relay.Example.com.";  // configured loosely
    EXPECT_EQ(route("/", "cam2.relay.example.com").camera->id, "cam2");
    cfg.host_suffix = "relay.example.com";

    r = route("/", "cam9.relay.example.com");
    EXPECT_EQ(r.status, Route::Status::unknown_camera);
    EXPECT_EQ(r.reason, "camera cam9 is not registered");
    EXPECT_EQ(route("/", "a.b.relay.example.com").status, Route::Status::bad_request);
    EXPECT_EQ(route("/", "cam_2.relay.example.com").status, Route::Status::bad_request);
    EXPECT_EQ(route("/", "-x.relay.example.com").status, Route::Status::bad_request);
    // Not under the suffix: no match, so the default (or a refusal).
    EXPECT_EQ(route("/", "relay.example.com", true).camera->id, "cam1");
    EXPECT_EQ(route("/", "cam2.other.example.com", true).camera->id, "cam1");
    EXPECT_EQ(route("/", "cam2relay.example.com", true).camera->id, "cam1");
    EXPECT_EQ(route("/", "[::1]:80", true).camera->id, "cam1");
    EXPECT_EQ(route("/", "", true).camera->id, "cam1");
    // An empty suffix disables host routing.
    cfg.host_suffix.clear();
    EXPECT_EQ(route("/", "cam2.relay.example.com", true).camera->id, "cam1");
}

TEST_F(RoutingTest, ByQuery) {
    Route r = route("/x?cam=cam2&y=1&k=K");
    ASSERT_EQ(r.status, Route::Status::ok) << r.reason;
    EXPECT_EQ(r.camera->id, "cam2");
    EXPECT_EQ(r.url, "/x?y=1");
    EXPECT_EQ(r.key, "K");
    EXPECT_EQ(route("/x?cam=cam%32").camera->id, "cam2");
    EXPECT_EQ(route("/x?%63am=cam2").camera->id, "cam2");
    EXPECT_EQ(route("/?cam=front-door").url, "/");
    EXPECT_EQ(route("/x?cam=CAM2").status, Route::Status::bad_request);
    EXPECT_EQ(route("/x?cam=").status, Route::Status::bad_request);
    EXPECT_EQ(route("/x?cam=cam%2F2").status, Route::Status::bad_request);
    EXPECT_EQ(route("/x?cam=%zz").status, Route::Status::bad_request);
    r = route("/x?cam=cam9");
    EXPECT_EQ(r.status, Route::Status::unknown_camera);
    EXPECT_EQ(r.reason, "camera cam9 is not registered");
    r = route("/x?cam=cam1&cam=cam2");
    EXPECT_EQ(r.status, Route::Status::bad_request);
    EXPECT_EQ(r.reason, "more than one cam parameter");
    cfg.query_param = "camera";
    EXPECT_EQ(route("/x?camera=cam2&cam=zz").url, "/x?cam=zz");
    // Not configured: the parameter is neither read nor removed.
    cfg.order = {RouteSource::path};
    r = route("/x?camera=cam2", "", true);
    EXPECT_EQ(r.camera->id, "cam1");
    EXPECT_EQ(r.url, "/x?camera=cam2");
}

TEST_F(RoutingTest, OrderDecides) {
    // path before host before query by default
    EXPECT_EQ(route("/cam1/x?cam=front-door", "cam2.relay.example.com").camera->id, "cam1");
    EXPECT_EQ(route("/x?cam=front-door", "cam2.relay.example.com").camera->id, "cam2");
    cfg.order = parse_route_order("query,host,path");
    Route r = route("/cam1/x?cam=front-door", "cam2.relay.example.com");
    EXPECT_EQ(r.camera->id, "front-door");
    EXPECT_EQ(r.url, "/cam1/x");  // no prefix stripping when the path did not route
    cfg.order = parse_route_order("host,path");
    EXPECT_EQ(route("/cam1/x", "cam2.relay.example.com").camera->id, "cam2");
    // A refusal from an earlier source stops the search.
    EXPECT_EQ(route("/cam1/x", "cam9.relay.example.com").status, Route::Status::unknown_camera);
}

TEST_F(RoutingTest, KeysAreCountedAndDecoded) {
    Route r = route("/cam1/?k=a&k=b");
    EXPECT_EQ(r.status, Route::Status::ok);
    EXPECT_EQ(r.key_count, 2);
    EXPECT_EQ(r.url, "/");
    r = route("/cam1/?%6B=v1%2Ecam1");
    EXPECT_EQ(r.key, "v1.cam1");
    EXPECT_EQ(r.key_count, 1);
    r = route("/cam1/?k=");
    EXPECT_EQ(r.key, "");
    EXPECT_EQ(r.key_count, 1);
    r = route("/cam1/x");
    EXPECT_EQ(r.key_count, 0);
    r = route("/cam1/?k=a%zz");
    EXPECT_EQ(r.status, Route::Status::bad_request);
    EXPECT_EQ(r.reason, "invalid percent-encoding in key");
    EXPECT_EQ(route("/cam1/?k=a%00b").status, Route::Status::bad_request);
    // The key is known even when the camera is refused.
    r = route("/cam9/?k=abc");
    EXPECT_EQ(r.status, Route::Status::unknown_camera);
    EXPECT_EQ(r.key, "abc");
    // An 8000-byte key routes (the key check refuses it later); a 10 KB
    // one makes the URL too long.
    r = route("/cam1/?k=" + std::string(8000, 'a'));
    EXPECT_EQ(r.status, Route::Status::ok);
    EXPECT_EQ(r.key.size(), 8000u);
    r = route("/cam1/?k=" + std::string(10 * 1024, 'a'));
    EXPECT_EQ(r.status, Route::Status::bad_request);
    EXPECT_EQ(r.reason, "URL longer than 8192 bytes");
}

TEST_F(RoutingTest, BadUrls) {
    for (std::string bad : {std::string(""), std::string("cam1/x"), std::string("http://h/cam1"), std::string("*"),
                            std::string("/cam1/a b"), std::string("/cam1/a\tb"), std::string("/cam1/\r\nX: y"),
                            std::string("/cam1/\n"), std::string("/cam1/a\0b", 9), std::string("/cam1/\x01"),
                            std::string("/cam1/\x7f"), std::string("/cam1/?k=a b")}) {
        Route r = route(bad);
        EXPECT_EQ(r.status, Route::Status::bad_request) << bad;
        EXPECT_FALSE(r.reason.empty());
        EXPECT_EQ(r.camera, nullptr);
    }
    EXPECT_EQ(route("").reason, "empty URL");
    EXPECT_EQ(route("x").reason, "URL does not start with /");
    EXPECT_EQ(route("/a b").reason, "URL contains a space or control character");
    std::string longest = "/cam1/" + std::string(kMaxUrlLength - 6, 'a');
    EXPECT_EQ(route(longest).status, Route::Status::ok);
    Route r = route(longest + "a");
    EXPECT_EQ(r.status, Route::Status::bad_request);
    EXPECT_EQ(r.reason, "URL longer than 8192 bytes");
    EXPECT_EQ(route("/cam1/" + std::string(1 << 20, 'a')).status, Route::Status::bad_request);
    // Bytes above 0x7f are not control characters.
    EXPECT_EQ(route("/cam1/caf\xc3\xa9").status, Route::Status::ok);
}

TEST_F(RoutingTest, DotSegmentsAreRefused) {
    for (const char* bad :
         {"/cam1/..", "/cam1/../cam2/", "/cam1/./x", "/cam1/.", "/../cam1/", "/./cam1/", "/cam1/%2e%2e/x",
          "/cam1/%2E%2e/x", "/cam1/.%2E", "/cam1/%2e", "/cam1/a%2f..%2fb", "/cam1/a%2F%2e%2e", "/cam1/a\\..",
          "/cam1/a%5c..", "/cam1/..?k=v1", "/cam1/x/..?cam=cam2"}) {
        Route r = route(bad);
        EXPECT_EQ(r.status, Route::Status::bad_request) << bad;
        EXPECT_EQ(r.reason, "URL path contains a . or .. segment") << bad;
        EXPECT_EQ(route(bad, "relay.example.com", true).status, Route::Status::bad_request) << bad;
    }
    // Dots inside a name, three dots, and dots in the query are no segments.
    for (const char* ok : {"/cam1/x.js", "/cam1/.hidden", "/cam1/...", "/cam1/a..b", "/cam1/..x/", "/cam1/?a=..",
                           "/cam1/?p=/../x", "/cam1/%2e%2e%2e", "/cam1/%2", "/cam1/.%2"}) {
        Route r = route(ok);
        EXPECT_EQ(r.status, Route::Status::ok) << ok << ": " << r.reason;
    }
}

TEST_F(RoutingTest, BadHosts) {
    for (std::string bad : {std::string("cam1.relay.example.com\r\nX: y"), std::string("a b"), std::string("a\tb"),
                            std::string("a\0b", 3), std::string("\x7f")}) {
        Route r = route("/cam1/", bad);
        EXPECT_EQ(r.status, Route::Status::bad_request) << bad;
        EXPECT_EQ(r.reason, "Host header contains a space or control character");
    }
    EXPECT_EQ(route("/cam1/", std::string(kMaxHostLength, 'h')).status, Route::Status::ok);
    Route r = route("/cam1/", std::string(kMaxHostLength + 1, 'h'));
    EXPECT_EQ(r.status, Route::Status::bad_request);
    EXPECT_EQ(r.reason, "Host header longer than 255 bytes");
    EXPECT_EQ(route("/cam1/", std::string(10 * 1024, 'h') + ".relay.example.com").status, Route::Status::bad_request);
}
