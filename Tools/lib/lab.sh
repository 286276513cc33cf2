# shellcheck shell=bash
# Lab topology for Duplex: two boards, a client and a switch, each in its own network
# namespace. Sourced by Tools/lab, Tools/demo and Tools/bench/failover.
#
#   [A] bp0 (bp1) ════ dedicated link(s), direct veth ════ (bp1) bp0 [B]
#   [A] lan0 ──┐                                           ┌── lan0 [B]
#              └──── br0 in the switch namespace ──────────┘
#                             └── lan0 [client]
#
# State lives in $DUPLEX_LAB_ROOT/ID (default /run/duplex-lab/ID):
#   env       KEY=VALUE lines (no quoting needed): namespace names, addresses, paths
#   pids      "PID STARTTIME NODE LABEL" for each process started with lab_spawn
#   a.conf    Config/board-a.conf with [control] socket = ID/a.sock (b.conf likewise)
#   log/      LABEL.log: stdout and stderr of each spawned process

DUPLEX_ROOT=${DUPLEX_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LAB_ROOT=${DUPLEX_LAB_ROOT:-/run/duplex-lab}
LAB_NODES=(a b c sw)
# The dedicated links' MTU (a backplane's jumbo frames); the service LAN keeps 1500.
LAB_LINK_MTU=${LAB_LINK_MTU:-1500}
# 1: each board's processes (those started with lab_exec and lab_spawn in a or b) run on a
# CPU set of their own, half of the machine's CPUs each (one each on two), as two boards
# have; the client and the switch are not pinned. 0 (the default): the scheduler places them.
LAB_BOARD_CPUS=${LAB_BOARD_CPUS:-0}
LAB_ID_MAX=11          # root-side veth names are v + ID + 2 characters <= 15
LAB_STOP_POLLS=60      # 60 x 50 ms: how long a process gets between SIGTERM and SIGKILL

lab_die() { echo "lab: error: $*" >&2; return 1; }

# A fresh lab id from this shell's pid and a random number, e.g. 12345x0af.
lab_new_id() { printf '%dx%03x\n' "$$" "$((RANDOM % 4096))"; }

lab_check_id() {
    [[ ${1:-} =~ ^[a-z0-9]{1,11}$ ]] || lab_die "lab id '${1:-}' must be 1 to $LAB_ID_MAX of [a-z0-9]"
}

lab_dir() { echo "$LAB_ROOT/$1"; }

# Namespace name of NODE (a, b, c or sw) in lab ID; derived, so down works without state.
lab_ns_name() { echo "dlx-$1-$2"; }

# Prints the namespace of NODE in lab ID, checking the node name.
lab_ns() {
    local id=$1 node=$2
    case $node in a|b|c|sw) lab_ns_name "$id" "$node" ;; *) lab_die "node '$node' is not a, b, c or sw" ;; esac
}

# Sources the lab's env file into the current shell (LAB_* variables).
lab_load() {
    local id=$1 env
    lab_check_id "$id" || return 1
    env="$(lab_dir "$id")/env"
    [[ -f $env ]] || lab_die "no lab '$id' (missing $env)" || return 1
    # shellcheck disable=SC1090
    source "$env"
}

# The process start time (field 22 of /proc/PID/stat), empty if PID is gone or a zombie.
lab_proc_start() {
    local stat rest fields
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    rest=${stat##*) }
    read -ra fields <<<"$rest"
    [[ ${fields[0]} == Z ]] && return 0
    echo "${fields[19]}"
}

# Stops PID if it still has START as its start time: SIGTERM and SIGCONT (a stopped process
# must run to die), a bounded wait, then SIGKILL.
lab_stop_pid() {
    local pid=$1 start=$2 i
    [[ $(lab_proc_start "$pid") == "$start" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true
    for ((i = 0; i < LAB_STOP_POLLS; i++)); do
        [[ $(lab_proc_start "$pid") == "$start" ]] || return 0
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < LAB_STOP_POLLS; i++)); do
        [[ $(lab_proc_start "$pid") == "$start" ]] || return 0
        sleep 0.05
    done
    echo "lab: warning: pid $pid did not exit after SIGKILL" >&2
}

# Writes SRC to DST with `socket = SOCK` in section [control] (replaced, inserted or appended)
# and without the sections [link bpN] for N >= LINKS (the lab has only bp0...bpLINKS-1).
lab_write_config() {
    local src=$1 dst=$2 sock=$3 links=${4:-2}
    awk -v sock="$sock" -v links="$links" '
        function flush() { if (section == "control" && !done) { print "socket = " sock; done = 1 } }
        /^[[:space:]]*\[[^]]*\][[:space:]]*$/ {
            flush()
            section = $0; gsub(/^[[:space:]]*\[[[:space:]]*|[[:space:]]*\][[:space:]]*$/, "", section)
            skip = (section ~ /^link[[:space:]]+bp[0-9]+$/ && substr(section, match(section, /[0-9]+$/)) + 0 >= links)
            if (!skip) print
            next
        }
        skip { next }
        section == "control" && /^[[:space:]]*socket[[:space:]]*=/ {
            if (!done) print "socket = " sock; done = 1; next
        }
        { print }
        END { flush(); if (!done) { print ""; print "[control]"; print "socket = " sock } }
    ' "$src" >"$dst"
}

