#!/usr/bin/env bash
# Hostile VRRP input against a running vipd pair on the namespace LAN (scripts/lab, prefix vhost):
# lb1 MASTER (150), lb2 BACKUP (100), v2 with a PASS password, first in multicast mode, then in
# unicast mode. From the client namespace, python3 raw sockets (IPPROTO_RAW, so TTL and checksums are
# ours) send adverts that are wrong in one way each, then a flood of random proto-112 packets. Each kind
# must be counted under its drop reason in the SIGUSR2 statistics (and under no other), no state may
# change (no "Entering" line, the VIP never moves), and both vipd must still run and advertise.
# Exit 77 = skipped (not root / no netns / no python3).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
NAME=vhost
# The lab (NET, IF, VIP, LB1, LB2), LAB, VIPD, T0, tmp; PID/LOG/STATS by key, start_vipd, wait_log,
# wait_vip, stats, show_logs, the cleanup at exit.
# shellcheck source=tests/netns/vipd_pair.sh
source "$(dirname "${BASH_SOURCE[0]}")/vipd_pair.sh"
lib_require_cmds python3
GROUP=224.0.0.18
PASSWORD=vipdpass
N=${N:-10}               # packets per hostile kind
FLOOD=${FLOOD:-100000}   # random packets in each flood
FLOOD_S=${FLOOD_S:-30}   # the flood's time limit
PY=$(command -v python3)

stop_vipd() {  # stop_vipd KEY: SIGTERM and wait (5 s); EXIT_RC gets its status
  local key=$1 p=${PID[$1]:-} i
  EXIT_RC=
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null
  for ((i = 0; i < 100; i++)); do alive "$p" || break; sleep 0.05; done
  if alive "$p"; then end_pid "$p"; else wait "$p" 2>/dev/null; EXIT_RC=$?; fi
  PID[$key]=
}

# snap KEY FILE: the statistics as SECTION.FIELD=VALUE lines (vipd_pair.sh's stats) in FILE
snap() { stats "$1" >"$2"; }
val() { awk -F= -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' "$1"; }  # val FILE KEY
# drops_changed OLD NEW: the drop counters (lower-case reasons) that differ, as KEY:+DELTA, sorted
drops_changed() {
  awk -F= 'NR == FNR { old[$1] = $2; next }
           { split($1, p, "."); if (p[2] !~ /^[a-z]/ || p[2] == "state") next
             if ($2 != old[$1]) print $1 ":+" ($2 - old[$1]) }' "$1" "$2" | sort | paste -sd ' '
}
drops_total() { awk -F= '{ split($1, p, "."); if (p[2] ~ /^[a-z]/ && p[2] != "state") s += $2 } END { print s + 0 }' "$1"; }
# wait_count KEY FILE FIELD MIN MS: re-snaps KEY into FILE until FIELD reaches MIN
wait_count() {
  local key=$1 f=$2 field=$3 min=$4 ms=$5 end i
  end=$(($(now_ms) + ms))
  for ((i = 0; i < ms / 50 + 5; i++)); do
    snap "$key" "$f" && [ "$(val "$f" "$field")" -ge "$min" ] && return 0
    [ "$(now_ms)" -ge "$end" ] && return 1
    sleep 0.05
  done
  return 1
}

kernel_drops() { ip netns exec "$NAME-$1" awk 'NR > 1 { s += $NF } END { print s + 0 }' /proc/net/raw; }  # raw sockets' drops in NODE

# ---- the sender ----------------------------------------------------------------------------------
cat >"$tmp/hostile.py" <<'PY'
# hostile.py SRC KIND COUNT DST...: COUNT packets of KIND to each DST, through an IPPROTO_RAW socket
# (we write the IP header: TTL and every VRRP byte are ours; the kernel fills in the IP length, id
# and header checksum). Kinds are one mistake each on an otherwise valid v2 advert for vrid 51, VIP
# .100, password PASSWORD, priority 254 (so an accepted one would move the master); "flood" is random.
import os, random, socket, struct, sys, time

src, kind, count, dsts = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
vip, password = os.environ["VIP"], os.environ["PASSWORD"].encode()
limit_s = float(os.environ.get("FLOOD_S", "30"))

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def advert(version=2, typ=1, vrid=51, prio=254, auth=1, pw=password, interval=1, addrs=None, src_ip=src, dst_ip="224.0.0.18"):
    addrs = [vip] if addrs is None else addrs
    body = b"".join(socket.inet_aton(a) for a in addrs)
    if version == 2:
        msg = struct.pack("!BBBBBBH", version << 4 | typ, vrid, prio, len(addrs), auth, interval, 0) + body + pw.ljust(8, b"\0")[:8]
        c = csum(msg)
    else:  # v3: 12-bit interval in centiseconds, checksum over the IPv4 pseudo-header too
        cs = interval * 100
        msg = struct.pack("!BBBBHH", version << 4 | typ, vrid, prio, len(addrs), cs & 0x0FFF, 0) + body
        pseudo = socket.inet_aton(src_ip) + socket.inet_aton(dst_ip) + struct.pack("!BBH", 0, 112, len(msg))
        c = csum(pseudo + msg)
    return msg[:6] + struct.pack("!H", c) + msg[8:]

def ip(payload, dst, ttl=255):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0xC0, 0, 0, 0, ttl, 112, 0, socket.inet_aton(src), socket.inet_aton(dst)) + payload

