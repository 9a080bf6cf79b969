#!/usr/bin/env bash
# vipd against vipd on the namespace LAN (scripts/lab, prefix vvip): two kernel-mode vipd processes in
# vvip-lb1 and vvip-lb2 run small generated configs and must elect, fail over, preempt (or not), follow
# track scripts and sync groups, call notify scripts, and reload, as keepalived does. Every wait is for
# an event (a log line, an address, a counter) under a deadline. Exit 77 = skipped (not root / no netns).
# Checks assert what happened and in which order; the deadlines are generous (a loaded 2-core box) and
# the times measured are printed as `# note` lines only: timing bounds belong to bench/.
#
#   CASES="basic reload"  run only these cases (default: all)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
NAME=vvip
# The lab (NET, IF, VIP, LB2), LAB, VIPD, T0, tmp; PID/LOG/STATS by key, start_vipd, wait_log,
# wait_vip, stats, show_logs, the cleanup at exit.
# shellcheck source=tests/netns/vipd_pair.sh
source "$(dirname "${BASH_SOURCE[0]}")/vipd_pair.sh"
VIP2=$NET.101
VIP9=$NET.109
MARGIN_MS=${MARGIN_MS:-5000}  # slack on top of the protocol's own bounds: deadlines, not assertions

# signal_vipd KEY SIG: sends SIG and, for TERM/KILL, waits (5 s) for the exit; EXIT_RC gets the status
signal_vipd() {
  local key=$1 sig=$2 p=${PID[$1]:-} i
  EXIT_RC=
  [ -n "$p" ] || return 1
  case $sig in TERM | KILL) ;; *) kill "-$sig" "$p" 2>/dev/null; return ;; esac
  # stderr off for the whole block: bash reports a job killed by a signal ("Killed") when it reaps it
  {
    kill "-$sig" "$p" || return 1
    for ((i = 0; i < 100; i++)); do alive "$p" || break; sleep 0.05; done
    if alive "$p"; then return 1; fi
    wait "$p"; EXIT_RC=$?
  } 2>/dev/null
  PID[$key]=
  return 0
}
stop_all() {
  local k
  for k in "${!PID[@]}"; do
    if [ -n "${PID[$k]}" ]; then signal_vipd "$k" TERM || { end_pid "${PID[$k]}"; PID[$k]=; }; fi
  done
  local v
  for k in lb1 lb2; do for v in "$VIP" "$VIP2" "$VIP9"; do ip -n "$NAME-$k" addr del "$v/24" dev "$IF" 2>/dev/null; done; done
  rm -f "$tmp/flag"
  return 0
}

# log_before KEY LINES A B: after line LINES of KEY's log, A appears and comes before the first B
log_before() {
  log_since "$1" "$2" | awk -v a="$3" -v b="$4" 'index($0, a) && !sa { sa = NR } index($0, b) && !sb { sb = NR }
                                                END { exit !(sa && sb && sa < sb) }'
}
note() { echo "# note: $*"; }
# wait_grep FILE REGEX MS: until a line of FILE matches REGEX (files the notify scripts write)
wait_grep() {
  local f=$1 re=$2 ms=$3 end i
  end=$(($(now_ms) + ms))
  for ((i = 0; i < ms / 20 + 10; i++)); do
    grep -qE -- "$re" "$f" 2>/dev/null && return 0
    [ "$(now_ms)" -ge "$end" ] && break
    sleep 0.02
  done
  grep -qE -- "$re" "$f" 2>/dev/null
}
wait_until_ms() {  # wait_until_ms MS CMD...: CMD succeeds within MS
  local deadline=$(($(now_ms) + $1))
  shift
  until "$@"; do [ "$(now_ms)" -lt "$deadline" ] || return 1; sleep 0.05; done
}
vips_of() { ip -n "$NAME-$1" -o -4 addr show dev "$IF" | awk '{ print $4 }' | paste -sd ' '; }  # for messages
holds_only() {  # holds_only NODE ADDR: NODE has ADDR, the other lb does not
  local other=lb2
  [ "$1" = lb2 ] && other=lb1
  has_vip "$1" "$2" && ! has_vip "$other" "$2"
}

counter() { stats "$1" | awk -F= -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print "" }'; }  # counter KEY SECTION.FIELD
# wait_stat KEY SECTION.FIELD MIN MS: until the counter reaches MIN
wait_stat() {
  local key=$1 field=$2 min=$3 ms=$4 end i v
  end=$(($(now_ms) + ms))
  for ((i = 0; i < ms / 100 + 5; i++)); do
    v=$(counter "$key" "$field")
    [ -n "$v" ] && [ "$v" -ge "$min" ] && return 0
    [ "$(now_ms)" -ge "$end" ] && return 1
    sleep 0.1
  done
  return 1
}


# ---- configs -------------------------------------------------------------------------------------
# instance NAME VRID PRIORITY VIP [LINE...]: a vrrp_instance on ens33, state BACKUP, advert_int 1 unless a
# LINE sets it; each LINE goes inside the block as written.
instance() {
  local name=$1 vrid=$2 prio=$3 vip=$4 l adv=1
  shift 4
  for l in "$@"; do case $l in advert_int*) adv=0 ;; esac; done
  printf 'vrrp_instance %s {\n    state BACKUP\n    interface %s\n    virtual_router_id %s\n    priority %s\n' \
    "$name" "$IF" "$vrid" "$prio"
  if [ $adv -eq 1 ]; then printf '    advert_int 1\n'; fi
  for l in "$@"; do printf '    %s\n' "$l"; done
  printf '    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$vip"
}
# vrrp_script NAME [WEIGHT]: `test -f $tmp/flag` every second; no WEIGHT = keepalived's 0 (FAULT)
vrrp_script() {
  printf 'vrrp_script %s {\n    script "test -f %s/flag"\n    interval 1\n' "$1" "$tmp"
  if [ -n "${2:-}" ]; then printf '    weight %s\n' "$2"; fi
  printf '}\n'
}

# rec.sh FILE ARGS...: appends ARGS as one line to FILE (the notify scripts' recorder)
cat >"$tmp/rec.sh" <<'EOF'
#!/bin/sh
f=$1
shift
echo "$*" >>"$f"
EOF
chmod 755 "$tmp/rec.sh"

# Master-down interval of RFC 3768 / 5798 (3 x interval + skew), in ms, for a priority and an interval.
master_down_ms() { echo $((3 * $2 + (256 - $1) * $2 / 256)); }
skew_ms() { echo $(((256 - $1) * $2 / 256)); }

# ==================================================================================================
"$LAB" down --name "$NAME" >/dev/null 2>&1 || true  # a leftover from an interrupted run
if "$LAB" up --name "$NAME" >/dev/null; then ok "lab up --name $NAME"; else ko "lab up --name $NAME"; exit 1; fi

# ---- election, failover on SIGKILL, preempt, clean SIGTERM ---------------------------------------
case_basic() {
  echo "# election / SIGKILL failover / preempt / SIGTERM handover (v2, advert_int 1, 150 vs 100)"
  instance VI_1 51 150 "$VIP" >"$tmp/basic-lb1.conf"
  instance VI_1 51 100 "$VIP" >"$tmp/basic-lb2.conf"
  start_vipd lb1 lb1 "$tmp/basic-lb1.conf" && start_vipd lb2 lb2 "$tmp/basic-lb2.conf" || { ko "start vipd pair"; return; }
  if wait_log lb1 "(VI_1) Entering MASTER STATE" 8000 && wait_vip lb1 "$VIP" 5000; then
    ok "election: priority 150 becomes MASTER"
  else
    ko "election: priority 150 becomes MASTER"; show_logs lb1 lb2; return
  fi
  check "election: lb2 entered BACKUP (init)" wait_log lb2 "(VI_1) Entering BACKUP STATE (init)" 5000
  check "election: only lb1 holds $VIP" holds_only lb1 "$VIP"
  check "election: lb2 never entered MASTER" test "$(log_count lb2 'Entering MASTER')" -eq 0
  check "election: lb2's statistics say BACKUP" test "$(counter lb2 VI_1.state)" = BACKUP
  # The backup must have heard the master before the kill, or its timer is still the init one.
  wait_stat lb2 VI_1.Advertisements_accepted 1 5000 || { ko "basic (precondition): lb2 hears lb1's adverts"; show_logs lb1 lb2; return; }

  local t off
  off=$(log_lines lb2)
  t=$(now_ms)
  signal_vipd lb1 KILL
  ip -n "$NAME-lb1" addr del "$VIP/24" dev "$IF" 2>/dev/null  # kernel mode leaves it behind on SIGKILL
  if wait_vip lb2 "$VIP" $(($(master_down_ms 100 1000) + MARGIN_MS)); then
    ok "SIGKILL failover: lb2 takes $VIP"
    note "SIGKILL failover: lb2 held $VIP $(($(now_ms) - t)) ms after the kill (master-down $(master_down_ms 100 1000) ms)"
  else
    ko "SIGKILL failover: lb2 takes $VIP"; show_logs lb2; return
  fi
  check "SIGKILL failover: lb2 logs the advert timeout, then Entering MASTER" eval \
    "wait_log lb2 '(VI_1) Entering MASTER STATE' 5000 && log_before lb2 $off '(VI_1) Receive advertisement timeout' '(VI_1) Entering MASTER STATE'"

  start_vipd lb1 lb1 "$tmp/basic-lb1.conf" || { ko "restart lb1"; return; }
  # lb1 starts as BACKUP, discards lb2's lower priority adverts and takes over at its master-down time.
  if wait_vip lb1 "$VIP" $(($(master_down_ms 150 1000) + MARGIN_MS)) && wait_vip lb2 "$VIP" 5000 absent; then
    ok "preempt: restarted lb1 (150) takes $VIP back from lb2 (100) (lb2 released it $WAITED ms later)"
  else
    ko "preempt: restarted lb1 takes $VIP back"; show_logs lb1 lb2; return
  fi
  check "preempt: lb1 discarded the lower priority adverts first" \
    wait_log lb1 "(VI_1) received lower priority (100) advert from $LB2 - discarding" 5000
  check "preempt: lb2 logged Entering BACKUP STATE" wait_log lb2 "(VI_1) Entering BACKUP STATE" 5000 2
  check "preempt: only lb1 holds $VIP" holds_only lb1 "$VIP"

  off=$(log_lines lb2)
  t=$(now_ms)
  signal_vipd lb1 TERM
  local rc=$EXIT_RC
  if wait_vip lb2 "$VIP" $(($(skew_ms 100 1000) + MARGIN_MS)); then
    ok "SIGTERM: lb2 takes $VIP"
    note "SIGTERM: lb2 held $VIP $(($(now_ms) - t)) ms after the signal (skew $(skew_ms 100 1000) ms)"
  else
    ko "SIGTERM: lb2 takes $VIP"; show_logs lb1 lb2
  fi
  check "SIGTERM: lb1 exited 0 (got ${rc:-none})" test "${rc:-x}" = 0
  check "SIGTERM: lb1 released $VIP" eval "! has_vip lb1 $VIP"
  check "SIGTERM: lb1 logged 'sent 0 priority'" wait_log lb1 "(VI_1) sent 0 priority" 5000
  # The hand-over follows the priority 0 advert: heard first, then MASTER.
  check "SIGTERM: lb2 heard the priority 0 advert, then entered MASTER" eval \
    "wait_log lb2 '(VI_1) Entering MASTER STATE' 5000 2 && log_before lb2 $off '(VI_1) Backup received priority 0 advertisement' '(VI_1) Entering MASTER STATE'"
}

