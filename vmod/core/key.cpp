#include "key.hpp"
#include <stdexcept>
namespace camrelay {
std::string_view to_string(KeyVerdict) { return "malformed"; }
struct SecretSet::Impl { std::vector<Secret> secrets; };
SecretSet::SecretSet() : impl_(std::make_unique<Impl>()) {}
SecretSet::~SecretSet() = default;
SecretSet::SecretSet(SecretSet&&) noexcept = default;
SecretSet& SecretSet::operator=(SecretSet&&) noexcept = default;
void SecretSet::add(Secret s) { impl_->secrets.push_back(std::move(s)); }
const Secret* SecretSet::find(std::string_view) const { return nullptr; }
const Secret* SecretSet::primary() const { return nullptr; }
const std::vector<Secret>& SecretSet::all() const { return impl_->secrets; }
bool SecretSet::empty() const { return impl_->secrets.empty(); }
std::optional<Digest> SecretSet::mac(std::string_view, std::string_view) const { return std::nullopt; }
std::optional<KeyFields> parse_key(std::string_view) { return std::nullopt; }
std::string key_message(std::string_view, std::string_view, std::int64_t, std::int64_t) { return {}; }
std::string issue_key(const Secret&, std::string_view, std::int64_t, std::int64_t) { throw std::invalid_argument("pending"); }
KeyVerdict check_key(const SecretSet&, std::string_view, std::string_view, const KeyPolicy&, std::int64_t) { return KeyVerdict::malformed; }
std::string loggable_key(std::string_view) { return {}; }
}  // namespace camrelay
