#include "routing.hpp"
namespace camrelay {
std::vector<RouteSource> parse_route_order(std::string_view) { return {}; }
Route route_request(const RouteConfig&, const Registry&, std::string_view, std::string_view) { return {}; }
std::string remove_query_param(std::string_view url, std::string_view, std::vector<std::string>*) { return std::string(url); }
std::optional<std::string> percent_decode(std::string_view) { return std::nullopt; }
}  // namespace camrelay
