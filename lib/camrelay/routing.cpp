// camrelay core: request routing and k= extraction (see routing.hpp).
#include "camrelay/routing.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "camrelay/ids.hpp"

namespace camrelay {

namespace {

constexpr std::string_view kKeyParam = "k";

// Hex digit value, or -1.
constexpr std::array<std::int8_t, 256> kHexValues = [] {
    std::array<std::int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (int i = 0; i < 10; ++i) t[static_cast<std::size_t>('0' + i)] = static_cast<std::int8_t>(i);
    for (int i = 0; i < 6; ++i) {
        t[static_cast<std::size_t>('a' + i)] = static_cast<std::int8_t>(10 + i);
        t[static_cast<std::size_t>('A' + i)] = static_cast<std::int8_t>(10 + i);
    }
    return t;
}();

// Bytes no request target or Host may carry: controls, DEL and space.
// Fixed 16-byte blocks without early exit: GCC vectorises the inner loop
// even at -O2, which matters for the whole URL on every request.
bool has_forbidden_byte(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t n = s.size();
    unsigned char bad = 0;
    for (; n >= 16; p += 16, n -= 16)
        for (int j = 0; j < 16; ++j) bad |= static_cast<unsigned char>((p[j] <= 0x20) | (p[j] == 0x7f));
    for (; n > 0; ++p, --n) bad |= static_cast<unsigned char>((*p <= 0x20) | (*p == 0x7f));
    return bad != 0;
}

bool contains(std::string_view s, char c) { return !s.empty() && std::memchr(s.data(), c, s.size()) != nullptr; }

// A "." or ".." segment in `path` (the URL before '?'): the dots raw or
// percent-encoded in any case ("%2e", "%2E"), segments separated by '/' or
// '\\', raw or percent-encoded ("%2f", "%5c"), so that a camera that decodes
// or normalises the path cannot be walked out of its prefix. One pass, no
// copy; a path with neither '.' nor '%' is not walked at all.
bool has_dot_segment(std::string_view path) {
    if (!contains(path, '.') && !contains(path, '%')) return false;
    int dots = 0;  // dots of the segment so far; -1: the segment has something else
    const std::size_t n = path.size();
    for (std::size_t i = 0; i < n; ++i) {
        char c = path[i];
        if (c == '%' && i + 2 < n) {
            const int hi = kHexValues[static_cast<unsigned char>(path[i + 1])];
            const int lo = kHexValues[static_cast<unsigned char>(path[i + 2])];
            if (hi >= 0 && lo >= 0) {
                c = static_cast<char>(hi << 4 | lo);
                i += 2;
            }
        }
        if (c == '/' || c == '\\') {
            if (dots > 0) return true;
            dots = 0;
        } else if (c == '.' && dots >= 0) {
            dots = dots < 2 ? dots + 1 : -1;
        } else {
            dots = -1;
        }
    }
    return dots > 0;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

// Walks the percent-decoding of `text` ('+' left as is), handing each
// decoded byte to `sink`. False where percent_decode gives nullopt (a bad
// escape, a decoded NUL) or as soon as `sink` returns false.
template <class Sink>
bool each_decoded(std::string_view text, Sink&& sink) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return false;  // "%" or "%4" at the end
            int hi = kHexValues[static_cast<unsigned char>(text[i + 1])];
            int lo = kHexValues[static_cast<unsigned char>(text[i + 2])];
            if (hi < 0 || lo < 0) return false;
            c = static_cast<char>(hi << 4 | lo);
            i += 2;
        }
        if (c == '\0' || !sink(c)) return false;
    }
    return true;
}

// Percent-decodes `text` into `out` (room for text.size() bytes): the
// decoded length, or -1 where percent_decode gives nullopt.
std::ptrdiff_t decode_to(std::string_view text, char* out) {
    char* w = out;
    if (!each_decoded(text, [&](char c) {
            *w++ = c;
            return true;
        }))
        return -1;
    return w - out;
}