# ---- SIGTERM hand-over: at once with a sole unicast peer, after the skew time with multicast ---------
# sigterm_handover MODE: lb1 (150) gets SIGTERM as master; TOOK = ms from the signal until lb2 holds VIP
sigterm_handover() {
  local mode=$1 n prio me peer lines
  for n in lb1 lb2; do
    prio=100 me=$NET.11 peer=$NET.10
    if [ $n = lb1 ]; then prio=150 me=$NET.10 peer=$NET.11; fi
    lines=()
    if [ "$mode" = ucast ]; then lines=("unicast_src_ip $me" "unicast_peer {" "    $peer" "}"); fi
    instance VI_1 51 "$prio" "$VIP" "${lines[@]}" >"$tmp/st-$mode-$n.conf"
  done
  TOOK=
  start_vipd lb1 lb1 "$tmp/st-$mode-lb1.conf" && start_vipd lb2 lb2 "$tmp/st-$mode-lb2.conf" || { ko "$mode: start vipd pair"; return 1; }
  wait_vip lb1 "$VIP" 8000 || { ko "$mode: lb1 becomes MASTER"; show_logs lb1 lb2; return 1; }
  wait_stat lb2 VI_1.Advertisements_accepted 2 5000 || { ko "$mode: lb2 hears lb1"; show_logs lb2; return 1; }
  local t p=${PID[lb1]}
  t=$(now_ms)
  kill -TERM "$p"
  if wait_vip lb2 "$VIP" $((1000 + MARGIN_MS)); then TOOK=$(($(now_ms) - t)); ok "$mode: lb2 takes $VIP after SIGTERM of lb1"
  else ko "$mode: lb2 takes $VIP after SIGTERM"; show_logs lb1 lb2; return 1; fi
  signal_vipd lb1 TERM  # reaps it (already exiting)
  check "$mode: lb2 heard the priority 0 advert, then entered MASTER" eval \
    "wait_log lb2 '(VI_1) Entering MASTER STATE' 5000 && log_before lb2 0 '(VI_1) Backup received priority 0 advertisement' '(VI_1) Entering MASTER STATE'"
  check "$mode: lb1 released $VIP" wait_vip lb1 "$VIP" 5000 absent
  return 0
}
case_sigterm_handover() {
  local skew
  skew=$(skew_ms 100 1000)
  echo "# SIGTERM hand-over, v2 advert_int 1, lb2 at priority 100 (skew $skew ms): unicast with one peer at once, multicast after the skew"
  # How soon (at once with a sole peer, after the skew time otherwise) is for bench/failover_bench.sh.
  if sigterm_handover ucast; then note "ucast, sole peer: lb2 held $VIP ${TOOK} ms after SIGTERM of lb1 (skew $skew ms)"; fi
  stop_all
  if sigterm_handover mcast; then note "mcast: lb2 held $VIP ${TOOK} ms after SIGTERM of lb1 (skew $skew ms)"; fi
}

# ---- nopreempt -----------------------------------------------------------------------------------
case_nopreempt() {
  echo "# nopreempt: a higher priority joining a running master stays BACKUP"
  instance VI_1 51 150 "$VIP" nopreempt >"$tmp/np-lb1.conf"
  instance VI_1 51 100 "$VIP" >"$tmp/np-lb2.conf"
  start_vipd lb2 lb2 "$tmp/np-lb2.conf" || { ko "start lb2"; return; }
  wait_vip lb2 "$VIP" 8000 || { ko "nopreempt: lb2 alone becomes MASTER"; show_logs lb2; return; }
  start_vipd lb1 lb1 "$tmp/np-lb1.conf" || { ko "start lb1"; return; }
  wait_log lb1 "(VI_1) Entering BACKUP STATE (init)" 5000 || { ko "nopreempt: lb1 starts as BACKUP"; show_logs lb1; return; }
  # Watch until lb1 has heard 5 adverts (> its 3.4 s master-down interval): lb2 must keep the VIP.
  local i held=1 heard=0 v
  for ((i = 0; i < 60; i++)); do
    holds_only lb2 "$VIP" || held=0
    v=$(counter lb1 VI_1.Advertisements_accepted)
    if [ -n "$v" ] && [ "$v" -ge 5 ]; then heard=1; break; fi
    sleep 0.2
  done
  check "nopreempt: lb1 heard lb2's adverts for more than its master-down interval" test $heard -eq 1
  check "nopreempt: lb2 (100) kept $VIP while lb1 (150, nopreempt) ran" test $held -eq 1
  check "nopreempt: lb1 never entered MASTER" test "$(log_count lb1 'Entering MASTER')" -eq 0
  check "nopreempt: lb1's statistics say BACKUP" test "$(counter lb1 VI_1.state)" = BACKUP
}

# ---- preempt_delay -------------------------------------------------------------------------------
case_preempt_delay() {
  local delay=3
  echo "# preempt_delay $delay: the higher priority takes over no earlier than the delay"
  instance VI_1 51 150 "$VIP" "preempt_delay $delay" >"$tmp/pd-lb1.conf"
  instance VI_1 51 100 "$VIP" >"$tmp/pd-lb2.conf"
  start_vipd lb2 lb2 "$tmp/pd-lb2.conf" || { ko "start lb2"; return; }
  wait_vip lb2 "$VIP" 8000 || { ko "preempt_delay: lb2 alone becomes MASTER"; show_logs lb2; return; }
  local t
  t=$(now_ms)
  start_vipd lb1 lb1 "$tmp/pd-lb1.conf" || { ko "start lb1"; return; }
  # lb1 keeps accepting lb2's adverts until the delay is over, then its master-down timer runs out.
  # First advert heard within 1 s of the start; the delay; the master-down interval; vipd's start-up.
  # A lower bound only (a loaded box makes it later, never earlier): not before the delay is over.
  if wait_vip lb1 "$VIP" $((delay * 1000 + 1000 + $(master_down_ms 150 1000) + MARGIN_MS)); then
    local took=$(($(now_ms) - t))
    check "preempt_delay: lb1 took $VIP no earlier than ${delay}000 ms after its start" test "$took" -ge $((delay * 1000))
    note "preempt_delay: lb1 took $VIP ${took} ms after its start (delay ${delay}000 + master-down $(master_down_ms 150 1000))"
  else
    ko "preempt_delay: lb1 takes $VIP at all"; show_logs lb1 lb2; return
  fi
  check "preempt_delay: lb2 released $VIP" wait_vip lb2 "$VIP" 5000 absent
}

# sync_pair PREFIX WEIGHT GROUP_LINE: lb1 and lb2 started on PREFIX-lb1.conf / PREFIX-lb2.conf, sync
# group G1 of VI_1 (vrid 51, VIP) and VI_2 (52, VIP2); lb1 at 150 with VI_1 tracking script chk (of
# WEIGHT; none if empty; the flag made), lb2 at 100; GROUP_LINE in the group, NODE in it replaced by
# the node's name. Fails if either does not start.
sync_pair() {
  local prefix=$1 weight=$2 line=$3 n
  for n in lb1 lb2; do
    local prio=100 track=()
    if [ $n = lb1 ]; then prio=150; track=("track_script {" "    chk" "}"); fi
    {
      printf 'vrrp_sync_group G1 {\n    group {\n        VI_1\n        VI_2\n    }\n    %s\n}\n' "${line//NODE/$n}"
      if [ $n = lb1 ]; then vrrp_script chk "$weight"; fi
      instance VI_1 51 "$prio" "$VIP" "${track[@]}"
      instance VI_2 52 "$prio" "$VIP2"
    } >"$tmp/$prefix-$n.conf"
  done
  touch "$tmp/flag"
  start_vipd lb1 lb1 "$tmp/$prefix-lb1.conf" && start_vipd lb2 lb2 "$tmp/$prefix-lb2.conf"
}

