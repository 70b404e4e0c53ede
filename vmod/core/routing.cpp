// camrelay core: request routing and k= extraction (see routing.hpp).
#include "routing.hpp"

#include <stdexcept>

#include "ids.hpp"

namespace camrelay {

namespace {

constexpr std::string_view kKeyParam = "k";

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Bytes no request target or Host may carry: controls, DEL and space.
bool has_forbidden_byte(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) return true;
    }
    return false;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = lower(c);
    return out;
}

// The Host header without port or trailing dot, lower-cased.
std::string normalize_host(std::string_view host) {
    std::string_view h = host;
    if (!h.empty() && h.front() == '[') {
        std::size_t close = h.find(']');
        h = close == std::string_view::npos ? std::string_view{} : h.substr(1, close - 1);
    } else if (std::size_t colon = h.find(':'); colon != std::string_view::npos) {
        h = h.substr(0, colon);
    }
    if (!h.empty() && h.back() == '.') h.remove_suffix(1);
    return to_lower(h);
}

struct Removed {
    std::string url;
    std::vector<std::string> values;
    bool bad_escape = false;  // some value was not valid percent-encoding
};

// remove_query_param plus a flag for undecodable values (kept raw in values).
Removed remove_param(std::string_view url, std::string_view name) {
    Removed r;
    std::size_t q = url.find('?');
    if (q == std::string_view::npos) {
        r.url.assign(url);
        return r;
    }
    std::string_view query = url.substr(q + 1);
    std::string kept;
    bool first_kept = true;
    bool removed_any = false;
    std::size_t start = 0;
    while (true) {
        std::size_t amp = query.find('&', start);
        std::string_view seg = query.substr(start, amp == std::string_view::npos ? query.npos : amp - start);
        std::size_t eq = seg.find('=');
        std::string_view raw_name = seg.substr(0, eq);
        bool match = raw_name == name;
        if (!match && raw_name.find('%') != std::string_view::npos) {
            auto decoded = percent_decode(raw_name);
            match = decoded && *decoded == name;
        }
        if (match) {
            removed_any = true;
            std::string_view raw_value = eq == std::string_view::npos ? std::string_view{} : seg.substr(eq + 1);
            if (auto v = percent_decode(raw_value)) {
                r.values.push_back(std::move(*v));
            } else {
                r.bad_escape = true;
                r.values.emplace_back(raw_value);
            }
        } else {
            if (!first_kept) kept.push_back('&');
            kept.append(seg);
            first_kept = false;
        }
        if (amp == std::string_view::npos) break;
        start = amp + 1;
    }
    if (!removed_any) {
        r.url.assign(url);
        return r;
    }
    r.url.assign(url.substr(0, q));
    if (!kept.empty()) {
        r.url.push_back('?');
        r.url.append(kept);
    }
    return r;
}

Route refuse(Route r, Route::Status status, std::string reason) {
    r.status = status;
    r.reason = std::move(reason);
    r.camera = nullptr;
    return r;
}

// A camera named by the host or query source, or a refusal.
Route named(Route r, const Registry& registry, std::string_view id) {
    if (!valid_camera_id(id)) return refuse(std::move(r), Route::Status::bad_request, "invalid camera id");
    const Camera* cam = registry.find(id);
    if (cam == nullptr)
        return refuse(std::move(r), Route::Status::unknown_camera,
                      "camera " + std::string(id) + " is not registered");
    r.camera = cam;
    return r;
}

}  // namespace

std::vector<RouteSource> parse_route_order(std::string_view text) {
    std::vector<RouteSource> order;
    if (text.find_first_not_of(" \t") == std::string_view::npos)
        throw std::invalid_argument("empty route order (expected e.g. \"path,host,query\")");
    std::size_t start = 0;
    while (true) {
        std::size_t comma = text.find(',', start);
        std::string_view item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        RouteSource src;
        if (item == "path")
            src = RouteSource::path;
        else if (item == "host")
            src = RouteSource::host;
        else if (item == "query")
            src = RouteSource::query;
        else if (item.empty())
            throw std::invalid_argument("empty item in route order");
        else
            throw std::invalid_argument("unknown route source \"" + std::string(item.substr(0, 32)) +
                                        "\" (expected path, host or query)");
        for (RouteSource s : order)
            if (s == src) throw std::invalid_argument("route source \"" + std::string(item) + "\" given twice");
        order.push_back(src);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return order;
}

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;  // "%" or "%4" at the end
            int hi = hex_digit(text[i + 1]);
            int lo = hex_digit(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            c = static_cast<char>(hi << 4 | lo);
            i += 2;
        }
        if (c == '\0') return std::nullopt;
        out.push_back(c);
    }
    return out;
}

