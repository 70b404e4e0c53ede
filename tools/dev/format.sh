#!/usr/bin/env bash
# Formats the C++ sources with clang-format and .clang-format.
#   tools/dev/format.sh           rewrite every tracked .cpp/.hpp in place
#   tools/dev/format.sh --check   change nothing; list unformatted files, exit 1 if any (CI)
# The style is pinned to Debian bookworm's clang-format 14: other versions
# format some constructs differently, so --check says which version ran.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
clang_format=${CLANG_FORMAT:-clang-format}
mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' '*.c' '*.h')
if [ "${1:-}" = --check ]; then
  bad=()
  for f in "${files[@]}"; do
    "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if [ ${#bad[@]} -gt 0 ]; then
    echo "format: not formatted ($("$clang_format" --version)):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    echo "format: run tools/dev/format.sh to fix" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files formatted"
else
  "$clang_format" -i "${files[@]}"
fi
