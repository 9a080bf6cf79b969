#!/usr/bin/env bash
# vipd against real keepalived (2.2.7) in the namespace lab: vipd on lb1, keepalived on lb2, one VIP.
# Each case of a matrix (VRRP v2 / v3, advert_int 1 / 0.1, multicast / unicast, v2 with and without
# PASS authentication, vipd as the priority-150 master or as the priority-100 backup) runs:
#   1. start    both start; the higher priority ends up the only holder, the other logs BACKUP
#   2. failover SIGKILL the master (its stale VIP deleted at once, as if its host had gone); the backup
#               takes the VIP and logs MASTER
#   3. preempt  the killed daemon restarts and takes the VIP back (preempt is the default)
#   4. stop     SIGTERM the master: the backup logs that it heard priority 0, then MASTER, and holds the VIP
# Throughout, both nodes' addresses are sampled every 10 ms (plus the time two `ip` calls take): no
# period with both holding the VIP may outlast one advert interval. vipd must log keepalived's state
# lines, accept keepalived's adverts without a drop (SIGUSR2 statistics), and on SIGTERM exit 0 with
# its VIP removed. tshark captures the bridge; afterwards every advert from vipd must decode as valid
# VRRP of the right version with a good checksum and TTL 255 (and the right destination, interval,
# authentication, VIP), a vipd stopped as master must have sent priority 0, and every vipd takeover
# must be followed by gratuitous ARPs for the VIP from vipd's MAC (sender IP = target IP = VIP). With
# keepalived as the master, the adverts on the wire must change hands to vipd twice: after silence
# (SIGKILL) and after keepalived's priority 0 (SIGTERM). How long each takeover took (after SIGKILL and
# SIGTERM, and on the wire against the RFC skew and master-down times; vipd with one unicast peer takes
# over at once on priority 0) is printed as notes: timing is bench/failover_bench.sh's to judge.
#
#   tests/netns/vrrp_interop.sh              the default matrix (8 cases, about 2.5 minutes)
#   VINT_FULL=1 tests/netns/vrrp_interop.sh  every combination (16 cases, about 5 minutes)
#   VINT_CASES=REGEX ...                     only the cases whose name matches REGEX
#   VINT_KEEP=DIR ...                        copy logs, configs and captures to DIR before cleanup
# Exit 0 all passed, 1 a failure, 77 skipped (not root, no namespaces, keepalived or tshark missing).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/netns/lib.sh
. tests/netns/lib.sh

SUBNET=192.168.140
VIPD_NODE=lb1 VIPD_IP=$SUBNET.10
KA_NODE=lb2 KA_IP=$SUBNET.11
VIP=$SUBNET.100
VRID=51
PASSWORD=vint42  # under 8 characters: the advert carries it zero-padded
HIGH_PRIO=150 LOW_PRIO=100

lib_require_root
lib_require_cmds ip keepalived tshark nginx
lib_init vint
lib_require_netns
lib_require_vipd
ka_version=$(keepalived --version 2>&1 | sed -n 's/^Keepalived v\([0-9.]*\).*/\1/p' | head -n 1)
# The interop claim is for 2.2.7 (what scripts/setup installs); another release would judge a different peer.
[ "$ka_version" = 2.2.7 ] || lib_die "keepalived is ${ka_version:-of unknown version}, not 2.2.7 (run scripts/setup)"

# The vipd under test, copied so that a rebuild during the run cannot swap it between cases, with
# the vipd-script beside it (its script broker: vipd refuses to start without it).
cp "$VIPD" "$LIB_TMP/vipd" || lib_die "cannot copy $VIPD"
cp "$(dirname "$VIPD")/vipd-script" "$LIB_TMP/vipd-script" || lib_die "cannot copy the vipd-script beside $VIPD"
VIPD=$LIB_TMP/vipd
if [ -n "${VINT_KEEP:-}" ]; then
  mkdir -p "$VINT_KEEP" || lib_die "cannot create $VINT_KEEP"
  LIB_CLEANUP_HOOKS+=("cp -r \"\$LIB_TMP\"/case-* \"$VINT_KEEP\"/")
