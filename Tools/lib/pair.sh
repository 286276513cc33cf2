# shellcheck shell=bash
# Helpers for a duplexd pair running in a lab (Tools/lib/lab.sh must be sourced and the lab's
# env loaded with lab_load). DUPLEX_BIN is the directory holding duplexd and duplexctl.

PAIR_ROLE_POLLS=${PAIR_ROLE_POLLS:-100}   # x 50 ms

# The control socket of NODE (a or b).
pair_socket() { [[ $1 == a ]] && echo "$LAB_A_SOCK" || echo "$LAB_B_SOCK"; }

# Starts duplexd on boards A and B (labels duplexd-a, duplexd-b).
pair_start() {
    local id=$1
    lab_spawn "$id" a duplexd-a "$DUPLEX_BIN/duplexd" --config "$LAB_A_CONF" >/dev/null
    lab_spawn "$id" b duplexd-b "$DUPLEX_BIN/duplexd" --config "$LAB_B_CONF" >/dev/null
}

# Prints NODE's role from `duplexctl status --json` (top-level "role"), or "none".
pair_role() {
    local id=$1 node=$2 sock json
    sock=$(pair_socket "$node")
    [[ -S $sock ]] || { echo none; return 0; }
    json=$(lab_exec "$id" "$node" "$DUPLEX_BIN/duplexctl" --socket "$sock" status --json 2>/dev/null) ||
        { echo none; return 0; }
    python3 -c 'import json, sys; print(json.load(sys.stdin).get("role", "none"))' <<<"$json" 2>/dev/null || echo none
}

# Waits (PAIR_ROLE_POLLS x 50 ms) until NODE reports ROLE.
pair_wait_role() {
    local id=$1 node=$2 role=$3 i
    for ((i = 0; i < PAIR_ROLE_POLLS; i++)); do
        [[ $(pair_role "$id" "$node") == "$role" ]] && return 0
        sleep 0.05
    done
    return 1
}

# Waits (PAIR_ROLE_POLLS x 50 ms) for one board active and the other standby, and sets
# PAIR_ACTIVE and PAIR_STANDBY to a or b. Returns 1 (roles on stderr) if that never happens.
# shellcheck disable=SC2034  # PAIR_ACTIVE and PAIR_STANDBY are outputs for the caller
pair_wait_settled() {
    local id=$1 i ra=none rb=none
    for ((i = 0; i < PAIR_ROLE_POLLS; i++)); do
        ra=$(pair_role "$id" a)
        rb=$(pair_role "$id" b)
        if [[ $ra == active && $rb == standby ]]; then PAIR_ACTIVE=a PAIR_STANDBY=b; return 0; fi
        if [[ $ra == standby && $rb == active ]]; then PAIR_ACTIVE=b PAIR_STANDBY=a; return 0; fi
        sleep 0.05
    done
    echo "pair: roles not settled after $PAIR_ROLE_POLLS polls: A=$ra B=$rb" >&2
    return 1
}
