// Fuzz target: the encodings under keys, SSH key blobs, WebSocket
// handshakes and the configuration files: base64 in both alphabets
// (lib/camrelay/base64.hpp) and hex (crypto.hpp).
//
// Checks, aborting on any disagreement:
//   - strictness: a text that decodes is exactly what encode writes for
//     its bytes (no two texts decode alike), in both alphabets;
//   - the url alphabet's decode agrees with the reference model
//     (tests/core/reference_model.hpp), and decode_into (the key check's
//     hot path) with decode, writing nothing past its buffer;
//   - the input as bytes: encode then decode gives it back, at the length
//     encoded_length says; the same for hex_encode and hex_decode.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/base64.hpp"
#include "camrelay/crypto.hpp"
#include "fuzz_check.hpp"
#include "reference_model.hpp"

using namespace camrelay;
namespace ref = camrelay::test::ref;

namespace {

void check_text(std::string_view text, base64::Alphabet alphabet) {
    const auto bytes = base64::decode(text, alphabet);
    if (bytes) {
        FUZZ_CHECK(base64::encode(*bytes, alphabet) == text);
        FUZZ_CHECK(base64::encoded_length(bytes->size(), alphabet) == text.size());
        for (char c : text)
            FUZZ_CHECK(base64::in_alphabet(c, alphabet) || (c == '=' && alphabet == base64::Alphabet::standard));
    }
    // decode_into at every length near the one the text would have (n
    // characters hold 3n/4 bytes, less up to two of padding), and at 0.
    const std::size_t near = text.size() * 3 / 4;
    for (std::size_t len : {std::size_t{0}, near - 2, near - 1, near, near + 1}) {
        if (len > near + 1) continue;  // near - 2 wrapped around
        std::vector<std::uint8_t> out(len + 1, 0xa5);
        const bool ok = base64::decode_into(text, out.data(), len, alphabet);
        FUZZ_CHECK(ok == (bytes && bytes->size() == len));
        FUZZ_CHECK(out[len] == 0xa5);  // nothing written past out_len
        if (ok) FUZZ_CHECK(std::equal(bytes->begin(), bytes->end(), out.begin()));
    }
}

void check_bytes(const std::uint8_t* data, std::size_t size, base64::Alphabet alphabet) {
    const std::string text = base64::encode(data, size, alphabet);
    FUZZ_CHECK(text.size() == base64::encoded_length(size, alphabet));
    const auto back = base64::decode(text, alphabet);
    FUZZ_CHECK(back && back->size() == size && std::equal(back->begin(), back->end(), data));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    check_text(text, base64::Alphabet::standard);
    check_text(text, base64::Alphabet::url);
    FUZZ_CHECK(base64url_decode(text) == ref::base64url_decode(text));
    check_bytes(data, size, base64::Alphabet::standard);
    check_bytes(data, size, base64::Alphabet::url);

    if (const auto hex = hex_decode(text)) {
        FUZZ_CHECK(hex->size() * 2 == text.size());
        std::string lower(text);
        for (char& c : lower)
            if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
        FUZZ_CHECK(hex_encode(hex->data(), hex->size()) == lower);
    }
    const auto back = hex_decode(hex_encode(data, size));
    FUZZ_CHECK(back && back->size() == size && std::equal(back->begin(), back->end(), data));
    return 0;
}
