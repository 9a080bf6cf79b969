#!/usr/bin/env bash
# Runs real keepalived -t and vipd -t side by side over every corpus config, inside a namespace that
# has the interfaces the files name, and fails where the two disagree: the exit code; a line (file and
# line number) only one of them complains about; the class of the complaint on a line both name
# (log-only, 4 cannot run, 5 config error, 6 security, 2 missing value); a complaint keepalived makes
# without a line (validation) that vipd does not make, or one vipd makes without a line that keepalived
# does not. The few deliberate differences are the allow-list below.
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

# Deliberate differences, one per line: "FILE KIND WHERE" as the comparison prints it, each with its
# reason and the conf/JUDGEMENTS.md section. An entry that no longer matches anything fails the run, so
# the list cannot outlive the difference. (Exit codes where keepalived crashes or kills itself are in
# each folder's DIVERGENCES.txt.) Empty today: vipd's other deliberate differences (an HTTP_GET/SSL_GET
# without url, where keepalived segfaults, JUDGEMENTS.md sections 2 and 5.7; a missing -f file, exit 4
# where keepalived says 0, section 2) are in no corpus file or probe, since keepalived gives no verdict
# to compare there. Entry format: 'FILE KIND WHERE  # reason (JUDGEMENTS.md section)'.
allowed=(
)

# The comparison of one file's two outputs (the last line of each is the exit code).
cat >"$work/compare.py" <<'PY'
import re, sys
kout, vout, main = sys.argv[1:4]

def klass(text):  # keepalived's error class for a message (conf/JUDGEMENTS.md section 2)
    if text.startswith("SECURITY VIOLATION"):
        return 6
    if "is missing a parameter after keyword" in text:
        return 2
    if re.search(r"unknown interface \S+ specified for linkbeat interface", text):
        return 4
    if re.search(r"Config files missing|is a directory - skipping|not a regular non-executable file", text):
        return 0  # log-only
    return 5

def norm(f):
    while f.startswith("./"):
        f = f[2:]
    return f

def rows(path, parse):
    lines = open(path, encoding="utf-8", errors="replace").read().splitlines()[:-1]
    return [r for r in map(parse, lines) if r]

def parse_k(l):  # "(Line N) m" (main file, first pass), "(FILE: Line N) m", or "m" (no line)
    m = re.match(r"^\((?:(.+?): )?Line (\d+)\) (.*)$", l)
    if m:
        return (norm(m.group(1) or main), int(m.group(2)), klass(m.group(3)), m.group(3))
    if not l.strip() or l == "Terminated":
        return None
    return ("", 0, klass(l), l)

VSEV = {"info": 0, "warning": 5, "error": 5, "security": 6, "fatal": 4}
def parse_v(l):  # "FILE:LINE:COL: severity: m" or "FILE: severity: m"
    m = re.match(r"^(.*?):(\d+):\d+: (\w+): (.*)$", l) or re.match(r"^(.*?)(): (\w+): (.*)$", l)
    if not m or m.group(3) not in VSEV:
        return ("?", 0, 5, l)  # output vipd should not print
    c = 2 if "is missing a parameter after keyword" in m.group(4) else VSEV[m.group(3)]
    return (norm(m.group(1)) if m.group(2) else "", int(m.group(2) or 0), c, m.group(4))

K, V = rows(kout, parse_k), rows(vout, parse_v)
def by_line(rs):
    d = {}
    for f, n, c, t in rs:
        if n and c:
            d[(f, n)] = max(d.get((f, n), 0), c)
    return d
kl, vl = by_line(K), by_line(V)
def same(a, b):  # vipd may add detail ("- removing instance") to keepalived's text
    a, b = a.rstrip("."), b.rstrip(".")
    return a in b or b in a
kfree = [t for f, n, c, t in K if not n and c]
out = []
for key in sorted(kl):
    if key not in vl:
        out.append(f"keepalived-only {key[0]}:{key[1]}\t")
    elif kl[key] != vl[key]:
        out.append(f"class {key[0]}:{key[1]}\tkeepalived {kl[key]}, vipd {vl[key]}")
for key in sorted(vl):
    texts = [t for f, n, c, t in V if (f, n) == key and c]
    # vipd puts a line on some validation messages that keepalived prints without one.
    if key not in kl and not all(any(same(t, k) for k in kfree) for t in texts):
        out.append(f"vipd-only {key[0]}:{key[1]}\t")
for k in sorted(set(kfree)):
    if not any(same(k, t) for f, n, c, t in V if c):
        out.append(f"keepalived-only-message {k}\t")
for f, n, c, t in V:
    if not n and c and not any(same(t, k) for kf, kn, kc, k in K if kc):
        out.append(f"vipd-only-message {t}\t")
print("\n".join(out))
PY

pass=0; fail=0; used=" "
for dir in "$@"; do
  for f in "$dir"/*; do
    case "$(basename "$f")" in README*|SOURCE*|EXPECTED*|DIVERGENCES*|*.md) continue ;; esac
    [ -f "$f" ] || continue
    b=$(basename "$f")
    # Both run from the file's folder, as the corpus README says keepalived is judged.
    (cd "$(dirname "$f")" && ip netns exec "$ns" timeout 30 "$keepalived" -t -n -l -f "$b") >"$work/k.out" 2>&1
    krc=$?
    echo "$krc" >>"$work/k.out"
    (cd "$(dirname "$f")" && ip netns exec "$ns" timeout 30 "$vipd" -t -f "$b") >"$work/v.out" 2>&1
    vrc=$?
    echo "$vrc" >>"$work/v.out"
    diffs=""
    while IFS= read -r d; do
      [ -n "$d" ] || continue
      tag="$b ${d%%$'\t'*}"; d=${d//$'\t'/ }
      allow=""
      for a in "${allowed[@]}"; do [ "${a%%  #*}" = "$tag" ] && allow=$a; done
      if [ -n "$allow" ]; then
        used="$used${allow%%  #*}|"; echo "    allowed: $d  (${allow#*  # })"
      else
        diffs="$diffs"$'\n'"    $d"
      fi
    done < <(python3 "$work/compare.py" "$work/k.out" "$work/v.out" "$b")
    # A listed divergence: keepalived crashes or kills itself on this file; vipd's own verdict is fixed.
    want=$krc; why=""
    if [ -f "$dir/DIVERGENCES.txt" ]; then
      read -r _ dk dv why < <(grep -E "^$b " "$dir/DIVERGENCES.txt" || true)
      if [ -n "${dk:-}" ] && [ "$dk" = "$krc" ]; then want=$dv; else why=""; fi
    fi
    if [ "$want" -eq "$vrc" ] && [ -z "$diffs" ]; then
      pass=$((pass + 1)); echo "PASS $f (exit $vrc${why:+; keepalived exit $krc: $why})"
    else
      fail=$((fail + 1))
      echo "FAIL $f: keepalived exit $krc, vipd exit $vrc (want $want)${diffs:+; differences:}$diffs"
      sed '$d; s/^/    keepalived| /' "$work/k.out" | sort -u | head -20
      sed '$d; s/^/    vipd      | /' "$work/v.out" | head -20
    fi
  done
done
for a in "${allowed[@]}"; do
  case "$used" in *"${a%%  #*}|"*) ;; *) fail=$((fail + 1)); echo "FAIL allow-list entry matched nothing: $a" ;; esac
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