# ---- sync group ----------------------------------------------------------------------------------
case_sync_group() {
  echo "# vrrp_sync_group: VI_1 ($VIP, vrid 51) and VI_2 ($VIP2, vrid 52) move together when VI_1's track_script fails"
  sync_pair sg "" "notify \"$tmp/rec.sh $tmp/group-NODE.out\"" || { ko "start vipd pair"; return; }
  if wait_vip lb1 "$VIP" 8000 && wait_vip lb1 "$VIP2" 5000; then ok "sync group: lb1 holds both VIPs"
  else ko "sync group: lb1 holds both VIPs"; show_logs lb1 lb2; return; fi
  check "sync group: lb2 holds neither" eval "! has_vip lb2 $VIP && ! has_vip lb2 $VIP2"
  wait_stat lb2 VI_2.Advertisements_accepted 1 5000 || { ko "sync group (precondition): lb2 hears lb1's VI_2"; show_logs lb1 lb2; return; }

  rm -f "$tmp/flag"
  local bound=$((1000 + $(skew_ms 100 1000) + 1000 + MARGIN_MS))
  if wait_vip lb2 "$VIP" "$bound" && wait_vip lb2 "$VIP2" 5000; then
    ok "sync group: VI_1's script fails -> lb2 holds both VIPs (in ${WAITED} ms after VI_1's)"
  else
    ko "sync group: VI_1's script fails -> lb2 holds both VIPs"; show_logs lb1 lb2; return
  fi
  check "sync group: lb1 released both VIPs" eval "wait_vip lb1 $VIP 5000 absent && wait_vip lb1 $VIP2 5000 absent"
  check "sync group: lb1 VI_1 entered FAULT" wait_log lb1 "(VI_1) Entering FAULT STATE" 5000
  check "sync group: lb1 VI_2 followed into FAULT" wait_log lb1 "(VI_2) Entering FAULT STATE" 5000
  check "sync group: lb2 VI_1 and VI_2 entered MASTER" eval 'wait_log lb2 "(VI_1) Entering MASTER STATE" 5000 && wait_log lb2 "(VI_2) Entering MASTER STATE" 5000'
  check "sync group: group notify on lb1 'GROUP G1 FAULT ...'" wait_grep "$tmp/group-lb1.out" '^GROUP G1 FAULT ' 5000
  check "sync group: group notify on lb2 'GROUP G1 MASTER ...'" wait_grep "$tmp/group-lb2.out" '^GROUP G1 MASTER ' 5000

  touch "$tmp/flag"
  bound=$((1000 + $(master_down_ms 150 1000) + 1000 + MARGIN_MS))
  if wait_vip lb1 "$VIP" $((bound + 2000)) && wait_vip lb1 "$VIP2" 5000; then
    ok "sync group: script recovers -> lb1 takes both VIPs back"
  else
    ko "sync group: script recovers -> lb1 takes both VIPs back"; show_logs lb1 lb2; return
  fi
  check "sync group: lb2 released both VIPs" eval "wait_vip lb2 $VIP 5000 absent && wait_vip lb2 $VIP2 5000 absent"
  echo "# group notify lines, lb1: $(paste -sd '|' "$tmp/group-lb1.out" 2>/dev/null); lb2: $(paste -sd '|' "$tmp/group-lb2.out" 2>/dev/null)"
  # keepalived's notify_script_exec: "the prio will be indicated as zero for a group"
  check "sync group: every GROUP notify carries priority 0, as keepalived's" \
    eval "[ -s '$tmp/group-lb1.out' ] && [ -s '$tmp/group-lb2.out' ] && ! grep -v '^GROUP G1 [A-Z]* 0\$' '$tmp/group-lb1.out' '$tmp/group-lb2.out' >/dev/null"
}

# ---- sync group with a weighted member ----------------------------------------------------------
# keepalived drops weighted tracking in a sync group unless sync_group_tracking_weight is set; with it,
# VI_1 on lb1 falls to 90 while VI_2 stays at 150. lb2's VI_1 (100) then wants MASTER, but its VI_2
# hears 150 and does not: keepalived's vrrp_sync_can_goto_master keeps the whole group BACKUP ("prefer
# backup state to avoid thrashing"), so lb1 keeps both VIPs and nothing moves.
case_sync_weight() {
  echo "# vrrp_sync_group + sync_group_tracking_weight, VI_1's track_script weight -60 (150 -> 90 < lb2's 100): the group stays on lb1"
  sync_pair sw -60 sync_group_tracking_weight || { ko "start vipd pair"; return; }
  wait_vip lb1 "$VIP" 8000 && wait_vip lb1 "$VIP2" 5000 || { ko "sync weight: lb1 holds both VIPs"; show_logs lb1 lb2; return; }
  wait_stat lb2 VI_1.Advertisements_accepted 1 5000 || { ko "sync weight (precondition): lb2 hears lb1's adverts"; show_logs lb1 lb2; return; }
  local off1
  off1=$(log_lines lb1)
  rm -f "$tmp/flag"
  check "sync weight: lb1's VI_1 falls 150 -> 90 (the weight is kept)" wait_log lb1 "(VI_1) Changing effective priority from 150 to 90" 5000
  check "sync weight: lb2's VI_1 discards the lower priority (90) adverts" wait_log lb2 "(VI_1) received lower priority (90) advert" 5000
  # Its master-down interval runs out (it wants MASTER) while its VI_2 still hears 150: the gate holds it.
  if wait_log lb2 "(VI_1) Receive advertisement timeout" $(($(master_down_ms 100 1000) + MARGIN_MS)); then
    ok "sync weight: lb2's VI_1 times out (wants MASTER)"
  else
    ko "sync weight: lb2's VI_1 times out (wants MASTER)"; show_logs lb1 lb2; return
  fi
  # Watch for two more master-down intervals of lb2 (its VI_1 hears 8 more adverts).
  local i held=1 acc v
  acc=$(counter lb2 VI_1.Advertisements_accepted)
  for ((i = 0; i < 150; i++)); do
    has_vip lb1 "$VIP" && has_vip lb1 "$VIP2" && ! has_vip lb2 "$VIP" && ! has_vip lb2 "$VIP2" || held=0
    v=$(counter lb2 VI_1.Advertisements_accepted)
    [ -n "$v" ] && [ "$v" -ge $((${acc:-0} + 8)) ] && break
    sleep 0.2
  done
  check "sync weight: lb2's VI_1 heard 8 more adverts while watched" test "${v:-0}" -ge $((${acc:-0} + 8))
  check "sync weight: lb1 kept both VIPs, lb2 took neither (no thrashing)" test $held -eq 1
  check "sync weight: lb2 never entered MASTER" test "$(log_count lb2 'Entering MASTER')" -eq 0
  check "sync weight: lb1 never left MASTER" eval "! log_since lb1 $off1 | grep -E 'Entering (BACKUP|FAULT)' >/dev/null"
  touch "$tmp/flag"
  check "sync weight: the script recovers -> VI_1 back at 150" wait_log lb1 "(VI_1) Changing effective priority from 90 to 150" 5000
  check "sync weight: lb1 still holds both VIPs" eval "holds_only lb1 $VIP && holds_only lb1 $VIP2"
}

# ---- track_script with weight: handover and back -------------------------------------------------
case_track_weight() {
  echo "# track_script weight -60 on lb1 (150 -> 90 < lb2's 100): handover to lb2 and back"
  { vrrp_script chk -60; instance VI_1 51 150 "$VIP" "track_script {" "    chk" "}"; } >"$tmp/tw-lb1.conf"
  instance VI_1 51 100 "$VIP" >"$tmp/tw-lb2.conf"
  touch "$tmp/flag"
  start_vipd lb1 lb1 "$tmp/tw-lb1.conf" && start_vipd lb2 lb2 "$tmp/tw-lb2.conf" || { ko "start vipd pair"; return; }
  wait_vip lb1 "$VIP" 8000 || { ko "track weight: lb1 becomes MASTER"; show_logs lb1 lb2; return; }
  rm -f "$tmp/flag"
  check "track weight: lb1 logs the script failure" wait_log lb1 "VRRP_Script(chk) failed (exited with status 1)" 5000
  check "track weight: lb1 lowers its priority 150 -> 90" wait_log lb1 "(VI_1) Changing effective priority from 150 to 90" 5000
  local bound=$((1000 + $(master_down_ms 100 1000) + MARGIN_MS))
  if wait_vip lb2 "$VIP" "$bound" && wait_vip lb1 "$VIP" 5000 absent; then ok "track weight: lb2 takes over $VIP"
  else ko "track weight: lb2 takes over $VIP"; show_logs lb1 lb2; return; fi
  check "track weight: lb1 is BACKUP at priority 90" eval '[ "$(stats lb1 | grep -E "^VI_1\.(state|Priority)=" | sort | paste -sd,)" = "VI_1.Priority=90,VI_1.state=BACKUP" ]'
  touch "$tmp/flag"
  check "track weight: lb1 logs the script success" wait_log lb1 "VRRP_Script(chk) succeeded" 5000
  bound=$((1000 + $(master_down_ms 150 1000) + MARGIN_MS))
  if wait_vip lb1 "$VIP" "$bound" && wait_vip lb2 "$VIP" 5000 absent; then ok "track weight: lb1 takes $VIP back"
  else ko "track weight: lb1 takes $VIP back"; show_logs lb1 lb2; fi
  check "track weight: lb1 back at priority 150" wait_log lb1 "(VI_1) Changing effective priority from 90 to 150" 5000
}

