#include "relay.hpp"
namespace camrelay {
std::string_view to_string(Outcome) { return "bad_request"; }
int http_status(Outcome) { return 400; }
Outcome from_key_verdict(KeyVerdict) { return Outcome::key_malformed; }
std::unique_ptr<Relay> Relay::load(const std::string&, RouteConfig route) { return std::make_unique<Relay>(Registry{}, SecretSet{}, std::move(route)); }
Relay::Relay(Registry registry, SecretSet secrets, RouteConfig route)
    : registry_(std::move(registry)), secrets_(std::move(secrets)), route_(std::move(route)) {}
Decision Relay::decide(std::string_view, std::string_view, std::int64_t, bool) const { return {}; }
bool ViewerCounter::try_acquire(const std::string&, unsigned) { return false; }
void ViewerCounter::release(const std::string&) {}
unsigned ViewerCounter::live(const std::string&) const { return 0; }
}  // namespace camrelay
