// camrelay-bench: a minimal JSON writer for the --json reports.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace camrelay::bench {

class JsonWriter {
public:
    JsonWriter& begin_object(std::string_view key = {}) { return open(key, '{'); }
    JsonWriter& end_object() { return close('}'); }
    JsonWriter& begin_array(std::string_view key = {}) { return open(key, '['); }
    JsonWriter& end_array() { return close(']'); }
    JsonWriter& field(std::string_view key, std::string_view value);
    JsonWriter& field(std::string_view key, const char* value) { return field(key, std::string_view(value)); }
    JsonWriter& field(std::string_view key, double value);  // 6 significant digits
    // With `decimals` digits after the point, however large (a clock offset of days in ms).
    JsonWriter& fixed_field(std::string_view key, double value, int decimals);
    JsonWriter& field(std::string_view key, std::uint64_t value);
    JsonWriter& field(std::string_view key, std::uint32_t value) { return field(key, std::uint64_t{value}); }
    JsonWriter& field(std::string_view key, int value);
    JsonWriter& field(std::string_view key, bool value);
    JsonWriter& null_field(std::string_view key);
    JsonWriter& value(std::string_view text);  // an array element (a field without a key)
    JsonWriter& value(int number);

    const std::string& text() const { return out_; }

private:
    void prefix(std::string_view key);  // the comma before an element, and its key
    JsonWriter& open(std::string_view key, char bracket);
    JsonWriter& close(char bracket);
    JsonWriter& raw(std::string_view key, std::string_view json);  // a value already in JSON

    std::string out_;
    std::vector<bool> first_;  // per open container: no element yet
};

}  // namespace camrelay::bench