# ---- track_file: value x weight, reverse, weight 0 -> FAULT; inotify, not polling -------------------
case_track_file() {
  echo "# track_file on lb1 (150): 'tf weight 10 reverse' (value 6 -> 90 < lb2's 100) and a weight-0 file (non-zero -> FAULT)"
  local tfd=$tmp/tf t  # not "d": check() has a local of that name
  mkdir -p "$tfd"
  rm -f "$tfd/value" "$tfd/fault"
  {
    printf 'track_file tf {\n    file %s/value\n    weight 1\n    init_file 0\n}\n' "$tfd"
    printf 'track_file tf0 {\n    file %s/fault\n    weight 0\n}\n' "$tfd"
    instance VI_1 51 150 "$VIP" "track_file {" "    tf weight 10 reverse" "    tf0" "}"
  } >"$tmp/tf-lb1.conf"
  instance VI_1 51 100 "$VIP" >"$tmp/tf-lb2.conf"
  start_vipd lb1 lb1 "$tmp/tf-lb1.conf" && start_vipd lb2 lb2 "$tmp/tf-lb2.conf" || { ko "start vipd pair"; return; }
  wait_vip lb1 "$VIP" 8000 || { ko "track_file: lb1 becomes MASTER"; show_logs lb1 lb2; return; }
  check "track_file: init_file created the missing file with 0" eval '[ "$(cat "$tfd/value" 2>/dev/null)" = 0 ]'
  wait_stat lb2 VI_1.Advertisements_accepted 1 5000 || { ko "track_file (precondition): lb2 hears lb1's adverts"; show_logs lb1 lb2; return; }

  # A write is seen through inotify (how soon is a note: a 1 s poll would show here as ~500 ms).
  t=$(now_ms)
  echo 6 >"$tfd/value"
  if wait_log lb1 "(VI_1) Changing effective priority from 150 to 90" 5000; then
    ok "track_file: value 6 x weight 10, reversed: priority 150 -> 90"
    note "track_file: the priority changed $(($(now_ms) - t)) ms after the write"
  else
    ko "track_file: value 6 x weight 10, reversed: priority 150 -> 90"; show_logs lb1; return
  fi
  local bound=$((1000 + $(master_down_ms 100 1000) + MARGIN_MS))
  if wait_vip lb2 "$VIP" "$bound" && wait_vip lb1 "$VIP" 5000 absent; then ok "track_file: lb2 takes over $VIP"
  else ko "track_file: lb2 takes over $VIP"; show_logs lb1 lb2; return; fi
  check "track_file: lb1 is BACKUP at priority 90" eval '[ "$(stats lb1 | grep -E "^VI_1\.(state|Priority)=" | sort | paste -sd,)" = "VI_1.Priority=90,VI_1.state=BACKUP" ]'

  # Back: a file moved into place (IN_MOVED_TO) with 0.
  echo 0 >"$tfd/value.new" && mv "$tfd/value.new" "$tfd/value"
  check "track_file: value 0 moved in -> priority back to 150" wait_log lb1 "(VI_1) Changing effective priority from 90 to 150" 5000
  bound=$((1000 + $(master_down_ms 150 1000) + MARGIN_MS))
  if wait_vip lb1 "$VIP" "$bound" && wait_vip lb2 "$VIP" 5000 absent; then ok "track_file: lb1 takes $VIP back"
  else ko "track_file: lb1 takes $VIP back"; show_logs lb1 lb2; return; fi

  # Weight 0: any non-zero value faults the instance; the backup takes over within its skew time.
  local off2
  off2=$(log_lines lb2)
  echo 1 >"$tfd/fault"
  if wait_log lb1 "(VI_1) Entering FAULT STATE" 5000; then ok "track_file: weight-0 file reads 1 -> lb1 FAULT"
  else ko "track_file: weight-0 file reads 1 -> lb1 FAULT"; show_logs lb1; return; fi
  check "track_file: lb1 logs the tracked file's FAULT" wait_log lb1 "(VI_1): tracked file tf0 now FAULT state" 5000
  check "track_file: lb2 takes $VIP" wait_vip lb2 "$VIP" $(($(skew_ms 100 1000) + MARGIN_MS))
  check "track_file: lb2 heard lb1's priority 0 advert, then entered MASTER" eval \
    "wait_log lb2 '(VI_1) Entering MASTER STATE' 5000 2 && log_before lb2 $off2 '(VI_1) Backup received priority 0 advertisement' '(VI_1) Entering MASTER STATE'"
  check "track_file: lb1 released $VIP" wait_vip lb1 "$VIP" 5000 absent
  # Removing the file reads as 0 (IN_DELETE): out of FAULT, and back to MASTER by preempting.
  rm -f "$tfd/fault"
  check "track_file: file removed -> lb1 leaves FAULT" wait_log lb1 "(VI_1): tracked file tf0 leaving FAULT state" 5000
  check "track_file: lb1 preempts back" wait_vip lb1 "$VIP" $((1000 + $(master_down_ms 150 1000) + MARGIN_MS))
  check "track_file: lb2 released $VIP" wait_vip lb2 "$VIP" 5000 absent
  # A value that is not a number fitting an int is ignored, as keepalived does.
  echo 99999999999 >"$tfd/value"
  check "track_file: an out-of-range number is logged and ignored" wait_log lb1 "Invalid number read from $tfd/value - ignoring" 5000
  check "track_file: lb1 still MASTER at 150" eval '[ "$(stats lb1 | grep -E "^VI_1\.(state|Priority)=" | sort | paste -sd,)" = "VI_1.Priority=150,VI_1.state=MASTER" ]'
}

# ---- track_script weight 0 -> FAULT, and the notify scripts --------------------------------------
case_fault_notify() {
  echo "# track_script weight 0 -> FAULT; notify (INSTANCE NAME STATE PRIORITY) and notify_master/backup/fault/stop"
  local n prio
  for n in lb1 lb2; do
    prio=100; [ $n = lb1 ] && prio=150
    {
      if [ $n = lb1 ]; then vrrp_script chk 0; fi
      local lines=("notify \"$tmp/rec.sh $tmp/notify-$n.out\""
        "notify_master \"$tmp/rec.sh $tmp/specific-$n.out master as written\""
        "notify_backup \"$tmp/rec.sh $tmp/specific-$n.out backup as written\""
        "notify_fault \"$tmp/rec.sh $tmp/specific-$n.out fault as written\""
        "notify_stop \"$tmp/rec.sh $tmp/specific-$n.out stop as written\"")
      if [ $n = lb1 ]; then lines+=("track_script {" "    chk" "}"); fi
      instance VI_1 51 "$prio" "$VIP" "${lines[@]}"
    } >"$tmp/fn-$n.conf"
  done
  touch "$tmp/flag"
  start_vipd lb1 lb1 "$tmp/fn-lb1.conf" && start_vipd lb2 lb2 "$tmp/fn-lb2.conf" || { ko "start vipd pair"; return; }
  wait_vip lb1 "$VIP" 8000 || { ko "fault: lb1 becomes MASTER"; show_logs lb1 lb2; return; }
  local off2
  off2=$(log_lines lb2)
  rm -f "$tmp/flag"
  if wait_log lb1 "(VI_1) Entering FAULT STATE" 5000; then ok "fault: weight 0 script failure -> lb1 FAULT"
  else ko "fault: weight 0 script failure -> lb1 FAULT"; show_logs lb1 lb2; return; fi
  check "fault: lb1 released $VIP" wait_vip lb1 "$VIP" 5000 absent
  check "fault: lb2 takes $VIP" wait_vip lb2 "$VIP" $(($(skew_ms 100 1000) + MARGIN_MS))
  check "fault: lb2 heard lb1's priority 0 advert, then entered MASTER" eval \
    "wait_log lb2 '(VI_1) Entering MASTER STATE' 5000 && log_before lb2 $off2 '(VI_1) Backup received priority 0 advertisement' '(VI_1) Entering MASTER STATE'"
  check "fault: lb1's statistics say FAULT" test "$(counter lb1 VI_1.state)" = FAULT
  touch "$tmp/flag"
  check "fault: script recovers -> lb1 BACKUP" wait_log lb1 "(VI_1) Entering BACKUP STATE" 5000 2
  check "fault: lb1 preempts back" wait_vip lb1 "$VIP" $((1000 + $(master_down_ms 150 1000) + MARGIN_MS))
  check "fault: lb2 released $VIP" wait_vip lb2 "$VIP" 5000 absent
  # The notify scripts run asynchronously: before each stop, wait for the line of the last change, or
  # the STOP line could overtake it.
  wait_lines() { local f=$1 n=$2 i; for ((i = 0; i < 100; i++)); do [ "$(wc -l <"$f" 2>/dev/null || echo 0)" -ge "$n" ] && return 0; sleep 0.05; done; return 1; }
  wait_lines "$tmp/notify-lb1.out" 5; wait_lines "$tmp/specific-lb1.out" 5
  signal_vipd lb1 TERM
  check "notify: lb2 takes over after lb1's SIGTERM" wait_vip lb2 "$VIP" 5000
  wait_lines "$tmp/notify-lb2.out" 4
  signal_vipd lb2 TERM
  local want1 want2 got
  want1=$'INSTANCE VI_1 BACKUP 150\nINSTANCE VI_1 MASTER 150\nINSTANCE VI_1 FAULT 150\nINSTANCE VI_1 BACKUP 150\nINSTANCE VI_1 MASTER 150\nINSTANCE VI_1 STOP 150'
  want2=$'INSTANCE VI_1 BACKUP 100\nINSTANCE VI_1 MASTER 100\nINSTANCE VI_1 BACKUP 100\nINSTANCE VI_1 MASTER 100\nINSTANCE VI_1 STOP 100'
  wait_lines "$tmp/notify-lb1.out" 6; wait_lines "$tmp/notify-lb2.out" 5
  got=$(cat "$tmp/notify-lb1.out" 2>/dev/null)
  if [ "$got" = "$want1" ]; then ok "notify lb1: BACKUP, MASTER, FAULT, BACKUP, MASTER, STOP with priority 150, in order"
  else ko "notify lb1: want [${want1//$'\n'/|}] got [${got//$'\n'/|}]"; fi
  got=$(cat "$tmp/notify-lb2.out" 2>/dev/null)
  if [ "$got" = "$want2" ]; then ok "notify lb2: BACKUP, MASTER, BACKUP, MASTER, STOP with priority 100, in order"
  else ko "notify lb2: want [${want2//$'\n'/|}] got [${got//$'\n'/|}]"; fi
  wait_lines "$tmp/specific-lb1.out" 6
  got=$(cat "$tmp/specific-lb1.out" 2>/dev/null)
  want1=$'backup as written\nmaster as written\nfault as written\nbackup as written\nmaster as written\nstop as written'
  if [ "$got" = "$want1" ]; then ok "notify_backup/master/fault/stop on lb1 run as written, in order"
  else ko "notify_* lb1: want [${want1//$'\n'/|}] got [${got//$'\n'/|}]"; fi
}

