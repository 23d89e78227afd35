#!/usr/bin/env bash
# End-to-end test of wire.c: h1 -- [w-a  wire  w-b] -- h2, each box its own temporary netns.
# Run as root. Creates nothing in the root namespace except the namespaces, all named wt<pid>*,
# and removes everything on exit. Last output line: "N passed, M failed".
set -u
cd "$(dirname "$0")"

P="wt$$"; H1="${P}h1"; W="${P}w"; H2="${P}h2"
PASS=0; FAIL=0; WIRE_PID=; SHELL_PID=; TMP=

ok() { echo "PASS: $*"; PASS=$((PASS + 1)); }
ko() { echo "FAIL: $*"; FAIL=$((FAIL + 1)); }
finish() { echo "$PASS passed, $FAIL failed"; [ "$FAIL" -eq 0 ]; exit $?; }
cleanup() {   # must stay silent: the summary has to remain the last line
    for p in $WIRE_PID $SHELL_PID; do kill -TERM "$p" 2>/dev/null; done
    for ns in "$H1" "$W" "$H2"; do ip netns del "$ns" 2>/dev/null; done
    [ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || { echo "must run as root"; exit 1; }
for t in ip ping gcc; do command -v "$t" >/dev/null || { echo "$t is missing"; exit 1; }; done
command -v ethtool >/dev/null || { echo "ethtool is missing (apt-get install ethtool); not installing it"; exit 1; }

TMP=$(mktemp -d "/tmp/${P}.XXXXXX")
CONF="$TMP/wire.conf"; ERR="$TMP/wire.err"

# --- build ---------------------------------------------------------------------------------
if ! gcc -O2 -Wall -Wextra -o "$TMP/wire" wire.c -lm 2>"$TMP/cc.log"; then
    cat "$TMP/cc.log"; ko "wire.c does not compile"; finish
fi
if [ -s "$TMP/cc.log" ]; then cat "$TMP/cc.log"; ko "wire.c compiles with warnings"; else ok "wire.c compiles without warnings"; fi

# --- topology: veths are created inside the namespaces, never in the root one --------------
setup() {
    local ns
    for ns in "$H1" "$W" "$H2"; do
        ip netns add "$ns" || return 1
        # no IPv6 chatter (DAD, RS, MLD) through the wire while measuring
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || return 1
    done
    ip -n "$H1" link add h1-e0 type veth peer name w-a netns "$W" || return 1
    ip -n "$H2" link add h2-e0 type veth peer name w-b netns "$W" || return 1
    ip -n "$H1" addr add 10.250.0.1/24 dev h1-e0 || return 1
    ip -n "$H2" addr add 10.250.0.2/24 dev h2-e0 || return 1
    # an AF_PACKET forwarder must see MTU-sized frames with complete checksums
    ip netns exec "$H1" ethtool -K h1-e0 tx off tso off gso off gro off >/dev/null || return 1
    ip netns exec "$W" ethtool -K w-a tx off tso off gso off gro off >/dev/null || return 1
    ip netns exec "$W" ethtool -K w-b tx off tso off gso off gro off >/dev/null || return 1
    ip netns exec "$H2" ethtool -K h2-e0 tx off tso off gso off gro off >/dev/null || return 1
    ip -n "$H1" link set h1-e0 up && ip -n "$H2" link set h2-e0 up &&
        ip -n "$W" link set w-a up && ip -n "$W" link set w-b up
}
setup || { ko "namespace/veth setup"; finish; }

setconf() {   # setconf "<ab fields>" "<ba fields>"; rename so wire never reads a partial file
    printf 'ab %s\nba %s\n' "$1" "$2" >"$CONF.tmp" && mv -f "$CONF.tmp" "$CONF"
}
reload() { kill -HUP "$WIRE_PID"; sleep 0.2; }

# measure: 3-ping warm-up (ARP across the delayed link), then 50 pings; sets MED AVG MDEV LOSS.
# The median is what is compared: one scheduling hiccup of a busy 2-vCPU VM moves the mean.
measure() {
    local out
    ip netns exec "$H1" ping -q -c 3 -i 0.2 -W 2 10.250.0.2 >/dev/null 2>&1
    out=$(ip netns exec "$H1" ping -c "${1:-50}" -i 0.02 -W 2 10.250.0.2 2>&1)
    LOSS=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' <<<"$out")
    read -r AVG MDEV < <(sed -n 's|^rtt [^=]*= [0-9.]*/\([0-9.]*\)/[0-9.]*/\([0-9.]*\) ms.*|\1 \2|p' <<<"$out")
    MED=$(sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' <<<"$out" | sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
    MED=${MED:-nan}; AVG=${AVG:-nan}; MDEV=${MDEV:-nan}; LOSS=${LOSS:-nan}
}
in_range() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x != "nan" && x >= lo && x <= hi) }'; }
# measure_in LO HI [N]: measure until the median is in [LO, HI] with no loss, 3 tries at most. The
# check is of the emulator's delay, not of the VM's load: another process busy on both vCPUs once
# moved a median by 3.6 ms (a failed CI run), while a wrong delay misses all three tries.
measure_in() {
    local try
    for try in 1 2 3; do
        measure "${3:-50}"
        if in_range "$MED" "$1" "$2" && [ "$LOSS" = 0 ]; then return 0; fi
        echo "info: try $try: median $MED ms, loss $LOSS %, outside [$1, $2]"
    done
    return 1
}
ping_loss() {   # prints the loss percentage of N quick pings
    ip netns exec "$H1" ping -q -c "$1" -i 0.02 -W 1 10.250.0.2 2>&1 | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p'
}

# --- start wire under its own parent shell (the shell must not exec wire: test 4 kills it) ---
setconf "10 0 0 0 0" "10 0 0 0 0"
ip netns exec "$W" bash -c '"$1/wire" -a w-a -b w-b -c "$1/wire.conf" -S 42 2>>"$1/wire.err" &
    echo $! >"$1/wire.pid"; echo $$ >"$1/shell.pid"; wait' _ "$TMP" &
disown   # no "Killed" job notice from bash when test 4 kills this shell
for _ in $(seq 50); do [ -s "$TMP/wire.pid" ] && [ -s "$TMP/shell.pid" ] && break; sleep 0.05; done
WIRE_PID=$(cat "$TMP/wire.pid" 2>/dev/null); SHELL_PID=$(cat "$TMP/shell.pid" 2>/dev/null)
sleep 0.3
if [ -z "$WIRE_PID" ] || ! kill -0 "$WIRE_PID" 2>/dev/null; then
    cat "$ERR" 2>/dev/null; ko "wire did not start"; finish
fi

# 1. 10 ms each way
if measure_in 20.0 21.0; then echo "info: 10 ms/dir: median $MED ms, avg $AVG ms, mdev $MDEV ms, loss $LOSS %"; ok "10 ms each way -> median RTT $MED ms in [20.0, 21.0]"
else ko "10 ms each way -> median RTT $MED ms (loss $LOSS %), expected [20.0, 21.0]"; fi

# 2. SIGHUP reload to 50 ms each way
setconf "50 0 0 0 0" "50 0 0 0 0"; reload
if measure_in 100.0 101.0; then echo "info: 50 ms/dir: median $MED ms, avg $AVG ms, mdev $MDEV ms, loss $LOSS %"; ok "SIGHUP to 50 ms each way -> median RTT $MED ms in [100.0, 101.0]"
else ko "SIGHUP to 50 ms each way -> median RTT $MED ms (loss $LOSS %), expected [100.0, 101.0]"; fi

# 2b. a malformed file keeps the old settings and warns
printf 'ab fifty\n' >"$CONF"; reload
if grep -q 'warning' "$ERR" && measure_in 100.0 101.0 10; then ok "malformed conffile: warning printed, still $MED ms"
else ko "malformed conffile: median $MED ms, stderr: $(tr '\n' ' ' <"$ERR")"; fi

# 3. 100 % loss a->b blackholes the pings; 0 % restores them
setconf "10 0 100 0 0" "10 0 0 0 0"; reload
L=$(ping_loss 20)
if [ "$L" = 100 ]; then ok "loss 100 % a->b -> ping loss $L %"; else ko "loss 100 % a->b -> ping loss $L %, expected 100"; fi
setconf "10 0 0 0 0" "10 0 0 0 0"; reload
L=$(ping_loss 20)
if [ "$L" = 0 ]; then ok "loss back to 0 % -> ping loss $L %"; else ko "loss back to 0 % -> ping loss $L %, expected 0"; fi

# 5. SIGUSR1 -> one JSON line on stderr (the 20 blackholed requests must show up as 'lost')
kill -USR1 "$WIRE_PID"; sleep 0.2
J=$(grep '^{' "$ERR" | tail -n 1)
echo "info: stats: $J"
if command -v python3 >/dev/null; then
    python3 -c 'import json, sys
s = json.loads(sys.argv[1])
keys = ("received", "sent", "lost", "dropped", "late_mean_us", "late_max_us")
assert all(k in s[d] for d in ("ab", "ba") for k in keys)
assert s["ab"]["lost"] >= 20 and s["ba"]["lost"] == 0 and s["ab"]["sent"] > 0' "$J" 2>/dev/null
else
    grep -q '"ab":{"received":[0-9]*,"sent":[0-9]*,"lost":[0-9]*,"dropped":[0-9]*' <<<"$J"
fi && ok "SIGUSR1 prints a JSON stats line" || ko "SIGUSR1 stats line invalid: '$J'"

# 5b. SIGUSR2 prints the same line and starts the lateness window over: with no packet since,
# the next line's lateness is 0 (the harness's fidelity guard reads one window per run)
kill -USR2 "$WIRE_PID"; sleep 0.2; kill -USR1 "$WIRE_PID"; sleep 0.2
J2=$(grep '^{' "$ERR" | tail -n 2 | head -n 1); J3=$(grep '^{' "$ERR" | tail -n 1)
python3 -c 'import json, sys
before, after = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert before["ab"]["late_max_us"] > 0 and before["ab"]["sent"] > 0
assert after["ab"]["late_max_us"] == 0 and after["ab"]["late_mean_us"] == 0 and after["ab"]["sent"] == before["ab"]["sent"]' "$J2" "$J3" \
    && ok "SIGUSR2 prints the stats line and starts the lateness window over" || ko "SIGUSR2: '$J2' then '$J3'"

# idle cost of one wire (information, plus a generous sanity bound)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$WIRE_PID/stat"; }
c0=$(cpu_ticks); sleep 3; c1=$(cpu_ticks)
RSS=$(awk '/^VmRSS/ { print $2 }' "/proc/$WIRE_PID/status")
CPU=$(awk -v d=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", 100 * d / hz / 3 }')
echo "info: idle wire: CPU $CPU % over 3 s, RSS $RSS kB"
if [ "$RSS" -lt 16384 ] && in_range "$CPU" 0 1; then ok "idle wire is cheap (CPU $CPU %, RSS $RSS kB)"
else ko "idle wire: CPU $CPU %, RSS $RSS kB"; fi

# 4. SIGKILL on wire's parent shell -> PDEATHSIG makes wire exit within 2 s
gone() { [ ! -e "/proc/$WIRE_PID" ] || grep -q '^State:.*Z' "/proc/$WIRE_PID/status" 2>/dev/null; }
kill -KILL "$SHELL_PID"; t0=$(date +%s%N); SHELL_PID=
while ! gone && [ $(($(date +%s%N) - t0)) -lt 2000000000 ]; do sleep 0.02; done
MS=$((($(date +%s%N) - t0) / 1000000))
if gone; then ok "wire exited ${MS} ms after its parent was SIGKILLed"; WIRE_PID=
else ko "wire still alive ${MS} ms after its parent was SIGKILLed"; fi

finish