# Writes the env file of lab ID with LINKS dedicated links.
_lab_write_env() {
    local id=$1 links=$2 dir
    dir=$(lab_dir "$id")
    cat >"$dir/env" <<ENV
LAB_ID=$id
LAB_DIR=$dir
LAB_LINKS=$links
LAB_NS_A=$(lab_ns_name "$id" a)
LAB_NS_B=$(lab_ns_name "$id" b)
LAB_NS_C=$(lab_ns_name "$id" c)
LAB_NS_SW=$(lab_ns_name "$id" sw)
LAB_A_CONF=$dir/a.conf
LAB_B_CONF=$dir/b.conf
LAB_A_SOCK=$dir/a.sock
LAB_B_SOCK=$dir/b.sock
LAB_PIDS=$dir/pids
LAB_LOG_DIR=$dir/log
LAB_LAN_IF=lan0
LAB_A_LAN_V4=198.51.100.1
LAB_B_LAN_V4=198.51.100.2
LAB_C_LAN_V4=198.51.100.100
LAB_A_LAN_V6=2001:db8::1
LAB_B_LAN_V6=2001:db8::2
LAB_C_LAN_V6=2001:db8::100
LAB_LOGICAL_V4=198.51.100.10
LAB_LOGICAL_V4_PREFIX=24
LAB_LOGICAL_V6=2001:db8::10
LAB_LOGICAL_V6_PREFIX=64
LAB_BP0_A_V4=192.0.2.1
LAB_BP0_B_V4=192.0.2.2
LAB_BP1_A_V4=192.0.2.5
LAB_BP1_B_V4=192.0.2.6
ENV
}

# Moves root-namespace veth end TMP into namespace NS as NAME, with DAD off, and brings it up.
_lab_place() {
    local tmp=$1 ns=$2 name=$3
    ip link set dev "$tmp" netns "$ns" name "$name"
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$name.accept_dad=0" 2>/dev/null || true
}

# Builds the topology; run in its own `bash -e` so any failing step stops it.
_lab_build() {
    local id=$1 links=$2 node ns i
    for node in "${LAB_NODES[@]}"; do
        ns=$(lab_ns_name "$id" "$node")
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    done
    local nsa nsb nsw
    nsa=$(lab_ns_name "$id" a); nsb=$(lab_ns_name "$id" b); nsw=$(lab_ns_name "$id" sw)
    # The switch forwards frames only: no IPv6 stack on its ports, no STP delay, no snooping,
    # and no host firewall on bridged frames (a hardware switch has none; with br_netfilter
    # loaded the bridge would run every frame through iptables, on the sender's CPU).
    ip netns exec "$nsw" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$nsw" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0 \
        nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0
    ip -n "$nsw" link set br0 up
    for ((i = 0; i < links; i++)); do
        ip link add "v${id}${i}a" type veth peer name "v${id}${i}b"
        _lab_place "v${id}${i}a" "$nsa" "bp$i"
        _lab_place "v${id}${i}b" "$nsb" "bp$i"
        ip -n "$nsa" addr add "192.0.2.$((4 * i + 1))/30" dev "bp$i"
        ip -n "$nsb" addr add "192.0.2.$((4 * i + 2))/30" dev "bp$i"
        ip -n "$nsa" link set "bp$i" mtu "$LAB_LINK_MTU" up
        ip -n "$nsb" link set "bp$i" mtu "$LAB_LINK_MTU" up
    done
    local -A v4=([a]=198.51.100.1 [b]=198.51.100.2 [c]=198.51.100.100)
    local -A v6=([a]=2001:db8::1 [b]=2001:db8::2 [c]=2001:db8::100)
    for node in a b c; do
        ns=$(lab_ns_name "$id" "$node")
        ip link add "v${id}l${node}" type veth peer name "v${id}s${node}"
        _lab_place "v${id}l${node}" "$ns" lan0
        ip link set dev "v${id}s${node}" netns "$nsw" name "p$node"
        ip -n "$nsw" link set "p$node" master br0 up
        ip -n "$ns" addr add "${v4[$node]}/24" dev lan0
        ip -n "$ns" addr add "${v6[$node]}/64" dev lan0 nodad
        ip -n "$ns" link set lan0 up
    done
}