def packets(dst, i):
    if kind == "good":            # valid in every way but the source or the destination
        return ip(advert(dst_ip=dst), dst)
    if kind == "ttl":             # RFC 3768 §7.1: TTL must be 255
        return ip(advert(dst_ip=dst), dst, ttl=(1, 64, 128, 254)[i % 4])
    if kind == "checksum":
        a = bytearray(advert(dst_ip=dst)); a[6] ^= 0x5A
        return ip(bytes(a), dst)
    if kind == "version4":        # VRRP version 4 (and 0, 1, 15), checksum right for the bytes sent
        return ip(fix_version(advert(dst_ip=dst), (4, 0, 1, 15)[i % 4]), dst)
    if kind == "type":
        return ip(advert(typ=(2, 0, 15)[i % 3], dst_ip=dst), dst)
    if kind == "auth":            # PASS with the wrong password
        return ip(advert(pw=b"wrong!!!", dst_ip=dst), dst)
    if kind == "authtype":        # no authentication where PASS is configured
        return ip(advert(auth=0, pw=b"", dst_ip=dst), dst)
    if kind == "short":           # not even the 8-byte VRRP header
        return ip(advert(dst_ip=dst)[: (0, 1, 4, 7)[i % 4]], dst)
    if kind == "cut":             # the header, but not the whole advert (20 bytes)
        return ip(advert(dst_ip=dst)[: (8, 12, 16, 19)[i % 4]], dst)
    if kind == "vrid":            # a VRID nobody runs
        return ip(advert(vrid=99, dst_ip=dst), dst)
    if kind == "interval":        # RFC 3768 §7.1: the advert interval must match (2 s, not 1)
        return ip(advert(interval=2, dst_ip=dst), dst)
    if kind == "v3":              # VRRPv3 to a v2 instance
        return ip(advert(version=3, dst_ip=dst), dst)
    if kind == "addr":            # another VIP than the instance's
        return ip(advert(addrs=[vip.rsplit(".", 1)[0] + ".200"], dst_ip=dst), dst)
    raise SystemExit("unknown kind " + kind)

def fix_version(a, v):            # version nibble v, checksum recomputed (so only the version is wrong)
    a = bytearray(a); a[0] = v << 4 | (a[0] & 0x0F); a[6:8] = b"\0\0"
    c = csum(bytes(a)); a[6:8] = struct.pack("!H", c)
    return bytes(a)

s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))

def send(pkt, dst):
    for _ in range(1000):  # a full device queue answers ENOBUFS: wait a little and try again
        try:
            s.sendto(pkt, (dst, 0))
            return True
        except OSError as e:
            if e.errno not in (105, 11):
                raise
            time.sleep(0.001)
    return False

