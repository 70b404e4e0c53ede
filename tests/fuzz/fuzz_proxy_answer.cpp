// Fuzz target: the HTTP proxy's answer to CONNECT (lib/camrelay/proxy.hpp,
// AnswerReader), which camrelay-connect reads from whatever listens at the
// proxy's address before it hands the connection to ssh. The input is the
// bytes that come back: the answer's head, then the relay's first bytes.
//
// Checks, aborting on any disagreement:
//   - the bytes at once and in pieces (sizes drawn from the input) give the
//     same state, status, error and number of bytes taken;
//   - not a byte past the head is taken (what follows is the relay's): a
//     complete head ends at its empty line and a complete reader takes
//     nothing more; an unfinished one took everything;
//   - the status code is 100 to 599 and the reason printable ASCII, short;
//     the refusal message built from it is printable and names the code;
//   - error messages come from a small fixed set (they quote nothing).
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "camrelay/proxy.hpp"
#include "fuzz_check.hpp"

using namespace camrelay;

namespace {

bool printable(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::as_text(data, size);
    proxy::AnswerReader whole;
    const std::size_t taken = whole.feed(input);
    FUZZ_CHECK(taken == whole.size() && taken <= input.size());

    proxy::AnswerReader pieces;
    fuzz::Chunks chunks(data, size);
    std::size_t at = 0;
    while (at < input.size() && !pieces.complete() && !pieces.failed()) {
        const std::size_t n = std::min(chunks.next(48), input.size() - at);
        const std::size_t took = pieces.feed(input.substr(at, n));
        FUZZ_CHECK(took <= n && (took == n || pieces.complete() || pieces.failed()));
        at += took;
    }
    FUZZ_CHECK(at == taken && pieces.size() == taken);
    FUZZ_CHECK(pieces.complete() == whole.complete() && pieces.failed() == whole.failed());
    FUZZ_CHECK(pieces.error() == whole.error());
    FUZZ_CHECK(pieces.status().code == whole.status().code && pieces.status().reason == whole.status().reason);

    if (whole.failed()) {
        static std::set<std::string> errors;
        errors.insert(whole.error());
        FUZZ_CHECK(!whole.error().empty() && printable(whole.error()) && errors.size() <= 16);
        return 0;
    }
    if (!whole.complete()) {
        FUZZ_CHECK(taken == input.size() && taken < proxy::kMaxAnswerHead);
        return 0;
    }
    FUZZ_CHECK(whole.feed(input.substr(taken)) == 0 && whole.feed("more") == 0);
    const std::string_view head = input.substr(0, taken);
    FUZZ_CHECK(head.substr(0, 5) == "HTTP/" && head.size() >= 2 && head.back() == '\n');
    const std::string_view before = head.substr(0, head.size() - 1);
    FUZZ_CHECK(before.back() == '\n' || (before.back() == '\r' && before[before.size() - 2] == '\n'));
    FUZZ_CHECK(head.size() <= proxy::kMaxAnswerHead);

    const proxy::Status& status = whole.status();
    FUZZ_CHECK(status.code >= 100 && status.code <= 599 && head.substr(9, 3) == std::to_string(status.code));
    FUZZ_CHECK(printable(status.reason) && status.reason.size() <= 123);
    for (bool credentials : {false, true}) {
        const std::string text = proxy::refusal(status, credentials);
        FUZZ_CHECK(printable(text) && text.rfind("proxy refused CONNECT: " + std::to_string(status.code), 0) == 0);
    }
    return 0;
}