std::string remove_query_param(std::string_view url, std::string_view name, std::vector<std::string>* values) {
    Removed r = remove_param(url, name);
    if (values != nullptr)
        for (auto& v : r.values) values->push_back(std::move(v));
    return std::move(r.url);
}

Route route_request(const RouteConfig& config, const Registry& registry, std::string_view url,
                    std::string_view host) {
    Route r;
    if (url.empty()) return refuse(std::move(r), Route::Status::bad_request, "empty URL");
    if (url.size() > kMaxUrlLength)
        return refuse(std::move(r), Route::Status::bad_request,
                      "URL longer than " + std::to_string(kMaxUrlLength) + " bytes");
    if (url.front() != '/') return refuse(std::move(r), Route::Status::bad_request, "URL does not start with /");
    if (has_forbidden_byte(url))
        return refuse(std::move(r), Route::Status::bad_request, "URL contains a space or control character");
    if (host.size() > kMaxHostLength)
        return refuse(std::move(r), Route::Status::bad_request,
                      "Host header longer than " + std::to_string(kMaxHostLength) + " bytes");
    if (has_forbidden_byte(host))
        return refuse(std::move(r), Route::Status::bad_request, "Host header contains a space or control character");

    // The key first, so that even a refused request says which key it had.
    Removed k = remove_param(url, kKeyParam);
    r.key_count = static_cast<int>(k.values.size());
    if (!k.values.empty()) r.key = std::move(k.values.front());
    if (k.bad_escape) return refuse(std::move(r), Route::Status::bad_request, "invalid percent-encoding in key");
    std::string cleaned = std::move(k.url);

    bool use_query = false;
    for (RouteSource s : config.order) use_query |= s == RouteSource::query;
    std::vector<std::string> cam_values;
    bool cam_bad_escape = false;
    if (use_query && !config.query_param.empty()) {
        Removed c = remove_param(cleaned, config.query_param);
        cleaned = std::move(c.url);
        cam_values = std::move(c.values);
        cam_bad_escape = c.bad_escape;
    }

    const std::size_t qpos = cleaned.find('?');
    const std::string_view path = std::string_view(cleaned).substr(0, qpos);
    const std::size_t seg_end = path.find('/', 1);
    const std::string_view first_segment = path.substr(1, seg_end == std::string_view::npos ? path.npos : seg_end - 1);

    for (RouteSource s : config.order) {
        switch (s) {
            case RouteSource::path: {
                if (first_segment.empty()) break;
                const Camera* cam = registry.find(first_segment);
                if (cam == nullptr) break;
                std::string rest(path.substr(1 + first_segment.size()));
                if (rest.empty()) rest = "/";
                if (qpos != std::string::npos) rest.append(cleaned, qpos, std::string::npos);
                r.camera = cam;
                r.url = std::move(rest);
                return r;
            }
            case RouteSource::host: {
                if (config.host_suffix.empty() || host.empty()) break;
                std::string_view suffix_raw = config.host_suffix;
                while (!suffix_raw.empty() && suffix_raw.front() == '.') suffix_raw.remove_prefix(1);
                while (!suffix_raw.empty() && suffix_raw.back() == '.') suffix_raw.remove_suffix(1);
                if (suffix_raw.empty()) break;
                const std::string suffix = to_lower(suffix_raw);
                const std::string h = normalize_host(host);
                if (h.size() <= suffix.size() + 1 || h.compare(h.size() - suffix.size(), suffix.size(), suffix) != 0 ||
                    h[h.size() - suffix.size() - 1] != '.')
                    break;
                r.url = cleaned;
                return named(std::move(r), registry, std::string_view(h).substr(0, h.size() - suffix.size() - 1));
            }
            case RouteSource::query: {
                if (cam_values.empty()) break;
                if (cam_bad_escape)
                    return refuse(std::move(r), Route::Status::bad_request,
                                  "invalid percent-encoding in " + config.query_param + " parameter");
                if (cam_values.size() > 1)
                    return refuse(std::move(r), Route::Status::bad_request,
                                  "more than one " + config.query_param + " parameter");
                r.url = cleaned;
                return named(std::move(r), registry, cam_values.front());
            }
        }
    }

    if (!registry.default_camera.empty()) {
        if (const Camera* cam = registry.find(registry.default_camera)) {
            r.camera = cam;
            r.url = std::move(cleaned);
            return r;
        }
    }

    bool use_path = false;
    for (RouteSource s : config.order) use_path |= s == RouteSource::path;
    r.url = cleaned;
    if (use_path && !first_segment.empty()) {
        if (!valid_camera_id(first_segment))
            return refuse(std::move(r), Route::Status::bad_request, "invalid camera id");
        return refuse(std::move(r), Route::Status::unknown_camera,
                      "camera " + std::string(first_segment) + " is not registered");
    }
    return refuse(std::move(r), Route::Status::unknown_camera, "no camera named and no default camera");
}

}  // namespace camrelay