# ---- SIGHUP --------------------------------------------------------------------------------------
case_reload() {
  echo "# SIGHUP: an unrelated change keeps VI_1 as it is; a broken config is refused"
  instance VI_1 51 150 "$VIP" >"$tmp/rl-lb1.conf"
  instance VI_1 51 100 "$VIP" >"$tmp/rl-lb2.conf"
  start_vipd lb1 lb1 "$tmp/rl-lb1.conf" && start_vipd lb2 lb2 "$tmp/rl-lb2.conf" || { ko "start vipd pair"; return; }
  wait_vip lb1 "$VIP" 8000 || { ko "reload: lb1 becomes MASTER"; show_logs lb1 lb2; return; }
  wait_stat lb2 VI_1.Advertisements_accepted 1 5000 || { ko "reload (precondition): lb2 hears lb1's adverts"; show_logs lb1 lb2; return; }
  # Any deletion of the VIP, however short, shows up here.
  ip -n "$NAME-lb1" monitor address >"$tmp/monitor.out" 2>&1 &
  local mon=$! fds0 fds1 off1 off2 acc
  BG+=("$mon")
  fds0=$(ls "/proc/${PID[lb1]}/fd" | wc -l)

  { echo "# a comment that shifts every line"; echo; cat "$tmp/rl-lb1.conf"; instance VI_9 59 150 "$VIP9"; } >"$tmp/rl-lb1.new"
  mv "$tmp/rl-lb1.new" "$tmp/rl-lb1.conf"
  off1=$(log_lines lb1); off2=$(log_lines lb2)
  signal_vipd lb1 HUP
  # VI_9 is new: it goes through init and, alone on vrid 59, to MASTER after its master-down interval,
  # which is longer than VI_1's would be: time enough to see VI_1 restart if it did.
  if wait_log lb1 "(VI_9) Entering MASTER STATE" 10000; then ok "reload (comment + new instance): VI_9 starts and becomes MASTER"
  else ko "reload (comment + new instance): VI_9 starts and becomes MASTER"; show_logs lb1; fi
  check "reload: lb1 logged Reloading" eval "log_since lb1 $off1 | grep -F Reloading >/dev/null"
  check "reload: no '(VI_1) Entering' line on lb1 after SIGHUP" eval "! log_since lb1 $off1 | grep -F '(VI_1) Entering' >/dev/null"
  check "reload: no 'Entering' line on lb2" eval "! log_since lb2 $off2 | grep -F 'Entering' >/dev/null"
  check "reload: VI_1 is still MASTER on lb1" test "$(counter lb1 VI_1.state)" = MASTER
  if holds_only lb1 "$VIP" && holds_only lb1 "$VIP9"; then ok "reload: lb1 holds $VIP and $VIP9, lb2 neither"
  else ko "reload: lb1 holds $VIP and $VIP9, lb2 neither (lb1: $(vips_of lb1); lb2: $(vips_of lb2))"; show_logs lb1 lb2; fi
  check "reload: $VIP was never deleted on lb1 (ip monitor)" eval "! grep -F 'Deleted' '$tmp/monitor.out' | grep -F ' $VIP/' >/dev/null"
  fds1=$(ls "/proc/${PID[lb1]}/fd" | wc -l)
  echo "# lb1 open fds: $fds0 before the reload, $fds1 after"
  check "reload: no descriptor leaked ($fds0 before, $fds1 after)" test "$fds1" -eq "$fds0"

  # Broken 1: a keyword without its value (keepalived aborts reading the file).
  sed 's/^    priority 150$/    priority/' "$tmp/rl-lb1.conf" >"$tmp/rl-lb1.new" && mv "$tmp/rl-lb1.new" "$tmp/rl-lb1.conf"
  off1=$(log_lines lb1); off2=$(log_lines lb2)
  acc=$(counter lb2 VI_1.Advertisements_accepted)
  signal_vipd lb1 HUP
  check "reload (priority without a value): refused" wait_log lb1 "Reload refused" 5000
  # The old config must keep running: lb2 goes on hearing lb1 for more than a master-down interval.
  check "reload refused: lb1 still advertises (lb2 hears 4 more adverts)" wait_stat lb2 VI_1.Advertisements_accepted $((${acc:-0} + 4)) 8000
  check "reload refused: no 'Entering' line on either node" eval "! log_since lb1 $off1 | grep -F Entering >/dev/null && ! log_since lb2 $off2 | grep -F Entering >/dev/null"
  check "reload refused: VI_1 still MASTER with $VIP, VI_9 still runs" eval '[ "$(counter lb1 VI_1.state)" = MASTER ] && [ "$(counter lb1 VI_9.state)" = MASTER ] && holds_only lb1 $VIP'

  # Broken 2: VI_1 on an interface that does not exist, without dynamic_interfaces. Measured, keepalived
  # 2.2.7 logs "WARNING - interface ens99 for vrrp_instance VI_1 doesn't exist" and "Non-existent
  # interface specified in configuration", then its VRRP process exits ("permanent error CONFIG") and
  # keepalived terminates, leaving its VIPs on the interfaces and sending no priority 0. vipd logs the
  # same two lines and refuses the reload instead: the running config goes on (a deliberate divergence).
  { cat "$tmp/rl-lb1.conf" | sed 's/^    priority$/    priority 150/; s/^    interface ens33$/    interface ens99/'; } >"$tmp/rl-lb1.new" && mv "$tmp/rl-lb1.new" "$tmp/rl-lb1.conf"
  off1=$(log_lines lb1); off2=$(log_lines lb2)
  acc=$(counter lb2 VI_1.Advertisements_accepted)
  signal_vipd lb1 HUP
  if wait_log lb1 "Reload refused" 5000; then ok "reload (interface ens99 missing, no dynamic_interfaces): refused"
  else ko "reload (interface ens99 missing, no dynamic_interfaces): refused"; show_logs lb1; fi
  check "reload refused: keepalived's lines for the missing interface" eval "log_since lb1 $off1 | grep -F 'WARNING - interface ens99 for vrrp_instance VI_1 doesn'\''t exist' >/dev/null && log_since lb1 $off1 | grep -F 'Non-existent interface specified in configuration' >/dev/null"
  check "reload refused: lb1 still advertises (lb2 hears 4 more adverts)" wait_stat lb2 VI_1.Advertisements_accepted $((${acc:-0} + 4)) 8000
  check "reload refused: no 'Entering' line on either node" eval "! log_since lb1 $off1 | grep -F Entering >/dev/null && ! log_since lb2 $off2 | grep -F Entering >/dev/null"
  check "reload refused: VI_1 still MASTER with $VIP" eval '[ "$(counter lb1 VI_1.state)" = MASTER ] && holds_only lb1 $VIP'
  check "reload: $VIP was never deleted on lb1 through all three reloads" eval "! grep -F 'Deleted' '$tmp/monitor.out' | grep -F ' $VIP/' >/dev/null"
  end_pid "$mon"
}

