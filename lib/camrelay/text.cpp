// camrelay library: shared text pieces (text.hpp).
#include "camrelay/text.hpp"

namespace camrelay::text {

std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

std::string_view next_word(std::string_view& rest) {
    std::size_t start = 0;
    while (start < rest.size() && is_blank(rest[start])) ++start;
    std::size_t end = start;
    while (end < rest.size() && !is_blank(rest[end])) ++end;
    const std::string_view word = rest.substr(start, end - start);
    while (end < rest.size() && is_blank(rest[end])) ++end;
    rest.remove_prefix(end);
    return word;
}

std::vector<std::string_view> split_blanks(std::string_view s) {
    std::vector<std::string_view> words;
    for (std::string_view word = next_word(s); !word.empty(); word = next_word(s)) words.push_back(word);
    return words;
}

Decimal read_decimal(std::string_view s, std::uint64_t max, bool allow_leading_zeros) {
    if (s.empty()) return {0, DecimalError::empty};
    if (!allow_leading_zeros && s.size() > 1 && s.front() == '0') return {0, DecimalError::leading_zero};
    std::uint64_t value = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return {0, DecimalError::not_digit};
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (digit > max || value > (max - digit) / 10) return {0, DecimalError::too_large};
        value = value * 10 + digit;
    }
    return {value, DecimalError::none};
}

std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max) {
    const Decimal d = read_decimal(s, max);
    if (d.error != DecimalError::none) return std::nullopt;
    return d.value;
}

std::optional<std::uint16_t> parse_port(std::string_view s, bool allow_zero) {
    const auto value = parse_decimal(s, 65535);
    if (!value || (*value == 0 && !allow_zero)) return std::nullopt;
    return static_cast<std::uint16_t>(*value);
}

Decimal read_port(std::string_view s) {
    if (s.size() > 5) return {0, DecimalError::not_digit};
    return read_decimal(s, 65535, true);
}

void append_json_quoted(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            default:
                if (u < 0x20 || u == 0x7f) {
                    out.append("\\u00");
                    out.push_back(kHex[u >> 4]);
                    out.push_back(kHex[u & 0xf]);
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('"');
}

std::string json_quote(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    append_json_quoted(out, s);
    return out;
}

}  // namespace camrelay::text