sent = 0
if kind == "flood":
    rnd = random.Random(int(os.environ.get("SEED", "112")))
    start = time.monotonic()
    # Random bytes. One packet in four is a random v2 or v3 advert for vrid 51 with a consistent length
    # and a right checksum, so it gets through decoding into the instance checks (random auth type,
    # password, interval, addresses: none can pass them all, so none may be accepted).
    while sent < count and time.monotonic() - start < limit_s:
        dst = dsts[(sent // 4) % len(dsts)]  # blocks of four: each destination gets its share of both sorts
        if sent % 4 == 0:
            v = rnd.choice((2, 3)); naddr = rnd.randrange(0, 4)
            body = bytearray(rnd.getrandbits(8) for _ in range(8 + 4 * naddr + (8 if v == 2 else 0)))
            body[0] = v << 4 | 1; body[1] = 51; body[3] = naddr; body[6:8] = b"\0\0"
            if v == 2:
                body[4] = rnd.choice((0, 1, 1, 2, body[4]))
                c = csum(bytes(body))
            else:
                c = csum(socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 112, len(body)) + bytes(body))
            body[6:8] = struct.pack("!H", c)
        else:
            body = bytearray(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 80)))
        if send(ip(bytes(body), dst, ttl=rnd.choice((255, 255, 255, 64))), dst):
            sent += 1
    print(sent, "%.2f" % (time.monotonic() - start))
else:
    for dst in dsts:
        for i in range(count):
            sent += send(packets(dst, i), dst)
    print(sent)
PY

# hostile KIND COUNT DST...: runs the sender in the client namespace; prints what it sent
hostile() {
  VIP=$VIP PASSWORD=$PASSWORD FLOOD_S=$FLOOD_S timeout $((FLOOD_S + 30)) \
    ip netns exec "$NAME-client" "$PY" "$tmp/hostile.py" "$NET.50" "$@"
}