# ---- SIGHUP that changes only notify scripts ------------------------------------------------------
case_reload_notify() {
  echo "# SIGHUP: only VI_1's notify scripts change: VI_1 is not restarted, its next change runs the new ones"
  instance VI_1 51 150 "$VIP" "notify \"$tmp/rec.sh $tmp/rn-old.out\"" >"$tmp/rn-lb1.conf"
  instance VI_1 51 100 "$VIP" >"$tmp/rn-lb2.conf"
  start_vipd lb1 lb1 "$tmp/rn-lb1.conf" && start_vipd lb2 lb2 "$tmp/rn-lb2.conf" || { ko "start vipd pair"; return; }
  wait_vip lb1 "$VIP" 8000 || { ko "reload notify: lb1 becomes MASTER"; show_logs lb1 lb2; return; }
  check "reload notify (precondition): the old notify saw MASTER" wait_grep "$tmp/rn-old.out" '^INSTANCE VI_1 MASTER 150$' 5000
  local off1 off2 acc
  instance VI_1 51 150 "$VIP" "notify \"$tmp/rec.sh $tmp/rn-new.out\"" "notify_stop \"$tmp/rec.sh $tmp/rn-stop.out stop\"" >"$tmp/rn-lb1.new"
  mv "$tmp/rn-lb1.new" "$tmp/rn-lb1.conf"
  off1=$(log_lines lb1); off2=$(log_lines lb2)
  acc=$(counter lb2 VI_1.Advertisements_accepted)
  signal_vipd lb1 HUP
  check "reload notify: lb1 logged Reloading" wait_log lb1 Reloading 5000
  # Past a master-down interval: time enough for a restarted VI_1 to show.
  check "reload notify: lb1 still advertises (lb2 hears 4 more adverts)" wait_stat lb2 VI_1.Advertisements_accepted $((${acc:-0} + 4)) 8000
  check "reload notify: no refusal, no '(VI_1) Entering' line on lb1 after SIGHUP" \
    eval "! log_since lb1 $off1 | grep -E 'Reload (refused|failed)|\\(VI_1\\) Entering' >/dev/null"
  check "reload notify: no 'Entering' line on lb2" eval "! log_since lb2 $off2 | grep -F Entering >/dev/null"
  check "reload notify: VI_1 still MASTER with $VIP" eval '[ "$(counter lb1 VI_1.state)" = MASTER ] && holds_only lb1 $VIP'
  signal_vipd lb1 TERM
  check "reload notify: the new notify saw STOP" wait_grep "$tmp/rn-new.out" '^INSTANCE VI_1 STOP 150$' 5000
  check "reload notify: the new notify_stop ran" wait_grep "$tmp/rn-stop.out" '^stop$' 5000
  check "reload notify: the new notify saw nothing else (got: $(paste -sd '|' "$tmp/rn-new.out" 2>/dev/null))" \
    test "$(cat "$tmp/rn-new.out" 2>/dev/null)" = "INSTANCE VI_1 STOP 150"
  check "reload notify: the old notify saw nothing after the reload (got: $(paste -sd '|' "$tmp/rn-old.out" 2>/dev/null))" \
    test "$(paste -sd '|' "$tmp/rn-old.out" 2>/dev/null)" = "INSTANCE VI_1 BACKUP 150|INSTANCE VI_1 MASTER 150"
}

# ---- dynamic_interfaces: an instance on a missing interface is FAULT, the others run ----------------
case_dynamic_if() {
  echo "# dynamic_interfaces: VI_2 on ens99 (missing) is FAULT while VI_1 runs; ens99 appears -> VI_2 runs; goes -> FAULT"
  local d99=ens99 rc
  ip -n "$NAME-lb1" link del "$d99" 2>/dev/null
  # Without dynamic_interfaces, keepalived 2.2.7 (measured) will not start such a config; neither does vipd.
  instance VI_2 52 150 "$VIP2" | sed "s/^    interface $IF\$/    interface $d99/" >"$tmp/dy-static.conf"
  timeout 10 ip netns exec "$NAME-lb1" "$VIPD" -n -l -f "$tmp/dy-static.conf" -p "$tmp/dy-static.pid" --stats-file "$tmp/dy-static.stats" >"$tmp/dy-static.log" 2>&1
  rc=$?
  check "dynamic: without dynamic_interfaces, a missing interface stops vipd at start (exit $rc, keepalived's line)" \
    eval "[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -F 'Non-existent interface specified in configuration' '$tmp/dy-static.log' >/dev/null"
  {
    printf 'global_defs {\n    dynamic_interfaces\n}\n'
    instance VI_1 51 150 "$VIP"
  } >"$tmp/dy-lb1.conf"
  instance VI_1 51 100 "$VIP" >"$tmp/dy-lb2.conf"
  start_vipd lb1 lb1 "$tmp/dy-lb1.conf" && start_vipd lb2 lb2 "$tmp/dy-lb2.conf" || { ko "start vipd pair"; return; }
  wait_vip lb1 "$VIP" 8000 || { ko "dynamic: lb1 becomes MASTER"; show_logs lb1 lb2; return; }
  ip -n "$NAME-lb1" monitor address >"$tmp/dy-monitor.out" 2>&1 &
  local mon=$! off
  BG+=("$mon")
  # Reload with VI_2 on ens99, which does not exist: keepalived 2.2.7 (measured) reloads, VI_2 in FAULT.
  { cat "$tmp/dy-lb1.conf"; instance VI_2 52 150 "$VIP2" | sed "s/^    interface $IF\$/    interface $d99/"; } >"$tmp/dy-lb1.new"
  mv "$tmp/dy-lb1.new" "$tmp/dy-lb1.conf"
  off=$(log_lines lb1)
  signal_vipd lb1 HUP
  if wait_log lb1 "(VI_2) Entering FAULT STATE" 5000; then ok "dynamic (reload): VI_2 on missing $d99 enters FAULT"
  else ko "dynamic (reload): VI_2 on missing $d99 enters FAULT"; show_logs lb1; return; fi
  check "dynamic: keepalived's lines: will use if created / interface down / no IPv4 address" eval "
    log_since lb1 $off | grep -F 'Configuration specifies interface $d99 which doesn'\\''t currently exist - will use if created' >/dev/null &&
    log_since lb1 $off | grep -F '(VI_2): entering FAULT state (interface $d99 down)' >/dev/null &&
    log_since lb1 $off | grep -F '(VI_2) entering FAULT state (no IPv4 address for interface)' >/dev/null"
  check "dynamic: no reload refusal" eval "! log_since lb1 $off | grep -E 'Reload (refused|failed)' >/dev/null"
  check "dynamic: VI_1 untouched by the reload (no '(VI_1) Entering' line, still MASTER)" eval "! log_since lb1 $off | grep -F '(VI_1) Entering' >/dev/null && [ \"\$(counter lb1 VI_1.state)\" = MASTER ]"
  check "dynamic: VI_2's statistics say FAULT" test "$(counter lb1 VI_2.state)" = FAULT

  # The interface appears (with an address, then up): VI_2 leaves FAULT, and alone on it, goes MASTER.
  ip -n "$NAME-lb1" link add "$d99" type veth peer name "${d99}p" &&
    ip -n "$NAME-lb1" addr add 10.99.0.1/24 dev "$d99" &&
    ip -n "$NAME-lb1" link set "${d99}p" up && ip -n "$NAME-lb1" link set "$d99" up || { ko "dynamic: create $d99 in lb1"; return; }
  check "dynamic: $d99 appears -> VI_2 BACKUP" wait_log lb1 "(VI_2) Entering BACKUP STATE" 5000
  if wait_log lb1 "(VI_2) Entering MASTER STATE" $(($(master_down_ms 150 1000) + MARGIN_MS + 1000)); then
    ok "dynamic: VI_2 becomes MASTER on $d99"
  else ko "dynamic: VI_2 becomes MASTER on $d99"; show_logs lb1; fi
  local a
  a=$(ip -n "$NAME-lb1" -o -4 addr show dev "$d99" 2>/dev/null)
  check "dynamic: $VIP2 is on $d99" test -n "$(grep -F " $VIP2/" <<<"$a")"
  # The interface goes: VI_2 FAULT again, VI_1 goes on.
  off=$(log_lines lb1)
  ip -n "$NAME-lb1" link del "$d99"
  check "dynamic: $d99 deleted -> VI_2 FAULT" wait_log lb1 "(VI_2) Entering FAULT STATE" 5000 2
  check "dynamic: VI_1 still MASTER with $VIP, lb2 BACKUP" eval "[ \"\$(counter lb1 VI_1.state)\" = MASTER ] && holds_only lb1 $VIP && [ \"\$(counter lb2 VI_1.state)\" = BACKUP ]"
  check "dynamic: $VIP was never deleted on lb1" eval "! grep -F 'Deleted' '$tmp/dy-monitor.out' | grep -F ' $VIP/' >/dev/null"
  end_pid "$mon"
}

# ---- VRRPv3, advert_int 0.1 ----------------------------------------------------------------------
case_v3_fast() {
  echo "# VRRPv3, advert_int 0.1: SIGKILL failover"
  { printf 'global_defs {\n    vrrp_version 3\n}\n'; instance VI_1 51 150 "$VIP" "advert_int 0.1"; } >"$tmp/v3-lb1.conf"
  { printf 'global_defs {\n    vrrp_version 3\n}\n'; instance VI_1 51 100 "$VIP" "advert_int 0.1"; } >"$tmp/v3-lb2.conf"
  start_vipd lb1 lb1 "$tmp/v3-lb1.conf" && start_vipd lb2 lb2 "$tmp/v3-lb2.conf" || { ko "start vipd pair"; return; }
  if wait_vip lb1 "$VIP" 5000; then ok "v3: lb1 becomes MASTER in ${WAITED} ms"
  else ko "v3: lb1 becomes MASTER"; show_logs lb1 lb2; return; fi
  check "v3: lb2 hears lb1's adverts" wait_stat lb2 VI_1.Advertisements_accepted 5 5000
  check "v3: only lb1 holds $VIP" holds_only lb1 "$VIP"
  local bound t
  bound=$(($(master_down_ms 100 100) + MARGIN_MS))
  t=$(now_ms)
  signal_vipd lb1 KILL
  ip -n "$NAME-lb1" addr del "$VIP/24" dev "$IF" 2>/dev/null
  if wait_vip lb2 "$VIP" 5000; then
    local took=$(($(now_ms) - t))
    if [ "$took" -le "$bound" ]; then ok "v3 SIGKILL failover: lb2 holds $VIP after ${took} ms (bound $bound)"
    else ko "v3 SIGKILL failover: lb2 holds $VIP after ${took} ms (bound $bound)"; show_logs lb2; fi
  else
    ko "v3 SIGKILL failover: lb2 takes $VIP"; show_logs lb2
  fi
}