// Whether percent_decode(text) would succeed, without writing anything.
bool decodes(std::string_view text) {
    return each_decoded(text, [](char) { return true; });
}

// percent_decode(raw) == name, without writing anything.
bool decodes_to(std::string_view raw, std::string_view name) {
    std::size_t j = 0;
    return each_decoded(raw, [&](char c) { return j < name.size() && name[j++] == c; }) && j == name.size();
}

// A parameter name, as received, names `name`: equal as is or once
// percent-decoded. Decoding only shrinks a name (3 bytes per escape), so
// only a longer raw name holding a '%' needs decoding.
bool names(std::string_view raw, std::string_view name) {
    if (raw.size() <= name.size()) return raw == name;
    return contains(raw, '%') && decodes_to(raw, name);
}

// One pass over a query ("a=1&k=2", without the '?'): the parameters for
// which take(raw_name, raw_value) is true are dropped, the others copied to
// `out` joined by '&' (in order and spelling). `out` needs room for
// query.size() bytes. Returns the kept length, and sets `removed`.
template <class Take>
std::size_t filter_query(std::string_view query, char* out, bool& removed, Take&& take) {
    removed = false;
    char* w = out;
    bool first_kept = true;
    const char* p = query.data();
    const char* const end = p + query.size();
    while (true) {
        const auto* amp = static_cast<const char*>(std::memchr(p, '&', static_cast<std::size_t>(end - p)));
        const char* seg_end = amp != nullptr ? amp : end;
        const std::string_view seg(p, static_cast<std::size_t>(seg_end - p));
        const auto* eq = static_cast<const char*>(std::memchr(p, '=', seg.size()));
        const std::string_view raw_name = eq != nullptr ? seg.substr(0, static_cast<std::size_t>(eq - p)) : seg;
        const std::string_view raw_value =
            eq != nullptr ? seg.substr(static_cast<std::size_t>(eq - p) + 1) : std::string_view{};
        if (take(raw_name, raw_value)) {
            removed = true;
        } else {
            if (!first_kept) *w++ = '&';
            if (!seg.empty()) std::memcpy(w, seg.data(), seg.size());
            w += seg.size();
            first_kept = false;
        }
        if (amp == nullptr) break;
        p = amp + 1;
    }
    return static_cast<std::size_t>(w - out);
}

// The parameters of one name taken out of a query: how many, the first
// one's value (percent-decoded, or as received if that fails) and whether
// any value failed to decode. The value is a view into the URL unless it
// held a '%' (keys never need one), then into `buffer`.
struct Taken {
    int count = 0;
    bool bad_escape = false;
    std::string_view first;

    void take(std::string_view raw_value, std::string& buffer) {
        if (count++ == 0) {
            first = raw_value;
            if (contains(raw_value, '%')) {
                buffer.resize(raw_value.size());
                std::ptrdiff_t n = decode_to(raw_value, buffer.data());
                if (n < 0) {
                    bad_escape = true;  // kept as received, like remove_query_param
                } else {
                    buffer.resize(static_cast<std::size_t>(n));
                    first = buffer;
                }
            }
        } else if (!bad_escape && !decodes(raw_value)) {
            bad_escape = true;
        }
    }
};

void refuse(RouteResult& r, Route::Status status, std::string_view reason) {
    r.status = status;
    r.reason.assign(reason);
    r.camera = nullptr;
}

// A camera named by the host or query source, or a refusal.
void named(RouteResult& r, const Registry& registry, std::string_view id) {
    if (!valid_camera_id(id)) return refuse(r, Route::Status::bad_request, "invalid camera id");
    const Camera* cam = registry.find(id);
    if (cam == nullptr) {
        refuse(r, Route::Status::unknown_camera, "camera ");
        r.reason.append(id).append(" is not registered");
        return;
    }
    r.camera = cam;
}