# ---- configs -------------------------------------------------------------------------------------
# conf PRIORITY [SRC PEER]: VI_1, vrid 51, v2, PASS password, advert_int 1; unicast when SRC and PEER are given
conf() {
  printf 'vrrp_instance VI_1 {\n    state BACKUP\n    interface %s\n    virtual_router_id 51\n    priority %s\n    advert_int 1\n' "$IF" "$1"
  printf '    authentication {\n        auth_type PASS\n        auth_pass %s\n    }\n' "$PASSWORD"
  if [ $# -ge 3 ]; then printf '    unicast_src_ip %s\n    unicast_peer {\n        %s\n    }\n' "$2" "$3"; fi
  printf '    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$VIP"
}

# ---- one phase -----------------------------------------------------------------------------------
# phase MODE: starts the pair (multicast or unicast), throws every hostile kind at it, then the flood.
phase() {
  local mode=$1 kinds k spec want key targets i
  echo "# ---- $mode mode ----"
  if [ "$mode" = multicast ]; then
    conf 150 >"$tmp/$mode-lb1.conf"; conf 100 >"$tmp/$mode-lb2.conf"
  else
    conf 150 "$LB1" "$LB2" >"$tmp/$mode-lb1.conf"; conf 100 "$LB2" "$LB1" >"$tmp/$mode-lb2.conf"
  fi
  start_vipd lb1 lb1 "$tmp/$mode-lb1.conf" && start_vipd lb2 lb2 "$tmp/$mode-lb2.conf" || { ko "$mode: start vipd pair"; return; }
  if wait_log lb1 "(VI_1) Entering MASTER STATE" 8000 && wait_vip lb1 "$VIP" 2000; then ok "$mode: lb1 MASTER, lb2 BACKUP"
  else ko "$mode: lb1 becomes MASTER"; show_logs lb1 lb2; return; fi
  check "$mode: lb2 hears lb1 (accepted adverts)" wait_count lb2 "$tmp/s2" VI_1.Advertisements_accepted 1 3000

  local off1 off2 mon1 mon2
  off1=$(log_lines lb1); off2=$(log_lines lb2)
  ip -n "$NAME-lb1" monitor address >"$tmp/$mode-mon1.out" 2>&1 &
  mon1=$!; BG+=("$mon1")
  ip -n "$NAME-lb2" monitor address >"$tmp/$mode-mon2.out" 2>&1 &
  mon2=$!; BG+=("$mon2")

  # KIND:DESTINATIONS:EXPECTED-KEY (the counter that must grow by N on each node reached, and no other)
  if [ "$mode" = multicast ]; then
    kinds=("ttl:$GROUP:VI_1.bad_ttl" "checksum:$GROUP:unmatched.bad_checksum" "version4:$GROUP:unmatched.bad_version"
      "type:$GROUP:unmatched.bad_type" "auth:$GROUP:VI_1.auth_failure" "authtype:$GROUP:VI_1.auth_type_mismatch"
      "short:$GROUP:unmatched.truncated" "cut:$GROUP:unmatched.length_mismatch" "vrid:$GROUP:unmatched.vrid_mismatch"
      "interval:$GROUP:VI_1.interval_mismatch" "v3:$GROUP:VI_1.version_mismatch" "addr:$GROUP:VI_1.addr_missing"
      "good:$LB1 $LB2:VI_1.not_multicast")
  else
    kinds=("good:$LB1 $LB2:VI_1.src_not_peer" "ttl:$LB1 $LB2:VI_1.src_not_peer" "good:$GROUP:VI_1.multicast_in_unicast"
      "checksum:$LB1 $LB2:unmatched.bad_checksum" "version4:$LB1 $LB2:unmatched.bad_version" "type:$LB1 $LB2:unmatched.bad_type"
      "auth:$LB1 $LB2:VI_1.auth_failure" "short:$LB1 $LB2:unmatched.truncated" "cut:$LB1 $LB2:unmatched.length_mismatch"
      "vrid:$LB1 $LB2:unmatched.vrid_mismatch" "interval:$LB1 $LB2:VI_1.interval_mismatch")
  fi
  for spec in "${kinds[@]}"; do
    k=${spec%%:*}; targets=${spec#*:}; targets=${targets%:*}; key=${spec##*:}
    snap lb1 "$tmp/a1" && snap lb2 "$tmp/a2" || { ko "$mode $k: statistics before"; continue; }
    # shellcheck disable=SC2086  # targets is a list
    local sent
    sent=$(hostile "$k" "$N" $targets) || sent=0
    local bad=""
    for i in 1 2; do
      local node=lb$i addr=$LB1
      [ $i = 2 ] && addr=$LB2
      # A unicast destination reaches one node; the group reaches both.
      case " $targets " in *" $GROUP "* | *" $addr "*) want=$N ;; *) want=0 ;; esac
      if [ "$want" -gt 0 ]; then
        wait_count "$node" "$tmp/b$i" "$key" $(($(val "$tmp/a$i" "$key") + want)) 3000 || true
      else
        snap "$node" "$tmp/b$i"
      fi
      local got expect=""
      got=$(drops_changed "$tmp/a$i" "$tmp/b$i")
      [ "$want" -gt 0 ] && expect="$key:+$want"
      [ "$got" = "$expect" ] || bad+=" $node: want [${expect}] got [${got}];"
    done
    if [ -z "$bad" ] && [ "$sent" -eq $((N * $(wc -w <<<"$targets"))) ]; then ok "$mode: $k x$N -> counted as $key, nothing else"
    else ko "$mode: $k (sent $sent) ->$bad"; fi
  done

  # The flood: random packets, bounded in count and time.
  snap lb1 "$tmp/a1"; snap lb2 "$tmp/a2"
  local ft t1 t2 flood_dst=$GROUP
  [ "$mode" = unicast ] && flood_dst="$LB1 $LB2"
  local k1 k2
  k1=$(kernel_drops lb1); k2=$(kernel_drops lb2)
  # shellcheck disable=SC2086
  ft=$(hostile flood "$FLOOD" $flood_dst) || ft="0 0"
  echo "# $mode flood: sent ${ft% *} packets in ${ft#* } s"
  check "$mode flood: all $FLOOD packets sent" test "${ft% *}" -eq "$FLOOD"
  # Counted once the totals stop moving (each vipd reads at most 256 a turn; the kernel may drop what
  # overflows the socket buffer, which /proc/net/raw reports).
  for i in 1 2; do
    local prev=-1 cur
    for ((t1 = 0; t1 < 50; t1++)); do
      snap "lb$i" "$tmp/b$i" || break
      cur=$(drops_total "$tmp/b$i")
      [ "$cur" = "$prev" ] && break
      prev=$cur; sleep 0.2
    done
    local counted kdrops
    counted=$(($(drops_total "$tmp/b$i") - $(drops_total "$tmp/a$i")))
    kdrops=$(($(kernel_drops "lb$i") - $([ $i = 1 ] && echo "$k1" || echo "$k2")))
    echo "# $mode flood, lb$i: vipd counted $counted drops ($(drops_changed "$tmp/a$i" "$tmp/b$i")); the kernel dropped $kdrops (socket buffer full)"
    t2=$FLOOD  # the group reaches both nodes; unicast splits the flood between them
    [ "$mode" = unicast ] && t2=$((FLOOD / 2))
    # Each packet is counted by vipd or dropped by the kernel before vipd reads it (a veth backlog
    # may also drop some under load, so at most); vipd must keep up with at least half.
    # The kernel's count also holds the peer's genuine adverts lost while the buffer was full (one a
    # second for the length of the flood), so allow those on top of what was sent.
    check "$mode flood, lb$i: counted + kernel drops <= $t2 sent + 60 genuine adverts, counted >= half ($counted + $kdrops)" \
      test "$((counted + kdrops))" -le "$((t2 + 60))" -a "$counted" -ge $((t2 / 2))
  done
  check "$mode flood: lb1 accepted nothing it should not have" test "$(val "$tmp/b1" VI_1.Advertisements_accepted)" -eq "$(val "$tmp/a1" VI_1.Advertisements_accepted)"

  # Nothing moved, both still run and lb1 still advertises.
  local acc
  acc=$(val "$tmp/b2" VI_1.Advertisements_accepted)
  check "$mode: lb2 still hears lb1 after the flood (3 more adverts)" wait_count lb2 "$tmp/b2" VI_1.Advertisements_accepted $((acc + 3)) 6000
  check "$mode: both vipd still run" eval "alive ${PID[lb1]} && alive ${PID[lb2]}"
  check "$mode: no 'Entering' line on lb1 or lb2 during the phase" eval "! log_since lb1 $off1 | grep -F Entering && ! log_since lb2 $off2 | grep -F Entering"
  check "$mode: lb1 still MASTER, lb2 still BACKUP" eval "snap lb1 $tmp/b1 && snap lb2 $tmp/b2 && [ \"\$(grep -h '^VI_1.state=' $tmp/b1 $tmp/b2 | paste -sd ,)\" = VI_1.state=MASTER,VI_1.state=BACKUP ]"
  check "$mode: lb1 holds $VIP, lb2 does not" eval "has_vip lb1 $VIP && ! has_vip lb2 $VIP"
  check "$mode: the VIP never moved (ip monitor on lb1 and lb2)" eval "! grep -F ' $VIP/' $tmp/$mode-mon1.out $tmp/$mode-mon2.out"
  if [ "$LIB_FAIL" -gt 0 ]; then show_logs lb1 lb2; fi
  end_pid "$mon1"; end_pid "$mon2"
  stop_vipd lb1; check "$mode: lb1 exits 0 on SIGTERM" test "${EXIT_RC:-x}" = 0
  stop_vipd lb2; check "$mode: lb2 exits 0 on SIGTERM" test "${EXIT_RC:-x}" = 0
}

# ==================================================================================================
"$LAB" down --name "$NAME" >/dev/null 2>&1 || true
if "$LAB" up --name "$NAME" >/dev/null; then ok "lab up --name $NAME"; else ko "lab up --name $NAME"; exit 1; fi
for m in ${MODES:-multicast unicast}; do
  s=$(now_ms)
  phase "$m"
  echo "# ($m: $(($(now_ms) - s)) ms)"
done
if "$LAB" down --name "$NAME" >/dev/null 2>&1; then ok "lab down"; else ko "lab down"; fi
echo "# runtime $(((${EPOCHREALTIME/[.,]/} - T0) / 1000000)) s"
lib_summary