# ---- track_interface at run time -----------------------------------------------------------------
case_track_if() {
  local t0=trk0
  echo "# track_interface $t0 on lb1 (no weight): $t0 down -> lb1 FAULT, releases $VIP, lb2 takes over; $t0 up -> lb1 back"
  ip -n "$NAME-lb1" link del "$t0" 2>/dev/null
  ip -n "$NAME-lb1" link add "$t0" type veth peer name "${t0}p" && ip -n "$NAME-lb1" link set "${t0}p" up &&
    ip -n "$NAME-lb1" link set "$t0" up || { ko "track_if: create $t0 in lb1"; return; }
  instance VI_1 51 150 "$VIP" "track_interface {" "    $t0" "}" >"$tmp/ti-lb1.conf"
  instance VI_1 51 100 "$VIP" >"$tmp/ti-lb2.conf"
  start_vipd lb1 lb1 "$tmp/ti-lb1.conf" && start_vipd lb2 lb2 "$tmp/ti-lb2.conf" || { ko "start vipd pair"; return; }
  wait_vip lb1 "$VIP" 8000 || { ko "track_if: lb1 becomes MASTER"; show_logs lb1 lb2; ip -n "$NAME-lb1" link del "$t0"; return; }
  wait_stat lb2 VI_1.Advertisements_accepted 1 5000 || { ko "track_if (precondition): lb2 hears lb1's adverts"; show_logs lb1 lb2; ip -n "$NAME-lb1" link del "$t0"; return; }
  local off1 off2
  off1=$(log_lines lb1); off2=$(log_lines lb2)
  ip -n "$NAME-lb1" link set "$t0" down
  if wait_log lb1 "(VI_1) Entering FAULT STATE" 5000; then ok "track_if: $t0 down -> lb1 FAULT"
  else ko "track_if: $t0 down -> lb1 FAULT"; show_logs lb1; ip -n "$NAME-lb1" link del "$t0"; return; fi
  check "track_if: lb1 logs the link going down, then FAULT" log_before lb1 "$off1" "Netlink reports $t0 down" "(VI_1) Entering FAULT STATE"
  check "track_if: lb1 released $VIP" wait_vip lb1 "$VIP" 5000 absent
  check "track_if: lb2 takes $VIP" wait_vip lb2 "$VIP" $(($(skew_ms 100 1000) + MARGIN_MS))
  check "track_if: lb2 heard lb1's priority 0 advert, then entered MASTER" eval \
    "wait_log lb2 '(VI_1) Entering MASTER STATE' 5000 && log_before lb2 $off2 '(VI_1) Backup received priority 0 advertisement' '(VI_1) Entering MASTER STATE'"
  check "track_if: lb1's statistics say FAULT" test "$(counter lb1 VI_1.state)" = FAULT
  ip -n "$NAME-lb1" link set "$t0" up
  check "track_if: $t0 up -> lb1 BACKUP" wait_log lb1 "(VI_1) Entering BACKUP STATE" 5000 2
  check "track_if: lb1 (150) preempts back" wait_vip lb1 "$VIP" $(($(master_down_ms 150 1000) + MARGIN_MS))
  check "track_if: lb2 released $VIP" wait_vip lb2 "$VIP" 5000 absent
  check "track_if: lb1 entered MASTER again after the link came back" wait_log lb1 "(VI_1) Entering MASTER STATE" 5000 2
  ip -n "$NAME-lb1" link del "$t0"
}

# ---- VIPs left behind by a crashed predecessor ---------------------------------------------------
case_stale_vip() {
  echo "# stale VIP: lb1 (MASTER) is killed with SIGKILL, its $VIP stays on $IF; lb2 takes over; vipd restarted on lb1 removes it"
  instance VI_1 51 150 "$VIP" >"$tmp/sv-lb1.conf"
  # The restarted lb1 must not take the VIP back (nopreempt), so that only the start-up cleanup can
  # have removed it.
  instance VI_1 51 150 "$VIP" nopreempt >"$tmp/sv-lb1-again.conf"
  instance VI_1 51 100 "$VIP" >"$tmp/sv-lb2.conf"
  start_vipd lb1 lb1 "$tmp/sv-lb1.conf" && start_vipd lb2 lb2 "$tmp/sv-lb2.conf" || { ko "start vipd pair"; return; }
  wait_vip lb1 "$VIP" 8000 || { ko "stale VIP: lb1 becomes MASTER"; show_logs lb1 lb2; return; }
  wait_stat lb2 VI_1.Advertisements_accepted 1 5000 || { ko "stale VIP (precondition): lb2 hears lb1's adverts"; show_logs lb1 lb2; return; }
  signal_vipd lb1 KILL || { ko "stale VIP: SIGKILL lb1"; return; }
  if wait_vip lb2 "$VIP" $(($(master_down_ms 100 1000) + MARGIN_MS)) && wait_log lb2 "(VI_1) Entering MASTER STATE" 5000; then
    ok "stale VIP: lb2 becomes MASTER"
  else
    ko "stale VIP: lb2 becomes MASTER"; show_logs lb2; return
  fi
  check "stale VIP (precondition): lb1 still holds the stale $VIP" has_vip lb1 "$VIP"
  start_vipd lb1 lb1 "$tmp/sv-lb1-again.conf" || { ko "stale VIP: restart lb1"; return; }
  check "stale VIP: the restarted lb1 logs the removal" wait_log lb1 "(VI_1) removing stale VIP $VIP left by a previous run" 5000
  check "stale VIP: $VIP is gone from lb1" wait_vip lb1 "$VIP" 5000 absent
  check "stale VIP: the removal came before lb1's first state" log_before lb1 0 "removing stale VIP $VIP" "(VI_1) Entering BACKUP STATE (init)"
  # lb1 (nopreempt) stays BACKUP behind lb2: it hears lb2's adverts and never takes the VIP.
  check "stale VIP: lb1 hears lb2's adverts" wait_stat lb1 VI_1.Advertisements_accepted 2 5000
  check "stale VIP: lb2 alone holds $VIP, lb1 BACKUP" eval "holds_only lb2 $VIP && [ \"\$(counter lb1 VI_1.state)\" = BACKUP ]"
}

# ---- no descriptor of vipd reaches a script -----------------------------------------------------
# A track script and a notify_master script each run `exec ls -1 /proc/self/fd`: ls must see 0, 1, 2
# and the one it lists with (3, its opendir), nothing of vipd's (raw VRRP socket, netlink, inotify).
case_script_fds() {
  echo "# scripts inherit only stdin, stdout and stderr from vipd"
  local lsfd="/bin/sh -c 'exec /bin/ls -1 /proc/self/fd >$tmp/fds-%s.out'"
  {
    printf 'vrrp_script lsfd {\n    script "%s"\n    interval 1\n}\n' "$(printf "$lsfd" track)"
    instance VI_1 51 150 "$VIP" "track_script {" "    lsfd" "}" "notify_master \"$(printf "$lsfd" master)\""
  } >"$tmp/fd-lb1.conf"
  rm -f "$tmp/fds-track.out" "$tmp/fds-master.out"
  start_vipd lb1 lb1 "$tmp/fd-lb1.conf" || { ko "start lb1"; return; }
  wait_vip lb1 "$VIP" 8000 || { ko "script fds: lb1 becomes MASTER"; show_logs lb1; return; }
  local k got
  for k in track master; do
    if wait_grep "$tmp/fds-$k.out" '^3$' 5000; then
      got=$(sort -n "$tmp/fds-$k.out" | paste -sd ' ')
      check "script fds: the $k script sees only 0 1 2 (and ls's own 3) (got: $got)" test "$got" = "0 1 2 3"
    else
      ko "script fds: the $k script ran and listed its descriptors"; show_logs lb1
    fi
  done
}

# script_wrote FILE WANT WHAT: the script that writes FILE (in one write) ran within 5 s and wrote WANT
script_wrote() {
  if wait_grep "$1" '.' 5000; then
    local got
    got=$(cat "$1")
    check "$3 (got: $got)" test "$got" = "$2"
  else
    ko "$3: the script ran"; show_logs lb1
  fi
}

