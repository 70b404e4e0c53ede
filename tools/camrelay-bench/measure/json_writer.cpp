// camrelay-bench: minimal JSON writer.
#include "json_writer.hpp"

#include <cmath>
#include <cstdio>

#include "camrelay/text.hpp"

namespace camrelay::bench {

void JsonWriter::prefix(std::string_view key) {
    if (!first_.empty()) {
        if (!first_.back()) out_ += ",";
        first_.back() = false;
    }
    if (!key.empty()) {
        camrelay::text::append_json_quoted(out_, key);
        out_ += ":";
    }
}

JsonWriter& JsonWriter::open(std::string_view key, char bracket) {
    prefix(key);
    out_ += bracket;
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::close(char bracket) {
    first_.pop_back();
    out_ += bracket;
    return *this;
}

JsonWriter& JsonWriter::raw(std::string_view key, std::string_view json) {
    prefix(key);
    out_ += json;
    return *this;
}

JsonWriter& JsonWriter::field(std::string_view key, std::string_view value) {
    prefix(key);
    camrelay::text::append_json_quoted(out_, value);
    return *this;
}

JsonWriter& JsonWriter::fixed_field(std::string_view key, double value, int decimals) {
    if (!std::isfinite(value)) return raw(key, "null");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return raw(key, buf);
}

JsonWriter& JsonWriter::field(std::string_view key, double value) {
    if (!std::isfinite(value)) return raw(key, "null");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", value);
    return raw(key, buf);
}

JsonWriter& JsonWriter::field(std::string_view key, std::uint64_t value) { return raw(key, std::to_string(value)); }

JsonWriter& JsonWriter::field(std::string_view key, int value) { return raw(key, std::to_string(value)); }

JsonWriter& JsonWriter::field(std::string_view key, bool value) { return raw(key, value ? "true" : "false"); }

JsonWriter& JsonWriter::null_field(std::string_view key) { return raw(key, "null"); }

JsonWriter& JsonWriter::value(std::string_view text) { return field({}, text); }

JsonWriter& JsonWriter::value(int number) { return field({}, number); }

}  // namespace camrelay::bench