# Copies Config/board-{a,b}.conf into the state dir with the lab's control sockets.
_lab_write_configs() {
    local id=$1 links=$2 dir board
    dir=$(lab_dir "$id")
    for board in a b; do
        if [[ -f $DUPLEX_ROOT/Config/board-$board.conf ]]; then
            lab_write_config "$DUPLEX_ROOT/Config/board-$board.conf" "$dir/$board.conf" "$dir/$board.sock" "$links"
        else
            echo "lab: warning: $DUPLEX_ROOT/Config/board-$board.conf missing; no $board.conf written" >&2
        fi
    done
}

# Builds lab ID with LINKS (1 or 2) dedicated links; on any failure removes what it made.
lab_up() {
    local id=$1 links=${2:-1} dir
    lab_check_id "$id" || return 1
    [[ $links == 1 || $links == 2 ]] || lab_die "--links must be 1 or 2, not '$links'" || return 1
    dir=$(lab_dir "$id")
    [[ ! -e $dir ]] || lab_die "lab '$id' already exists ($dir)" || return 1
    mkdir -p "$dir/log"
    : >"$dir/pids"
    _lab_write_env "$id" "$links"
    if ! bash -euo pipefail -c 'source "$1"; _lab_build "$2" "$3"' _ "${BASH_SOURCE[0]}" "$id" "$links"; then
        lab_down "$id"
        lab_die "building lab '$id' failed; removed what was made"
        return 1
    fi
    _lab_write_configs "$id" "$links"
}

# Removes lab ID: stops recorded processes and any left in its namespaces (by PID), deletes
# the namespaces (their veths go with them), then the state dir unless KEEP is "keep".
# Idempotent: a missing lab or a missing part is not an error.
lab_down() {
    local id=$1 keep=${2:-} dir node ns pid start rest pids
    lab_check_id "$id" || return 1
    dir=$(lab_dir "$id")
    if [[ -f $dir/pids ]]; then
        # Watchdog stand-ins last, so that they see the daemons' orderly stop (magic close).
        while read -r pid start rest; do
            [[ -n $pid && $rest != *\ watchdog* ]] && lab_stop_pid "$pid" "$start"
        done <"$dir/pids"
        while read -r pid start rest; do
            [[ -n $pid && $rest == *\ watchdog* ]] && lab_stop_pid "$pid" "$start"
        done <"$dir/pids"
    fi
    for node in "${LAB_NODES[@]}"; do
        ns=$(lab_ns_name "$id" "$node")
        [[ -e /run/netns/$ns ]] || continue
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        for pid in $pids; do
            start=$(lab_proc_start "$pid")
            [[ -n $start ]] && lab_stop_pid "$pid" "$start"
        done
        ip netns del "$ns" 2>/dev/null || echo "lab: warning: could not delete namespace $ns" >&2
    done
    if [[ $keep != keep ]]; then
        rm -rf -- "$dir"
    fi
    return 0
}

# Runs CMD in NODE's namespace of lab ID (replaces the current process when called via exec).
lab_exec() {
    local id=$1 node=$2 ns
    shift 2
    ns=$(lab_ns "$id" "$node") || return 1
    ip netns exec "$ns" $(lab_board_pinning "$node") "$@"
}

# With LAB_BOARD_CPUS=1, the taskset prefix that keeps NODE's processes on the board's own
# CPUs (board a the first half, board b the second); nothing otherwise, for other nodes and
# on a machine with a single CPU.
lab_board_pinning() {
    local node=$1 cpus half
    [[ $LAB_BOARD_CPUS == 1 ]] || return 0
    cpus=$(nproc)
    ((cpus >= 2)) || return 0
    half=$((cpus / 2))
    case $node in
        a) echo "taskset -c 0-$((half - 1))" ;;
        b) echo "taskset -c $half-$((cpus - 1))" ;;
    esac
}

# Starts CMD in the background in NODE's namespace, output to log/LABEL.log, records it in
# pids and prints its PID.
lab_spawn() {
    local id=$1 node=$2 label=$3 ns dir pid start
    shift 3
    lab_check_id "$id" || return 1
    [[ $label =~ ^[A-Za-z0-9_.-]+$ ]] || lab_die "label '$label' must be [A-Za-z0-9_.-]+" || return 1
    ns=$(lab_ns "$id" "$node") || return 1
    dir=$(lab_dir "$id")
    [[ -d $dir ]] || lab_die "no lab '$id'" || return 1
    ip netns exec "$ns" $(lab_board_pinning "$node") "$@" >"$dir/log/$label.log" 2>&1 </dev/null &
    pid=$!
    start=$(lab_proc_start "$pid")
    echo "$pid ${start:-0} $node $label" >>"$dir/pids"
    echo "$pid"
}

