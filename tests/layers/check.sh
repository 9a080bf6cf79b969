#!/usr/bin/env bash
# The tree's layering, read from the #include lines (issue 12): every arrow points down.
#   conf/                   includes only conf/
#   dataplane/wire/         includes only dataplane/wire/
#   dataplane/fwd/          the shared model: conf/, dataplane/fwd/, dataplane/wire/ (no dataplane's own part)
#   */datapath/, bpf/datapath/  the packet paths: never control/, never a control-thread part
#   control/ (but app/)     never a concrete dataplane (dataplane/dpdk/, bpf/): only the seam's model
#   control/app/            the composition root: included by nothing; the only VIPD_HAVE_* user
# and no source file outside tests/ longer than 800 lines. Prints every violation; exits 1 if any.
set -uo pipefail
cd "${1:-$(dirname "$0")/../..}"
fail=0
violation() { echo "layers: $*"; fail=1; }

# file → the project includes it names ("a/b.h"), one per line
includes() { sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"; }

sources=$(find conf control dataplane bpf -type f \( -name '*.h' -o -name '*.cc' -o -name '*.c' \) | sort)
for f in $sources; do
  for inc in $(includes "$f"); do
    case "$inc" in */*) ;; *) continue ;; esac  # same-folder includes (generated skeletons) are local
    case "$f" in
      conf/*)
        [[ $inc == conf/* ]] || violation "$f includes $inc (conf/ is pure: conf/ only)" ;;
      dataplane/wire/*)
        [[ $inc == dataplane/wire/* ]] || violation "$f includes $inc (wire/ depends on nothing)" ;;
      dataplane/fwd/*)
        [[ $inc == conf/* || $inc == dataplane/fwd/* || $inc == dataplane/wire/* ]] ||
          violation "$f includes $inc (the shared model depends on conf/ alone)" ;;
      dataplane/dpdk/datapath/*|bpf/datapath/*)
        [[ $inc == control/* || $inc == dataplane/dpdk/control/* || $inc == bpf/control/* ]] &&
          violation "$f includes $inc (a packet path never includes control-thread code)" ;;
      control/app/*) ;;
      control/*)
        [[ $inc == dataplane/dpdk/* || $inc == bpf/* ]] &&
          violation "$f includes $inc (control knows the Dataplane seam, not a dataplane)" ;;
    esac
    [[ $inc == control/app/* ]] && violation "$f includes $inc (nothing includes the composition root)"
  done
  if grep -q 'VIPD_HAVE_' "$f" && [[ $f != control/app/* ]]; then
    violation "$f tests VIPD_HAVE_* (only the composition root knows which dataplanes were built)"
  fi
  lines=$(wc -l < "$f")
  [ "$lines" -le 800 ] || violation "$f has $lines lines (over 800: split it by job)"
done
[ "$fail" = 0 ] && echo "layers: $(echo "$sources" | wc -w) files, every include points down"
exit "$fail"