fi

# ---- cases -------------------------------------------------------------------------------------

# name version auth(none|pass) mode(mcast|ucast) advert_int master(vipd|ka)
if [ "${VINT_FULL:-0}" = 1 ]; then
  CASES=()
  for spec in "2 none 1" "2 pass 1" "3 none 1" "3 none 0.1"; do
    read -r v a i <<<"$spec"
    for mode in mcast ucast; do
      for master in vipd ka; do
        tag="v$v"; [ "$a" = pass ] && tag+="-pass"; [ "$i" = 0.1 ] && tag+="-0.1s"
        CASES+=("$tag-$mode-$master-master $v $a $mode $i $master")
      done
    done
  done
else
  # Every pair of (protocol flavour, transport, vipd's role) appears at least once.
  CASES=(
    "v2-mcast-vipd-master 2 none mcast 1 vipd"
    "v2-ucast-ka-master 2 none ucast 1 ka"
    "v2-pass-mcast-ka-master 2 pass mcast 1 ka"
    "v2-pass-ucast-vipd-master 2 pass ucast 1 vipd"
    "v3-mcast-vipd-master 3 none mcast 1 vipd"
    "v3-ucast-ka-master 3 none ucast 1 ka"
    "v3-0.1s-mcast-ka-master 3 none mcast 0.1 ka"
    "v3-0.1s-ucast-vipd-master 3 none ucast 0.1 vipd"
  )
fi

# ---- helpers -----------------------------------------------------------------------------------

# write_conf FILE NODE PRIORITY: the one vrrp_instance both daemons run, from the case's settings
write_conf() {
  local f=$1 node=$2 prio=$3 me peer
  if [ "$node" = "$VIPD_NODE" ]; then me=$VIPD_IP peer=$KA_IP; else me=$KA_IP peer=$VIPD_IP; fi
  {
    echo "global_defs {"
    echo "    router_id vint_$node"
    echo "}"
    echo "vrrp_instance VI_1 {"
    echo "    state BACKUP"
    echo "    interface $LIB_IF"
    echo "    virtual_router_id $VRID"
    echo "    priority $prio"
    echo "    advert_int $C_ADV"
    echo "    version $C_VER"
    if [ "$C_MODE" = ucast ]; then
      echo "    unicast_src_ip $me"
      echo "    unicast_peer {"
      echo "        $peer"
      echo "    }"
    fi
    if [ "$C_AUTH" = pass ]; then
      echo "    authentication {"
      echo "        auth_type PASS"
      echo "        auth_pass $PASSWORD"
      echo "    }"
    fi
    echo "    virtual_ipaddress {"
    echo "        $VIP/24 dev $LIB_IF"
    echo "    }"
    echo "}"
  } >"$f"
}

# start_daemon KIND NODE CONF LOG: KIND vipd or keepalived; LAST_PID as start_vipd / start_keepalived
start_daemon() {
  if [ "$1" = vipd ]; then start_vipd "$2" "$3" "$4"; else start_keepalived "$2" "$3" "$4"; fi
  C_PIDS+=("$LAST_PID")
}

skew_ms() {  # skew_ms PRIORITY: the RFC 3768 / RFC 5798 skew time for the case's version and interval
  if [ "$C_VER" = 3 ]; then echo $(((256 - $1) * C_ADV_MS / 256)); else echo $(((256 - $1) * 1000 / 256)); fi
}
master_down_ms() { echo $((3 * C_ADV_MS + $(skew_ms "$1"))); }
ms_to_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
count_log() { grep -cE -- "$2" "$1" 2>/dev/null || true; }
since_ms() { echo $(((${W_REACH_US:-0} - $1) / 1000)); }  # since_ms T0_US: ms from T0 to the last watch's reach

