# shellcheck shell=bash
# Shared by scripts/ch4_http_knee.sh and scripts/ch4_http_open.sh: building the two
# cache servers and the load generator into $work, starting one server, stopping it.
# Source it after setting `work`; do not run it.

server_pid=
server_url=

# ch4_build: mapbench, the Rust server (target/release/examples/ch4_cache_server),
# and $work/ch4-cache-server, $work/ch4-load.
ch4_build() {
    cargo build --release --locked -q -p mapbench
    cargo build --release --locked -q -p chapters --example ch4_cache_server
    (cd go-reference && go build -o "../$work/ch4-cache-server" ./cmd/ch4-cache-server &&
        go build -o "../$work/ch4-load" ./cmd/ch4-load)
}

# ch4_traces WORKLOAD...: traces each workload into $work/WORKLOAD.trace with the
# mapbench built by ch4_build; sets traces (their paths) and trace_notes
# ("WORKLOAD sha256-prefix", for the CSV's comments).
ch4_traces() {
    traces=()
    trace_notes=()
    local d sha
    for d in "$@"; do
        sha=$(target/release/mapbench trace --workload "$d" --out "$work/$d.trace" 2>/dev/null)
        traces+=("$work/$d.trace")
        trace_notes+=("$d ${sha:0:12}")
    done
}

# ch4_start_server LANG MAP LOG [PREFIX...]: starts the LANG (go or rust) server
# with MAP, its output in LOG, under PREFIX (e.g. taskset -c 1) if given; sets
# server_pid and server_url. Exits 2 for an unknown LANG, 1 if it does not start.
ch4_start_server() {
    local lang=$1 map=$2 log=$3
    shift 3
    case $lang in
    go) "$@" "$work/ch4-cache-server" -map "$map" >"$log" 2>&1 & ;;
    rust) "$@" target/release/examples/ch4_cache_server --map "$map" >"$log" 2>&1 & ;;
    *) echo "$0: server $lang:$map: want go:MAP or rust:MAP" >&2; exit 2 ;;
    esac
    server_pid=$!
    server_url=
    for _ in $(seq 100); do
        server_url=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$log" | head -n1)
        [[ -n $server_url ]] && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$0: the $lang server with map $map did not start; its output:" >&2
    cat "$log" >&2
    exit 1
}

# ch4_stop_server: stops the server ch4_start_server started, if any.
ch4_stop_server() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
}

# ch4_lock_version CRATE: its version in Cargo.lock.
ch4_lock_version() {
    awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}
