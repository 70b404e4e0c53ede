// camrelay-bench: minimal JSON writer.
#include "json_writer.hpp"

#include <cmath>
#include <cstdio>

namespace camrelay::bench {

std::string JsonWriter::quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += c;
            }
        }
    }
    return out + "\"";
}

void JsonWriter::prefix(std::string_view key) {
    if (!first_.empty()) {
        if (!first_.back()) out_ += ",";
        first_.back() = false;
    }
    if (!key.empty()) out_ += quote(key) + ":";
}

JsonWriter& JsonWriter::begin_object(std::string_view key) {
    prefix(key);
    out_ += "{";
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    first_.pop_back();
    out_ += "}";
    return *this;
}

JsonWriter& JsonWriter::begin_array(std::string_view key) {
    prefix(key);
    out_ += "[";
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    first_.pop_back();
    out_ += "]";
    return *this;
}

JsonWriter& JsonWriter::field(std::string_view key, std::string_view value) {
    prefix(key);
    out_ += quote(value);
    return *this;
}

JsonWriter& JsonWriter::field(std::string_view key, double value) {
    prefix(key);
    if (!std::isfinite(value)) {
        out_ += "null";
        return *this;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", value);
    out_ += buf;
    return *this;
}

JsonWriter& JsonWriter::field(std::string_view key, std::uint64_t value) {
    prefix(key);
    out_ += std::to_string(value);
    return *this;
}

JsonWriter& JsonWriter::field(std::string_view key, int value) {
    prefix(key);
    out_ += std::to_string(value);
    return *this;
}

JsonWriter& JsonWriter::field(std::string_view key, bool value) {
    prefix(key);
    out_ += value ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::null_field(std::string_view key) {
    prefix(key);
    out_ += "null";
    return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
    prefix({});
    out_ += quote(text);
    return *this;
}

JsonWriter& JsonWriter::value(int number) {
    prefix({});
    out_ += std::to_string(number);
    return *this;
}

}  // namespace camrelay::bench