# dual_check PHASE: the longest both-hold period of the last watch_vip against one advert interval.
# It fails when even the lower bound (first to last sample seeing both) is over the interval, or the
# upper bound (to the first sample not seeing both) is over it by more than 50 ms of sampling gap.
dual_check() {
  local bounds="${W_MULTI_MIN_MS}-${W_MULTI_MS} ms"
  [ "$W_MULTI_MS" -gt 0 ] || bounds="0 ms"
  if [ "$W_MULTI_MIN_MS" -le "$C_ADV_MS" ] && [ "$W_MULTI_MS" -le $((C_ADV_MS + 50)) ]; then
    ok "$C_NAME: $1: never both holders for longer than an advert interval (longest $bounds of ${C_ADV_MS}; $W_SAMPLES samples)"
  else
    ko "$C_NAME: $1: both held $VIP for $bounds, longer than one advert interval (${C_ADV_MS} ms)"
  fi
}

# check_log DESCRIPTION FILE REGEX [COUNT]: the line is (or shortly becomes) there
check_log() { check "$C_NAME: $1" wait_for_log "$2" "$3" 3 "${4:-1}"; }

# end_case: whatever of this case still runs is stopped (daemons first, then the capture)
end_case() {
  local p q
  for p in "${C_PIDS[@]}" "$C_CAP"; do
    for q in "${LIB_PIDS[@]}"; do if [ "$p" = "$q" ]; then stop_pid "$p" 5; fi; done
  done
  C_PIDS=()
  C_CAP=""
}

