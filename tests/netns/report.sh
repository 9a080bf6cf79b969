# shellcheck shell=bash
# Results and preconditions of the namespace test scripts (lib.sh sources it; scripts that keep their
# own process bookkeeping source it alone): sourced, not run.
#   ok MSG; ko MSG; note MSG; check MSG CMD...; check_quiet MSG CMD... (CMD's output dropped)
#   lib_summary     prints "N passed, M failed"; succeeds only when M = 0 and N > 0
#   lib_skip MSG (exit 77: the capability is missing); lib_die MSG (exit 1)
#   lib_require_root; lib_require_netns    each skips when the machine lacks the capability
#   lib_require_cmds CMD...                fails when a tool is missing: scripts/setup installs them all

LIB_PASS=0
LIB_FAIL=0

# ---- results -----------------------------------------------------------------------------------

ok() { LIB_PASS=$((LIB_PASS + 1)); echo "ok   - $*"; }
ko() { LIB_FAIL=$((LIB_FAIL + 1)); echo "FAIL - $*"; }
note() { echo "     # $*"; }
check() {  # check DESCRIPTION CMD...: passes when CMD succeeds
  local d=$1
  shift
  if "$@"; then ok "$d"; else ko "$d"; fi
}
check_quiet() {  # check_quiet DESCRIPTION CMD...: as check, CMD's output dropped
  local d=$1
  shift
  if "$@" >/dev/null 2>&1; then ok "$d"; else ko "$d"; fi
}
lib_summary() {
  echo "$LIB_PASS passed, $LIB_FAIL failed"
  [ "$LIB_FAIL" -eq 0 ] && [ "$LIB_PASS" -gt 0 ]
}

lib_skip() { echo "SKIP: $*"; exit 77; }
lib_die() { echo "ERROR: $*" >&2; exit 1; }

# ---- preconditions -----------------------------------------------------------------------------

lib_require_root() { [ "$(id -u)" -eq 0 ] || lib_skip "$(basename "$0") needs root (network namespaces)"; }
lib_require_cmds() {
  local c
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || lib_die "$c not installed (scripts/setup installs it)"; done
}
lib_require_netns() {
  local probe="${LAB_NAME:-lib}-probe-$$"
  ip netns add "$probe" >/dev/null 2>&1 || lib_skip "cannot create network namespaces here"
  ip netns del "$probe" >/dev/null 2>&1 || true
}