# ---- who a script runs as, and which file ---------------------------------------------------------
# notify_master "CMD" nobody runs as uid 65534 (not as root with "nobody" as an argument); a track
# script's `user nobody daemon` runs with gid 1 and no other group (root's are not kept); a bare name
# found on vipd's PATH is the file that runs (not a PATH search with another PATH).
case_script_user() {
  echo "# scripts run as their user and group, and as the file validation found"
  local pub=$tmp/pub bin=$tmp/bin
  mkdir -p "$pub" "$bin"
  chmod 711 "$tmp"; chmod 1777 "$pub"
  printf '#!/bin/sh\necho "$(id -u) $(id -g) $(id -G)" >"$1"\n' >"$pub/id.sh"
  printf '#!/bin/sh\necho ran >"$1"\n' >"$bin/vvip-onpath"
  chmod 755 "$pub/id.sh" "$bin/vvip-onpath"
  rm -f "$pub"/*.out
  {
    printf 'vrrp_script grp {\n    script "%s %s"\n    interval 1\n    weight 2\n    user nobody daemon\n}\n' "$pub/id.sh" "$pub/track.out"
    printf 'vrrp_script onpath {\n    script "vvip-onpath %s"\n    interval 1\n    weight 2\n}\n' "$pub/path.out"
    instance VI_1 51 150 "$VIP" "track_script {" "    grp" "    onpath" "}" "notify_master \"$pub/id.sh $pub/master.out\" nobody"
  } >"$tmp/su-lb1.conf"
  PATH=$bin:$PATH start_vipd lb1 lb1 "$tmp/su-lb1.conf" || { ko "start lb1"; return; }
  wait_vip lb1 "$VIP" 8000 || { ko "script user: lb1 becomes MASTER"; show_logs lb1; return; }
  script_wrote "$pub/master.out" "65534 65534 65534" "script user: notify_master \"...\" nobody runs as 65534:65534, groups 65534"
  script_wrote "$pub/track.out" "65534 1 1" "script user: user nobody daemon runs as 65534:1, groups 1 only"
  check "script user: a bare name found on vipd's PATH runs" wait_grep "$pub/path.out" '^ran$' 5000
}

# ---- what vipd keeps of root, and what its scripts get ------------------------------------------
# Once started, every thread of vipd holds CAP_CHOWN, CAP_NET_ADMIN and CAP_NET_RAW alone (bounding set
# too, no_new_privs), while its scripts, started by the broker it spawned first, run as keepalived runs
# them: root's with every capability the test shell has, nobody's with none. A reload that adds an
# instance still opens its VRRP socket and adds its VIP; the broker ends with vipd, even by SIGKILL.
case_capabilities() {
  echo "# vipd keeps only the capabilities it needs; its scripts keep root's"
  local pub=$tmp/caps want=0000000000003001 vip2=${VIP%.*}.$((${VIP##*.} + 50))
  mkdir -p "$pub"; chmod 711 "$tmp"; chmod 1777 "$pub"; rm -f "$pub"/*.out
  printf '#!/bin/sh\nawk '"'"'/^Cap(Eff|Bnd)/ { printf "%%s %%s ", $1, $2 } END { print "" }'"'"' /proc/self/status >"$1"\n' >"$pub/caps.sh"
  chmod 755 "$pub/caps.sh"
  instance VI_1 51 150 "$VIP" "notify_master \"$pub/caps.sh $pub/root.out\"" "notify_backup \"$pub/caps.sh $pub/nobody.out\" nobody" \
    >"$tmp/cap-lb1.conf"
  start_vipd lb1 lb1 "$tmp/cap-lb1.conf" || { ko "start lb1"; return; }
  wait_vip lb1 "$VIP" 8000 || { ko "capabilities: lb1 becomes MASTER"; show_logs lb1; return; }
  local p=${PID[lb1]} bad shell broker
  bad=$(caps_left "$p" "$want")
  check "capabilities: every thread of vipd holds chown, net_admin, net_raw alone, no_new_privs set${bad:+ (not:$bad)}" test -z "$bad"
  check "capabilities: vipd logs what it kept" wait_log lb1 "capabilities kept: cap_chown cap_net_admin cap_net_raw" 1000
  shell=$(awk '/^CapEff/ { print $2 }' /proc/self/status)
  script_wrote "$pub/root.out" "CapEff: $shell CapBnd: $shell " "capabilities: a root notify script has root's capabilities (CapEff $shell)"
  script_wrote "$pub/nobody.out" "CapEff: 0000000000000000 CapBnd: $shell " "capabilities: a notify script of nobody's has none"
  broker=$(pgrep -P "$p" -x vipd-script | head -1)
  check "capabilities: the broker is vipd's child, with root's capabilities" \
    test -n "$broker" -a "$(awk '/^CapEff/ { print $2 }' "/proc/$broker/status" 2>/dev/null)" = "$shell"
  {
    instance VI_1 51 150 "$VIP"
    instance VI_2 52 150 "$vip2"
  } >"$tmp/cap-lb1.conf"
  signal_vipd lb1 HUP
  check "capabilities: a reload adds an instance, which becomes MASTER with its VIP" wait_vip lb1 "$vip2" 8000
  signal_vipd lb1 KILL
  check "capabilities: the broker ($broker) ended with vipd's SIGKILL" wait_until_ms 3000 bash -c "[ -n '$broker' ] && ! kill -0 '$broker' 2>/dev/null"
}

# ---- notify scripts of one instance run one at a time, in order ---------------------------------
# The BACKUP notify sleeps past the MASTER transition: run at once, MASTER would be written first.
case_notify_order() {
  echo "# notify scripts of an instance run serially, in the order of the transitions"
  printf '#!/bin/sh\ncase "$4" in BACKUP) sleep 5 ;; esac\necho "$4" >>"$1"\n' >"$tmp/slow.sh"
  chmod 755 "$tmp/slow.sh"
  rm -f "$tmp/order.out"
  instance VI_1 51 150 "$VIP" "notify \"$tmp/slow.sh $tmp/order.out\"" >"$tmp/no-lb1.conf"
  start_vipd lb1 lb1 "$tmp/no-lb1.conf" || { ko "start lb1"; return; }
  wait_vip lb1 "$VIP" 8000 || { ko "notify order: lb1 becomes MASTER"; show_logs lb1; return; }
  check "notify order: both notifies ran" wait_grep "$tmp/order.out" '^MASTER$' 10000
  check "notify order: BACKUP then MASTER (got: $(paste -sd ' ' "$tmp/order.out" 2>/dev/null))" \
    test "$(paste -sd ' ' "$tmp/order.out" 2>/dev/null)" = "BACKUP MASTER"
  signal_vipd lb1 TERM
  check "notify order: the STOP notify ran before vipd left" test "$(paste -sd ' ' "$tmp/order.out" 2>/dev/null)" = "BACKUP MASTER STOP"
}

# ---- notify_fifo: one line per transition, read by the script vipd starts ------------------------
case_notify_fifo() {
  echo "# notify_fifo and notify_fifo_script: keepalived's lines, in order; the FIFO vipd made and its reader go at exit"
  rm -f "$tmp/fifo.out" "$tmp/reader.pid" "$tmp/vipd.fifo"
  # The reader keepalived's sample describes: it gets the FIFO's path, reads lines until EOF.
  printf '#!/bin/sh\necho $$ >"%s/reader.pid"\nwhile read -r line; do echo "$line" >>"%s/fifo.out"; done <"$1"\n' "$tmp" "$tmp" >"$tmp/reader.sh"
  chmod 755 "$tmp/reader.sh"
  {
    printf 'global_defs {\n    notify_fifo %s/vipd.fifo\n    notify_fifo_script %s/reader.sh\n}\n' "$tmp" "$tmp"
    printf 'vrrp_sync_group G1 {\n    group {\n        VI_1\n    }\n}\n'
    instance VI_1 51 150 "$VIP"
  } >"$tmp/nf-lb1.conf"
  start_vipd lb1 lb1 "$tmp/nf-lb1.conf" || { ko "notify_fifo: start lb1"; return; }
  check "notify_fifo: vipd made the FIFO" wait_until_ms 5000 test -p "$tmp/vipd.fifo"
  wait_vip lb1 "$VIP" 8000 || { ko "notify_fifo: lb1 becomes MASTER"; show_logs lb1; return; }
  check "notify_fifo: the reader got the MASTER lines" wait_grep "$tmp/fifo.out" '^GROUP "G1" MASTER 0$' 5000
  local reader
  reader=$(cat "$tmp/reader.pid" 2>/dev/null)
  # A reload that leaves the FIFO lines as they were keeps the FIFO and its reader (and writes nothing:
  # no instance changed).
  local off
  off=$(log_lines lb1)
  signal_vipd lb1 HUP
  wait_log lb1 "Reloading" 5000
  sleep 0.5
  check "notify_fifo: after SIGHUP the same reader ($reader) still reads" bash -c "[ -n '$reader' ] && kill -0 '$reader' && [ \"\$(cat '$tmp/reader.pid')\" = '$reader' ] && [ -p '$tmp/vipd.fifo' ]"
  check "notify_fifo: the reload logged no error" eval "! log_since lb1 $off | grep -E 'refused|failed' >/dev/null"
  signal_vipd lb1 TERM
  check "notify_fifo: vipd exits 0" test "$EXIT_RC" = 0
  local want got
  want=$'INSTANCE "VI_1" BACKUP 150\nGROUP "G1" BACKUP 0\nINSTANCE "VI_1" MASTER 150\nGROUP "G1" MASTER 0\nINSTANCE "VI_1" STOP 150\nGROUP "G1" STOP 0'
  wait_grep "$tmp/fifo.out" '^GROUP "G1" STOP 0$' 3000
  got=$(cat "$tmp/fifo.out" 2>/dev/null)
  if [ "$got" = "$want" ]; then ok "notify_fifo: BACKUP, MASTER, STOP for the instance and its group, in keepalived's format and order"
  else ko "notify_fifo: want [${want//$'\n'/|}] got [${got//$'\n'/|}]"; fi
  check "notify_fifo: the FIFO vipd made is gone" test ! -e "$tmp/vipd.fifo"
  check "notify_fifo: the reader ($reader) ended with vipd" wait_until_ms 3000 bash -c "[ -n '$reader' ] && ! kill -0 '$reader' 2>/dev/null"
}

default_cases="basic sigterm_handover nopreempt preempt_delay sync_group sync_weight track_weight track_file fault_notify reload reload_notify dynamic_if
  v3_fast track_if stale_vip script_fds script_user capabilities notify_order notify_fifo"
for c in ${CASES:-$default_cases}; do
  s=$(now_ms)
  "case_$c"
  stop_all
  echo "# ($c: $(($(now_ms) - s)) ms)"
done

if "$LAB" down --name "$NAME" >/dev/null 2>&1; then ok "lab down"; else ko "lab down"; fi
echo "# runtime $(((${EPOCHREALTIME/[.,]/} - T0) / 1000000)) s"
lib_summary