# analyse_capture PCAP: the wire checks on vipd's adverts, gratuitous ARPs and takeover timing
analyse_capture() {
  local pcap=$1 rows mac want_dst takeovers k v
  local -A r=()
  mac=$(ip -n "$(ns_of "$VIPD_NODE")" -br link show dev "$LIB_IF" | awk '{print $3}')
  if [ "$C_MODE" = ucast ]; then want_dst=peer; else want_dst=224.0.0.18; fi
  rows="$C_DIR/wire.txt"
  # The VRRP dissector always verifies its checksum (vrrp.checksum.status: 1 good, 0 bad); its only
  # preference is pinned to the RFC 5798 pseudo-header checksum for v3. IPv4 header checksums are
  # verified as well.
  if ! tshark -n -r "$pcap" -o vrrp.v3_checksum_as_in_v2:FALSE -o ip.check_checksum:TRUE \
    -Y 'vrrp or arp or ip.proto == 112' -T fields -E separator='|' \
    -e frame.time_epoch -e eth.src -e ip.src -e ip.dst -e ip.ttl -e vrrp.version -e vrrp.type \
    -e vrrp.virt_rtr_id -e vrrp.prio -e vrrp.checksum.status -e vrrp.auth_type -e vrrp.auth_string \
    -e vrrp.adver_int -e vrrp.short_adver_int -e vrrp.addr_count -e vrrp.ip_addr -e arp.opcode \
    -e arp.src.hw_mac -e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 -e _ws.malformed \
    -e _ws.expert.severity -e ip.proto -e ip.checksum.status >"$rows" 2>"$C_DIR/tshark-read.log"; then
    ko "$C_NAME: wire: tshark cannot read the capture: $(grep -v 'Running as user' "$C_DIR/tshark-read.log" | tail -n 1)"
    return
  fi
  takeovers=$(
    IFS=,
    echo "${C_TAKEOVERS[*]}"
  )
  while IFS='=' read -r k v; do r[$k]=$v; done < <(awk -F'|' -v vipd="$VIPD_IP" -v ka="$KA_IP" -v vip="$VIP" \
    -v mac="$mac" -v ver="$C_VER" -v vrid="$VRID" -v auth="$C_AUTH" -v pass="$PASSWORD" -v adv="$C_ADV" \
    -v adv_cs="$((C_ADV_MS / 10))" -v want_dst="$want_dst" -v vipd_prio="$C_VIPD_PRIO" \
    -v ka_prio="$C_KA_PRIO" -v takeovers="$takeovers" '
    function why(peer, prio,   r) {  # what is wrong with an advert row for this case ("" = nothing)
      if ($6 == "") return " not decoded as VRRP"
      r = ""
      if ($21 != "") r = r " malformed"
      if ($22 ~ /(^|,)(8388608|12582912)(,|$)/) r = r " expert-error"
      if ($6 != ver) r = r " version=" $6
      if ($7 != 1) r = r " type=" $7
      if ($8 != vrid) r = r " vrid=" $8
      if ($10 != 1) r = r " checksum-status=" $10
      if ($24 != "" && $24 != 1) r = r " ip-checksum-status=" $24
      if ($5 != 255) r = r " ttl=" $5
      if ($4 != (want_dst == "peer" ? peer : want_dst)) r = r " dst=" $4
      if ($9 != prio && $9 != 0) r = r " prio=" $9
      if ($15 != 1 || $16 != vip) r = r " addrs=" $15 ":" $16
      if (ver == 2) {
        if ($11 != (auth == "pass" ? 1 : 0)) r = r " auth_type=" $11
        if (auth == "pass" && $12 != pass) r = r " auth_string=" $12
        if ($13 != adv) r = r " adver_int=" $13
      } else if ($14 != adv_cs) r = r " adver_int_cs=" $14
      return r
    }
    BEGIN { nt = split(takeovers, tk, ",") }
    $23 == 112 && $3 == vipd {
      n_vipd++; if ($9 == 0) z_vipd++
      w = why(ka, vipd_prio)
      if (w != "") { b_vipd++; if (first_vipd == "") first_vipd = $0 " ->" w }
    }
    $23 == 112 && $3 == ka {
      n_ka++; if ($9 == 0) z_ka++
      w = why(vipd, ka_prio)
      if (w != "") { b_ka++; if (first_ka == "") first_ka = $0 " ->" w }
    }
    $23 == 112 && $6 != "" {  # a backup taking over: adverts change hands to a lower priority
      if (last_src != "" && $3 != last_src && $9 > 0 && $9 < top[last_src])
        hand = hand sprintf("%s>%s:%.1f:%s ", last_src, $3, ($1 - last_t) * 1000, last_prio == 0 ? "prio0" : "silence")
      last_src = $3; last_t = $1; last_prio = $9
      if ($9 > 0) top[$3] = $9
    }
    $17 != "" && $19 == vip && $20 == vip {  # gratuitous ARP for the VIP: sender IP = target IP = VIP
      if ($2 == mac && $18 == mac) {
        g_vipd++; ops[$17]++
        for (i = 1; i <= nt; i++) { d = $1 - tk[i] / 1e6; if (d >= -1.0 && d <= 2.0) hit[i]++ }
      } else g_other++
    }
    END {
      printf "n_vipd=%d\nbad_vipd=%d\nzero_vipd=%d\nn_ka=%d\nbad_ka=%d\nzero_ka=%d\n", n_vipd, b_vipd, z_vipd, n_ka, b_ka, z_ka
      printf "garp_vipd=%d\ngarp_other=%d\n", g_vipd, g_other
      o = ""; for (k in ops) o = o (o == "" ? "" : ",") "op" k "x" ops[k]; printf "garp_ops=%s\n", o
      h = ""; for (i = 1; i <= nt; i++) h = h (h == "" ? "" : " ") (hit[i] + 0); printf "garp_hits=%s\n", h
      printf "first_vipd=%s\nfirst_ka=%s\nhandovers=%s\n", first_vipd, first_ka, hand
    }' "$rows")

  local dst_text=224.0.0.18
  [ "$C_MODE" = ucast ] && dst_text=$KA_IP
  if [ "${r[n_vipd]:-0}" -ge 3 ] && [ "${r[bad_vipd]:-1}" -eq 0 ]; then
    ok "$C_NAME: wire: all ${r[n_vipd]} adverts from vipd are VRRPv$C_VER with a good checksum, TTL 255, to $dst_text$([ "$C_AUTH" = pass ] && echo ", PASS '$PASSWORD'")"
  else
    ko "$C_NAME: wire: ${r[bad_vipd]:-?} of ${r[n_vipd]:-0} adverts from vipd are wrong (want at least 3, all valid); first: ${r[first_vipd]:-}"
  fi
  if [ "$C_MASTER" = vipd ]; then  # vipd was the master when it got SIGTERM
    if [ "${r[zero_vipd]:-0}" -ge 1 ]; then
      ok "$C_NAME: wire: vipd sent a priority-0 advert on SIGTERM"
    else
      ko "$C_NAME: wire: no priority-0 advert from vipd on SIGTERM"
    fi
  fi
  # keepalived's adverts judged the same way: a check of the judge more than of keepalived
  if [ "${r[bad_ka]:-0}" -ne 0 ]; then note "$C_NAME: ${r[bad_ka]} of ${r[n_ka]} keepalived adverts fail the same checks; first: ${r[first_ka]}"; fi
  local h all=1
  for h in ${r[garp_hits]:-}; do [ "$h" -ge 1 ] || all=0; done
  if [ "${#C_TAKEOVERS[@]}" -eq 0 ]; then
    ko "$C_NAME: wire: no vipd takeover was recorded to check gratuitous ARPs against"
  elif [ "$all" -eq 1 ]; then
    ok "$C_NAME: wire: gratuitous ARPs for $VIP from vipd's MAC after each of its ${#C_TAKEOVERS[@]} takeovers (per takeover: ${r[garp_hits]}; ${r[garp_ops]})"
  else
    ko "$C_NAME: wire: a vipd takeover had no gratuitous ARP for $VIP from $mac within 2 s (per takeover: ${r[garp_hits]:-}; GARPs from vipd in all: ${r[garp_vipd]:-0})"
  fi
  # Takeovers on the wire (capture order, no sampling): the adverts change hands from the master to
  # the backup, after the master's silence or after its priority 0. With keepalived as the master,
  # vipd must take over both ways (SIGKILL, then SIGTERM): a capture in which neither shows, or only
  # one, fails rather than passing with nothing checked. How long each wait was is only noted (the
  # RFC wants the skew time after priority 0 and the master-down interval after silence; vipd with one
  # unicast peer deliberately takes over at once on priority 0).
  local hv from to gap why want_ms to_vipd_silence=0 to_vipd_prio0=0
  for hv in ${r[handovers]:-}; do
    IFS=':' read -r from gap why <<<"$hv"
    to=${from#*>} from=${from%>*}
    if [ "$why" = prio0 ]; then want_ms=$(skew_ms "$LOW_PRIO"); else want_ms=$(master_down_ms "$LOW_PRIO"); fi
    if [ "$why" = prio0 ] && [ "$C_MODE" = ucast ] && [ "$to" = "$VIPD_IP" ]; then want_ms=0; fi
    if [ "$to" = "$VIPD_IP" ]; then
      if [ "$why" = prio0 ]; then to_vipd_prio0=$((to_vipd_prio0 + 1)); else to_vipd_silence=$((to_vipd_silence + 1)); fi
      note "$C_NAME: wire: vipd's first advert came $gap ms after keepalived's last ($why; RFC / vipd's design: $want_ms ms)"
    else
      note "$C_NAME: wire: keepalived's first advert came $gap ms after vipd's last ($why; RFC: $want_ms ms)"
    fi
  done
  if [ "$C_MASTER" = ka ]; then
    if [ "$to_vipd_silence" -ge 1 ] && [ "$to_vipd_prio0" -ge 1 ]; then
      ok "$C_NAME: wire: the adverts passed from keepalived to vipd after keepalived fell silent ($to_vipd_silence) and after its priority 0 ($to_vipd_prio0)"
    else
      ko "$C_NAME: wire: want vipd's adverts to follow keepalived's after its silence and after its priority 0; seen: $to_vipd_silence after silence, $to_vipd_prio0 after priority 0 (handovers: ${r[handovers]:-none})"
    fi
  fi
  note "$C_NAME: capture: ${r[n_vipd]:-0} adverts from vipd (${r[zero_vipd]:-0} priority 0), ${r[n_ka]:-0} from keepalived (${r[zero_ka]:-0} priority 0); GARPs for the VIP: ${r[garp_vipd]:-0} from vipd, ${r[garp_other]:-0} from keepalived"
}

# vipd_stats_check PID: the instance's SIGUSR2 statistics show adverts accepted and none dropped
vipd_stats_check() {
  local s accepted drops
  if ! s=$(vipd_stats "$1" 5); then
    ko "$C_NAME: vipd wrote no statistics on SIGUSR2"
    return
  fi
  printf '%s\n' "$s" >"$C_DIR/vipd.stats"
  # The instance's block runs from "VRRP Instance: VI_1" to the next unindented line.
  accepted=$(awk '/^VRRP Instance: VI_1$/ {on = 1; next} /^[^ ]/ {on = 0} on && /Advertisements accepted:/ {print $3}' <<<"$s")
  drops=$(awk '/^VRRP Instance: VI_1$/ {on = 1; next} /^[^ ]/ {on = 0}
    on && /^    [a-z_]+: [0-9]+$/ && $2 != 0 {printf "%s%s", sep, $1 $2; sep = " "}' <<<"$s")
  if [ "${accepted:-0}" -gt 0 ] && [ -z "$drops" ]; then
    ok "$C_NAME: vipd accepted $accepted adverts from keepalived and dropped none (SIGUSR2 statistics)"
  else
    ko "$C_NAME: vipd statistics: accepted ${accepted:-?}, dropped: ${drops:-none}"
  fi
}

# ---- one case ----------------------------------------------------------------------------------

# lo_takes_over STEP SIGNAL RFC: run_case's backup ($lo) must take the VIP after SIGNAL of the master
# ($hi, at t0) and hold it alone for settle seconds, and log one more MASTER than `before`; the
# deadline is one to wait for the event under, not a bound judged (RFC: what the RFC gives, noted).
lo_takes_over() {
  local step=$1 sig=$2 rfc=$3
  limit=$(($(master_down_ms "$LOW_PRIO") + 4000))
  watch_vip "$VIP" "$(ms_to_s "$limit")" "$settle" "$lo" lb1 lb2
  ms=$(since_ms "$t0")
  if [ -n "$W_REACH_US" ] && [ "$W_STABLE" = 1 ]; then
    ok "$C_NAME: $step: $lo ($lo_kind) took $VIP after $sig of $hi_kind and held it alone for ${settle}s"
    note "$C_NAME: $step: $lo ($lo_kind) held $VIP ${ms} ms after $sig ($rfc)"
  else
    ko "$C_NAME: $step: $lo ($lo_kind) did not hold $VIP alone within $(ms_to_s "$limit")s of $sig (reached: ${W_REACH_US:+$ms ms}${W_REACH_US:-never}, stable: $W_STABLE, holders: $W_LAST)"
  fi
  dual_check "$step"
  if [ "$lo_kind" = vipd ] && [ -n "$W_REACH_US" ]; then C_TAKEOVERS+=("$W_REACH_US"); fi
  check_log "$step: $lo ($lo_kind) logged MASTER" "$C_DIR/$lo.1.log" 'Entering MASTER STATE' $((before + 1))
}

run_case() {
  read -r C_NAME C_VER C_AUTH C_MODE C_ADV C_MASTER <<<"$1"
  C_ADV_MS=$(($(secs_to_us "$C_ADV") / 1000))
  C_DIR="$LIB_TMP/case-$C_NAME"
  C_TAKEOVERS=() C_PIDS=() C_CAP=""
  mkdir -p "$C_DIR"
  local hi lo hi_kind lo_kind hi_pid lo_pid vipd_pid t0 ms limit settle before lines case_t0
  case_t0=$(now_us)
  if [ "$C_MASTER" = vipd ]; then
    hi=$VIPD_NODE lo=$KA_NODE hi_kind=vipd lo_kind=keepalived C_VIPD_PRIO=$HIGH_PRIO C_KA_PRIO=$LOW_PRIO
  else
    hi=$KA_NODE lo=$VIPD_NODE hi_kind=keepalived lo_kind=vipd C_VIPD_PRIO=$LOW_PRIO C_KA_PRIO=$HIGH_PRIO
  fi
  echo "# case $C_NAME: VRRPv$C_VER, advert_int $C_ADV, $C_MODE, auth $C_AUTH; $hi $hi_kind priority $HIGH_PRIO, $lo $lo_kind priority $LOW_PRIO"
  write_conf "$C_DIR/vipd.conf" "$VIPD_NODE" "$C_VIPD_PRIO"
  write_conf "$C_DIR/keepalived.conf" "$KA_NODE" "$C_KA_PRIO"
  local hi_conf=$C_DIR/keepalived.conf lo_conf=$C_DIR/vipd.conf
  if [ "$hi_kind" = vipd ]; then hi_conf=$C_DIR/vipd.conf lo_conf=$C_DIR/keepalived.conf; fi
  # Converged phases are watched for two adverts, and at least a second, after the expected state.
  settle=$(ms_to_s $((2 * C_ADV_MS > 1000 ? 2 * C_ADV_MS : 1000)))

  start_bg lan "$C_DIR/tshark.log" tshark -n -i br0 -w "$C_DIR/capture.pcapng" -f 'vrrp or arp'
  C_CAP=$LAST_PID
  if ! wait_for_log "$C_DIR/tshark.log" "Capturing on" 30; then
    ko "$C_NAME: tshark did not start capturing on br0 in 30 s: $(tail -n 2 "$C_DIR/tshark.log" | tr '\n' ' ')"
    end_case
    return
  fi

  # 1. start: both at once; the higher priority ends up the only holder, the other in BACKUP
  t0=$(now_us)
  start_daemon "$hi_kind" "$hi" "$hi_conf" "$C_DIR/$hi.1.log"
  hi_pid=$LAST_PID
  start_daemon "$lo_kind" "$lo" "$lo_conf" "$C_DIR/$lo.1.log"
  lo_pid=$LAST_PID
  limit=$(($(master_down_ms "$HIGH_PRIO") + 10000))  # generous: start-up on a loaded machine
  if watch_vip "$VIP" "$(ms_to_s "$limit")" "$settle" "$hi" lb1 lb2; then
    ok "$C_NAME: start: $hi ($hi_kind) alone holds $VIP, $(since_ms "$t0") ms after start, for ${settle}s"
  else
    ko "$C_NAME: start: $hi ($hi_kind) did not end up the only holder of $VIP in $(ms_to_s "$limit")s (holders: $W_LAST)"
    end_case
    return
  fi
  dual_check start
  if [ "$hi_kind" = vipd ]; then C_TAKEOVERS+=("$W_REACH_US"); fi
  check_log "start: $hi ($hi_kind) logged MASTER" "$C_DIR/$hi.1.log" 'Entering MASTER STATE'
  check "$C_NAME: start: $lo ($lo_kind) logged BACKUP as its last state" \
    eval "last_log '$C_DIR/$lo.1.log' 'Entering (MASTER|BACKUP|FAULT) STATE' | grep -q 'Entering BACKUP STATE'"

  # 2. failover: SIGKILL the master, delete the VIP its crash left, the backup takes over
  before=$(count_log "$C_DIR/$lo.1.log" 'Entering MASTER STATE')
  t0=$(now_us)
  crash_pid "$hi_pid"
  ip -n "$(ns_of "$hi")" addr del "$VIP/24" dev "$LIB_IF" 2>/dev/null || true
  lo_takes_over failover SIGKILL "RFC master-down: $(master_down_ms "$LOW_PRIO") ms"

  # 3. preempt: the killed daemon restarts and takes the VIP back
  before=$(count_log "$C_DIR/$lo.1.log" 'Entering BACKUP STATE')
  t0=$(now_us)
  start_daemon "$hi_kind" "$hi" "$hi_conf" "$C_DIR/$hi.2.log"
  hi_pid=$LAST_PID
  limit=$(($(master_down_ms "$HIGH_PRIO") + 10000))
  if watch_vip "$VIP" "$(ms_to_s "$limit")" "$settle" "$hi" lb1 lb2; then
    ok "$C_NAME: preempt: restarted $hi ($hi_kind) took $VIP back $(since_ms "$t0") ms after its start"
  else
    ko "$C_NAME: preempt: restarted $hi ($hi_kind) did not take $VIP back alone in $(ms_to_s "$limit")s (holders: $W_LAST, stable: $W_STABLE)"
  fi
  dual_check preempt
  if [ "$hi_kind" = vipd ] && [ -n "$W_REACH_US" ]; then C_TAKEOVERS+=("$W_REACH_US"); fi
  check_log "preempt: $hi ($hi_kind) logged MASTER" "$C_DIR/$hi.2.log" 'Entering MASTER STATE'
  check_log "preempt: $lo ($lo_kind) logged BACKUP again" "$C_DIR/$lo.1.log" 'Entering BACKUP STATE' $((before + 1))
  if [ "$hi_kind" = vipd ]; then vipd_pid=$hi_pid; else vipd_pid=$lo_pid; fi
  vipd_stats_check "$vipd_pid"

  # 4. stop: SIGTERM the master; its priority-0 advert hands over after the backup's skew time
  before=$(count_log "$C_DIR/$lo.1.log" 'Entering MASTER STATE')
  lines=$(wc -l <"$C_DIR/$lo.1.log")
  t0=$(now_us)
  kill -TERM "$hi_pid"
  lo_takes_over stop SIGTERM "RFC skew: $(skew_ms "$LOW_PRIO") ms"
  # The cause, in order: the backup heard the priority 0 and then went MASTER (not after silence).
  check "$C_NAME: stop: $lo ($lo_kind) logged 'Backup received priority 0 advertisement' before MASTER" \
    eval "tail -n +$((lines + 1)) '$C_DIR/$lo.1.log' | grep -E 'Backup received priority 0 advertisement|Entering MASTER STATE' | head -n 1 | grep -q 'priority 0'"
  check_log "stop: $hi ($hi_kind) logged 'sent 0 priority'" "$C_DIR/$hi.2.log" 'sent 0 priority'
  wait_exit 5 "$hi_pid" || true  # the SIGTERM above; stop_pid only reaps it (or kills it if it hangs)
  stop_pid "$hi_pid" 1
  if [ "$hi_kind" = vipd ]; then
    check "$C_NAME: stop: vipd exited 0 on SIGTERM (got $LAST_RC)" test "$LAST_RC" = 0
    check "$C_NAME: stop: vipd removed $VIP from $hi" wait_no_vip "$hi" "$VIP" 1
  fi

  # The backup, now master, stops too; then the capture.
  stop_pid "$lo_pid" 5
  if [ "$lo_kind" = vipd ]; then
    check "$C_NAME: end: vipd exited 0 on SIGTERM as master (got $LAST_RC)" test "$LAST_RC" = 0
    check "$C_NAME: end: vipd removed $VIP from $lo" wait_no_vip "$lo" "$VIP" 1
  fi
  ip -n "$(ns_of "$VIPD_NODE")" addr del "$VIP/24" dev "$LIB_IF" 2>/dev/null || true
  ip -n "$(ns_of "$KA_NODE")" addr del "$VIP/24" dev "$LIB_IF" 2>/dev/null || true
  C_PIDS=()
  stop_pid "$C_CAP" 10
  C_CAP=""

  # 5. the wire
  analyse_capture "$C_DIR/capture.pcapng"
  note "$C_NAME: $((($(now_us) - case_t0) / 1000000)) s"
}

# ---- main --------------------------------------------------------------------------------------

run_t0=$(now_us)
lab_up --subnet "$SUBNET"
selected=0
for c in "${CASES[@]}"; do
  name=${c%% *}
  if [ -n "${VINT_CASES:-}" ] && ! [[ $name =~ $VINT_CASES ]]; then continue; fi
  selected=$((selected + 1))
  run_case "$c"
done
[ "$selected" -gt 0 ] || ko "no case matches VINT_CASES='${VINT_CASES:-}'"
note "$selected cases in $((($(now_us) - run_t0) / 1000000)) s"
lib_summary
