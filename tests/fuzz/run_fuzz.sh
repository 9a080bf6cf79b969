#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time over seed folders; fails on any crash, leak or timeout.
# Usage: run_fuzz.sh FUZZER SECONDS WORKDIR SEEDDIR...
set -euo pipefail
fuzzer=$1; seconds=$2; work=$3; shift 3
mkdir -p "$work"
seeds=()
for d in "$@"; do
  [ -d "$d" ] || continue
  while IFS= read -r -d '' f; do seeds+=("$f"); done < <(find "$d" -type f -print0)
done
n=0
for f in "${seeds[@]}"; do n=$((n + 1)); cp -f "$f" "$work/seed-$n-$(basename "$f")"; done
# libFuzzer reports a crash with exit 77 by default, which meson reads as "skipped": make it 1.
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -error_exitcode=1 -timeout_exitcode=1 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$work/" "$work"
