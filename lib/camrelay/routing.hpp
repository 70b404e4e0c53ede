// camrelay core: which camera a request is for, and the URL it is sent with.
//
// Sources, tried in the configured order:
//   path   the first path segment names a registered camera: "/cam1/x?y" ->
//          camera cam1, URL "/x?y"; "/cam1" or "/cam1?y" -> URL "/" or "/?y".
//          A first segment that is not a registered camera does not match
//          (so "/index.html" can still go to the default camera).
//   host   the Host header, port and a trailing dot removed, lower-cased,
//          is "<label>.<host_suffix>": camera <label>. With an empty
//          host_suffix this source never matches. host_suffix is compared
//          without case and without leading/trailing dots.
//   query  the query parameter <query_param> (default "cam"), removed from
//          the URL; percent-encoded values are decoded first. When the query
//          source is in the order, the parameter is removed even if another
//          source routed the request; otherwise it is left alone. Two of
//          them, or an empty value ("cam="), are a bad_request.
// Then the default camera from the registry, if any.
//
// Refusals: a host or query source that names an invalid camera id is a
// bad_request (400); one that names a valid but unregistered id is
// unknown_camera (404); no source matched and no default: unknown_camera.
// The path source never refuses, because an ordinary path such as
// "/index.html" is not a camera name; but when no default exists, a first
// segment that is not a valid id gives bad_request and a valid but unknown
// one gives unknown_camera. "/" (empty first segment) names nothing:
// unknown_camera.
//
// The key: every "k" parameter (the name may be percent-encoded) is removed
// from the query wherever it stands; its value is percent-decoded. Two or more
// k parameters make the request's key malformed (key_count > 1). A k value
// that is not valid percent-encoding (or decodes to NUL) is a bad_request.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/registry.hpp"

namespace camrelay {

inline constexpr std::size_t kMaxUrlLength = 8192;
inline constexpr std::size_t kMaxHostLength = 255;

enum class RouteSource { path, host, query };

struct RouteConfig {
    std::vector<RouteSource> order{RouteSource::path, RouteSource::host, RouteSource::query};
    std::string query_param = "cam";
    std::string host_suffix;  // e.g. "relay.example.com"; empty disables host routing
};

// Parse "path,host,query" (any order, non-empty subset, no repeats, blanks
// around items ignored). Throws std::invalid_argument with a reason.
std::vector<RouteSource> parse_route_order(std::string_view text);

struct Route {
    enum class Status { ok, bad_request, unknown_camera };
    Status status = Status::ok;
    std::string reason;              // for refusals: short, safe to show and log, e.g. "invalid camera id"
    const Camera* camera = nullptr;  // set when ok
    std::string url;                 // the URL to send to the camera: prefix stripped, k= and the query source removed
    std::string key;                 // the (first) k= value, percent-decoded; empty if none
    int key_count = 0;               // how many k= parameters there were
};

// url: the request target as received (origin-form, "/..."); host: the Host
// header or empty. A URL that is empty, does not start with '/', is longer
// than kMaxUrlLength or contains NUL, CR, LF, space or other control bytes is
// a bad_request; so is a Host over kMaxHostLength or with such bytes.
Route route_request(const RouteConfig& config, const Registry& registry, std::string_view url, std::string_view host);

// What route_request computes, in the form Relay::decide uses on every
// request: the key is a view, into the request URL when it needed no
// percent-decoding (the usual case: keys never need it), else into
// key_buffer; and the strings keep their capacity when the object is
// reused. Not copyable: `key` may point into the object itself.
struct RouteResult {
    Route::Status status = Route::Status::ok;
    std::string reason;
    const Camera* camera = nullptr;
    std::string url;
    std::string_view key;  // valid while the request URL and this object are
    int key_count = 0;
    std::string key_buffer;  // scratch for a decoded key
    std::string cam_buffer;  // scratch for a decoded camera parameter

    RouteResult() = default;
    RouteResult(const RouteResult&) = delete;
    RouteResult& operator=(const RouteResult&) = delete;
};
// route_request into `out`, with the same results; one pass over the query.
void route_request(const RouteConfig& config, const Registry& registry, std::string_view url, std::string_view host,
                   RouteResult& out);

// Remove every parameter called `name` (compared after percent-decoding the
// parameter name) from the query of `url`; append their percent-decoded
// values to `values` if not null (a value that is not valid percent-encoding
// is appended as is). Keeps the order and spelling of every other
// parameter; drops a '?' left with nothing after it. A URL with no such
// parameter is returned unchanged.
std::string remove_query_param(std::string_view url, std::string_view name, std::vector<std::string>* values);

// Percent-decoding of one query component ('+' is left as is). nullopt on a
// bad escape ("%zz", "%4") or a decoded NUL.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace camrelay
