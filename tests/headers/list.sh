#!/usr/bin/env bash
# The headers that must compile alone, one per line, sorted: every .h under conf/, control/,
# dataplane/ and (once it has C++ headers) bpf/. Run at configure time to list them, and as the
# `headers_listed` test to see that the list the build was configured with is still the tree's.
# Usage: list.sh SOURCE_ROOT [CONFIGURED_LIST...]
set -euo pipefail
cd "$1"
shift
now=$(find conf control dataplane bpf -name '*.h' -type f 2>/dev/null | LC_ALL=C sort)
if [ $# -eq 0 ]; then
  echo "$now"
  exit 0
fi
configured=$(printf '%s\n' "$@" | LC_ALL=C sort)
if [ "$now" != "$configured" ]; then
  echo "headers: the tree's headers differ from those the build checks; run meson setup --reconfigure:"
  diff <(echo "$configured") <(echo "$now") || true
  exit 1
fi
echo "headers: $(echo "$now" | wc -l) headers, each compiled as the only include of a translation unit"