# Prints the PID of the most recent process spawned with LABEL.
lab_pid() {
    local id=$1 label=$2 pid _start _node l found=''
    lab_check_id "$id" || return 1
    while read -r pid _start _node l; do
        [[ $l == "$label" ]] && found=$pid
    done <"$(lab_dir "$id")/pids"
    [[ -n $found ]] || lab_die "no process labelled '$label' in lab '$id'" || return 1
    echo "$found"
}

# Stops the most recent process spawned with LABEL (SIGTERM, SIGCONT, then SIGKILL).
lab_stop() {
    local id=$1 label=$2 pid _start _node l found='' start=''
    lab_check_id "$id" || return 1
    while read -r pid _start _node l; do
        [[ $l == "$label" ]] && { found=$pid; start=$_start; }
    done <"$(lab_dir "$id")/pids"
    [[ -n $found ]] || lab_die "no process labelled '$label' in lab '$id'" || return 1
    lab_stop_pid "$found" "$start"
}

# Sets every interface of NODE except lo up or down (a board "power" cut on the network).
lab_links() {
    local id=$1 node=$2 state=$3 ns ifname
    [[ $state == up || $state == down ]] || lab_die "link state must be up or down" || return 1
    ns=$(lab_ns "$id" "$node") || return 1
    for ifname in $(ip -n "$ns" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
        [[ $ifname == lo ]] && continue
        ip -n "$ns" link set "$ifname" "$state"
    done
}

# Gives board NODE (a or b) of lab ID a hardware watchdog stand-in (Tools/lib/watchdog-stand-in,
# label watchdog-NODE, in the board's namespace): a FIFO NODE.watchdog that NODE.conf names as
# [pair] watchdog-device with watchdog-timeout = SECONDS (whole seconds, default 1). When
# duplexd stops feeding it for SECONDS it barks: it SIGKILLs the board's processes from the
# pids file (and their descendants) and deletes the board's logical addresses, then writes
# NODE.bark (JSON) and a line in log/watchdog-NODE.log. Call it before starting duplexd.
lab_watchdog() {
    local id=$1 node=$2 seconds=${3:-1} dir conf fifo i
    lab_check_id "$id" || return 1
    [[ $node == a || $node == b ]] || lab_die "watchdog: node '$node' is not a or b" || return 1
    [[ $seconds =~ ^[1-9][0-9]{0,3}$ ]] || lab_die "watchdog: timeout '$seconds' is not 1...9999 seconds" || return 1
    dir=$(lab_dir "$id")
    conf=$dir/$node.conf
    fifo=$dir/$node.watchdog
    [[ -f $conf ]] || lab_die "watchdog: no $conf" || return 1
    grep -Eq '^[[:space:]]*watchdog-(device|timeout)[[:space:]]*=' "$conf" &&
        { lab_die "watchdog: $conf already sets a watchdog"; return 1; }
    [[ -p $fifo ]] || mkfifo -m 600 "$fifo" || return 1
    # The keys go right after the [pair] header (the samples have that section).
    sed -i "/^[[:space:]]*\[pair\][[:space:]]*\$/a watchdog-device = $fifo\nwatchdog-timeout = ${seconds}s" "$conf"
    grep -q "^watchdog-device = $fifo\$" "$conf" || lab_die "watchdog: $conf has no [pair] section" || return 1
    (
        lab_load "$id" || exit 1
        lab_spawn "$id" "$node" "watchdog-$node" "$DUPLEX_ROOT/Tools/lib/watchdog-stand-in" --board "$node" \
            --device "$fifo" --timeout "$seconds" --pids "$LAB_PIDS" --interface "$LAB_LAN_IF" \
            --address "$LAB_LOGICAL_V4/$LAB_LOGICAL_V4_PREFIX" --address "$LAB_LOGICAL_V6/$LAB_LOGICAL_V6_PREFIX" \
            --report "$dir/$node.bark" >/dev/null
    ) || return 1
    for ((i = 0; i < 100; i++)); do  # 100 x 20 ms: until the stand-in reads the FIFO
        grep -q listening "$dir/log/watchdog-$node.log" 2>/dev/null && return 0
        sleep 0.02
    done
    lab_die "watchdog: the stand-in of board $node did not start (log/watchdog-$node.log)"
}
