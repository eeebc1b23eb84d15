#!/usr/bin/env bash
# The main job on the embedded default, end to end: builds dmsc-gateway, starts a stand-in DM
# Client (dmsc-demo-client, tools/demo_dm_client.cpp, listening on 127.0.0.1:1100; docs/dm-demo.md),
# then dmsc-gatewayd with the
# simulated UICC (card.link = "sim", built-in default scenario: the OMA DM_SC off-line trigger
# of seed 000 section 7.1). The gateway sends TERMINAL PROFILE, answers SET UP EVENT LIST,
# registers the DM Client (ENVELOPE Terminal Applications, port 1100); the card's DM_SC Server
# opens a Terminal Server Mode TCP channel to that port, sends the DM Package#0 and closes it.
# Prints a short transcript; exit 0 only if the DM Client received the Package#0.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build -j "$jobs" gateway/dmsc-gatewayd gateway/dmsc-ctl gateway/dmsc-demo-client >/dev/null

tmp=$(mktemp -d)
gw_pid=""
client_pid=""
cleanup() {
    [ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null || true
    [ -n "$client_pid" ] && kill "$client_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/gateway.toml" <<TOML
[card]
link = "sim"

[[application]]
name = "DM Client"
port = 1100

[debug]
socket = "$tmp/ctl.sock"

[log]
level = "info"
format = "plain"
TOML

step() { printf '\n=== %s\n' "$1"; }

step "1. The DM Client listens on 127.0.0.1:1100"
# Decode only for now: with the SCWS bridge in the daemon, add the DM session with
#   --server-id DMSC-Server --psk-identity DMSC-DM-Client --psk-key 0123456789ABCDEF0123456789ABCDEF
# and card.scenario = gateway/sim/scenarios/dm-demo.toml (docs/dm-demo.md).
build/gateway/dmsc-demo-client --listen 127.0.0.1:1100 --once --timeout 20 >"$tmp/client.out" 2>&1 &
client_pid=$!
for _ in $(seq 50); do grep -q listening "$tmp/client.out" 2>/dev/null && break; sleep 0.1; done
cat "$tmp/client.out"

step "2. dmsc-gatewayd starts with the simulated UICC (card.link = \"sim\")"
build/gateway/dmsc-gatewayd -c "$tmp/gateway.toml" >"$tmp/gateway.log" 2>&1 &
gw_pid=$!

client_rc=0
wait "$client_pid" || client_rc=$?
client_pid=""

step "3. What the gateway did (its log)"
grep -E "TERMINAL PROFILE|SET UP EVENT LIST|ENVELOPE|OPEN CHANNEL|SEND DATA|CLOSE CHANNEL|channel|card ready" \
    "$tmp/gateway.log" | sed -E 's/^[0-9T:.+-]+ //' | head -30 || true
if [ -S "$tmp/ctl.sock" ]; then
    step "4. dmsc-ctl apps (the registration the card accepted)"
    build/gateway/dmsc-ctl -s "$tmp/ctl.sock" apps || true
fi

step "5. What the DM Client received"
cat "$tmp/client.out"
echo
if [ "$client_rc" = 0 ]; then
    echo "demo: the DM Client received the Package#0 through dmsc-gatewayd (exit 0)"
else
    echo "demo: FAILED, the DM Client received no Package#0; gateway log:" >&2
    cat "$tmp/gateway.log" >&2
fi
exit "$client_rc"
