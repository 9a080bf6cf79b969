#!/usr/bin/env bash
# Runs real keepalived -t and vipd -t side by side over every corpus config, inside a namespace that
# has the interfaces the files name, and fails where vipd's exit code differs or where keepalived
# complains about a line that vipd says nothing about.
# Usage: corpus_compare.sh VIPD DIR...   (each DIR's files are checked; README/SOURCE/EXPECTED skipped)
set -uo pipefail

vipd=$(readlink -f "$1"); shift
keepalived=${KEEPALIVED:-$(command -v keepalived || echo /usr/sbin/keepalived)}

if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root for network namespaces"; exit 77; fi
if [ ! -x "$keepalived" ]; then echo "SKIP: keepalived is not installed (scripts/setup installs it)"; exit 77; fi
if ! ip netns add "vipd-corpus-$$" 2>/dev/null; then echo "SKIP: cannot create network namespaces here"; exit 77; fi
ns="vipd-corpus-$$"
work=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# The interfaces the corpus names: eth0-eth3 (keepalived's samples), ens33 and eth1 (the seeds), eth0.1.
n=0
for ifname in eth0 eth1 eth2 eth3 ens33 eth0.1; do
  ip -n "$ns" link add "$ifname" type veth peer name "cp$n" && n=$((n + 1))
done

pass=0; fail=0
for dir in "$@"; do
  for f in "$dir"/*; do
    case "$(basename "$f")" in README*|SOURCE*|EXPECTED*|DIVERGENCES*|*.md) continue ;; esac
    [ -f "$f" ] || continue
    b=$(basename "$f")
    # Both run from the file's folder, as the corpus README says keepalived is judged.
    (cd "$(dirname "$f")" && ip netns exec "$ns" timeout 30 "$keepalived" -t -n -l -f "$b") >"$work/k.out" 2>&1
    krc=$?
    (cd "$(dirname "$f")" && ip netns exec "$ns" timeout 30 "$vipd" -t -f "$b") >"$work/v.out" 2>&1
    vrc=$?
    klines=$(grep -oE 'Line [0-9]+\)' "$work/k.out" | grep -oE '[0-9]+' | sort -un | tr '\n' ' ')
    vlines=$(grep -oE "^[^:]*:[0-9]+:" "$work/v.out" | grep -oE ':[0-9]+:' | tr -d ':' | sort -un | tr '\n' ' ')
    missing=""
    for l in $klines; do
      case " $vlines " in *" $l "*) ;; *) missing="$missing $l" ;; esac
    done
    # A listed divergence: keepalived crashes or kills itself on this file; vipd's own verdict is fixed.
    want=$krc; why=""
    if [ -f "$dir/DIVERGENCES.txt" ]; then
      read -r _ dk dv why < <(grep -E "^$b " "$dir/DIVERGENCES.txt" || true)
      if [ -n "${dk:-}" ] && [ "$dk" = "$krc" ]; then want=$dv; missing=""; else why=""; fi
    fi
    if [ "$want" -eq "$vrc" ] && [ -z "$missing" ]; then
      pass=$((pass + 1)); echo "PASS $f (exit $vrc${why:+; keepalived exit $krc: $why})"
    else
      fail=$((fail + 1))
      echo "FAIL $f: keepalived exit $krc, vipd exit $vrc${missing:+; lines keepalived complains about that vipd does not:$missing}"
      sed 's/^/    keepalived| /' "$work/k.out" | sort -u | head -20
      sed 's/^/    vipd      | /' "$work/v.out" | head -20
    fi
  done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