// The Host header without port or trailing dot (not yet lower-cased).
std::string_view host_name(std::string_view host) {
    std::string_view h = host;
    if (!h.empty() && h.front() == '[') {
        std::size_t close = h.find(']');
        h = close == std::string_view::npos ? std::string_view{} : h.substr(1, close - 1);
    } else if (std::size_t colon = h.find(':'); colon != std::string_view::npos) {
        h = h.substr(0, colon);
    }
    if (!h.empty() && h.back() == '.') h.remove_suffix(1);
    return h;
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
    std::string out(text.size(), '\0');
    std::ptrdiff_t n = decode_to(text, out.data());
    if (n < 0) return std::nullopt;
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string remove_query_param(std::string_view url, std::string_view name, std::vector<std::string>* values) {
    const std::size_t q = url.find('?');
    if (q == std::string_view::npos) return std::string(url);
    std::string out(url.size(), '\0');
    bool removed = false;
    std::size_t kept = filter_query(url.substr(q + 1), out.data() + q + 1, removed,
                                    [&](std::string_view raw_name, std::string_view raw_value) {
                                        if (!names(raw_name, name)) return false;
                                        if (values != nullptr) {
                                            auto v = percent_decode(raw_value);
                                            values->push_back(v ? std::move(*v) : std::string(raw_value));
                                        }
                                        return true;
                                    });
    if (!removed) return std::string(url);
    std::memcpy(out.data(), url.data(), q);
    out.resize(kept == 0 ? q : q + 1 + kept);
    if (kept != 0) out[q] = '?';
    return out;
}

Route route_request(const RouteConfig& config, const Registry& registry, std::string_view url, std::string_view host) {
    RouteResult rr;
    route_request(config, registry, url, host, rr);
    Route r;
    r.status = rr.status;
    r.reason = std::move(rr.reason);
    r.camera = rr.camera;
    r.url = std::move(rr.url);
    r.key.assign(rr.key);
    r.key_count = rr.key_count;
    return r;
}

void route_request(const RouteConfig& config, const Registry& registry, std::string_view url, std::string_view host,
                   RouteResult& r) {
    r.status = Route::Status::ok;
    r.reason.clear();
    r.camera = nullptr;
    r.url.clear();
    r.key = {};
    r.key_count = 0;

    if (url.empty()) return refuse(r, Route::Status::bad_request, "empty URL");
    if (url.size() > kMaxUrlLength) {
        refuse(r, Route::Status::bad_request, "URL longer than ");
        r.reason.append(std::to_string(kMaxUrlLength)).append(" bytes");
        return;
    }
    if (url.front() != '/') return refuse(r, Route::Status::bad_request, "URL does not start with /");
    if (has_forbidden_byte(url))
        return refuse(r, Route::Status::bad_request, "URL contains a space or control character");
    if (has_dot_segment(url.substr(0, url.find('?'))))
        return refuse(r, Route::Status::bad_request, "URL path contains a . or .. segment");
    if (host.size() > kMaxHostLength) {
        refuse(r, Route::Status::bad_request, "Host header longer than ");
        r.reason.append(std::to_string(kMaxHostLength)).append(" bytes");
        return;
    }
    if (has_forbidden_byte(host))
        return refuse(r, Route::Status::bad_request, "Host header contains a space or control character");

    bool use_query = false;
    bool use_path = false;
    for (RouteSource s : config.order) {
        use_query |= s == RouteSource::query;
        use_path |= s == RouteSource::path;
    }
    const std::string_view cam_param = use_query ? std::string_view(config.query_param) : std::string_view{};

    // One pass over the query takes out every k= and, when the query source
    // is in use, every camera parameter, and writes what is left straight
    // into r.url after room for the path; the path is written in front
    // once the source is known. A k parameter is a key even if the camera
    // parameter had the same name (what two passes, k= first, would do).
    const std::size_t qpos = url.find('?');
    const std::string_view path = url.substr(0, qpos);
    r.url.resize(url.size());
    Taken key;
    Taken cam;
    bool removed = false;
    std::size_t kept = 0;
    if (qpos != std::string_view::npos) {
        kept = filter_query(url.substr(qpos + 1), r.url.data() + qpos + 1, removed,
                            [&](std::string_view raw_name, std::string_view raw_value) {
                                if (names(raw_name, kKeyParam)) {
                                    key.take(raw_value, r.key_buffer);
                                    return true;
                                }
                                if (!cam_param.empty() && names(raw_name, cam_param)) {
                                    cam.take(raw_value, r.cam_buffer);
                                    return true;
                                }
                                return false;
                            });
    }
    // The query that goes on: '?' and the kept parameters; nothing when a
    // removal left it empty; as received when nothing was removed.
    const bool with_query = qpos != std::string_view::npos && (!removed || kept != 0);
    const std::size_t query_len = with_query ? 1 + kept : 0;

    // The key first, so that even a refused request says which key it had.
    r.key_count = key.count;
    r.key = key.first;
    if (key.bad_escape) {
        r.url.clear();
        return refuse(r, Route::Status::bad_request, "invalid percent-encoding in key");
    }

    // r.url becomes prefix + the query already in place after it.
    auto finish_url = [&](std::string_view prefix) {
        if (with_query) {
            // prefix is never longer than the path: a leftward move, or none.
            if (prefix.size() != path.size())
                std::memmove(r.url.data() + prefix.size(), r.url.data() + path.size(), query_len);
            r.url[prefix.size()] = '?';
        }
        std::memcpy(r.url.data(), prefix.data(), prefix.size());
        r.url.resize(prefix.size() + query_len);
    };

    const std::size_t seg_end = path.find('/', 1);
    const std::string_view first_segment = path.substr(1, seg_end == std::string_view::npos ? path.npos : seg_end - 1);

    for (RouteSource s : config.order) {
        switch (s) {
            case RouteSource::path: {
                if (first_segment.empty()) break;
                const Camera* cam_found = registry.find(first_segment);
                if (cam_found == nullptr) break;
                std::string_view rest = path.substr(1 + first_segment.size());
                finish_url(rest.empty() ? std::string_view("/") : rest);
                r.camera = cam_found;
                return;
            }
            case RouteSource::host: {
                if (config.host_suffix.empty() || host.empty()) break;
                std::string_view suffix = config.host_suffix;
                while (!suffix.empty() && suffix.front() == '.') suffix.remove_prefix(1);
                while (!suffix.empty() && suffix.back() == '.') suffix.remove_suffix(1);
                if (suffix.empty()) break;
                const std::string_view h = host_name(host);
                if (h.size() <= suffix.size() + 1 || !iequal(h.substr(h.size() - suffix.size()), suffix) ||
                    h[h.size() - suffix.size() - 1] != '.')
                    break;
                // The label, lower-cased: at most kMaxHostLength bytes.
                char label[kMaxHostLength];
                const std::size_t label_len = h.size() - suffix.size() - 1;
                for (std::size_t i = 0; i < label_len; ++i) label[i] = lower(h[i]);
                finish_url(path);
                return named(r, registry, std::string_view(label, label_len));
            }
            case RouteSource::query: {
                if (cam.count == 0) break;
                if (cam.bad_escape || cam.count > 1) {
                    r.url.clear();
                    refuse(r, Route::Status::bad_request,
                           cam.bad_escape ? "invalid percent-encoding in " : "more than one ");
                    r.reason.append(config.query_param).append(" parameter");
                    return;
                }
                finish_url(path);
                return named(r, registry, cam.first);
            }
        }
    }

    finish_url(path);
    if (!registry.default_camera.empty()) {
        if (const Camera* cam_found = registry.find(registry.default_camera)) {
            r.camera = cam_found;
            return;
        }
    }
    if (use_path && !first_segment.empty()) {
        if (!valid_camera_id(first_segment)) return refuse(r, Route::Status::bad_request, "invalid camera id");
        refuse(r, Route::Status::unknown_camera, "camera ");
        r.reason.append(first_segment).append(" is not registered");
        return;
    }
    refuse(r, Route::Status::unknown_camera, "no camera named and no default camera");
}

}  // namespace camrelay
