#!/usr/bin/env bash
# The DM_SC flow end to end (docs/dm-demo.md; seed 000 section 7.1 steps 1-4, seed 004): builds
# dmsc-gateway, starts the demo DM Client (dmsc-demo-client, listening on 127.0.0.1:1100), then
# dmsc-gatewayd with the simulated UICC running gateway/sim/scenarios/dm-demo.toml. The gateway
# sends TERMINAL PROFILE, answers SET UP EVENT LIST, opens the card's SCWS ports (UICC server
# mode 3516/4116 on 127.0.0.1) and registers the DM Client (ENVELOPE Terminal Applications, port
# 1100); the card's DM_SC Server opens a Terminal Server Mode channel to that port, sends a
# signed DM 2.0 Package#0 and closes it. The DM Client decodes it and opens
# https://127.0.0.1:4116/OMA/DM with TLS-PSK through the gateway's BIP bridge to the card's SCWS:
# Package#1 → Package#2 (GET DevInfo) → Package#3 → Package#2 (END).
# Prints a short transcript; exit 0 only if every step happened, else the failing step.
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
scenario = "$PWD/gateway/sim/scenarios/dm-demo.toml"

[[application]]
name = "DM Client"
port = 1100

# The gateway checks the Package#0 digest (docs/package0.md); the card signs with this secret.
[[dm_server]]
id = "DMSC-Server"
secret = "demo notification secret"

[debug]
socket = "$tmp/ctl.sock"

[log]
level = "info"
format = "plain"
TOML

step() { printf '\n=== %s\n' "$1"; }

step "1. The DM Client listens on 127.0.0.1:1100 (DM_SC server DMSC-Server, TLS-PSK identity DMSC-DM-Client)"
build/gateway/dmsc-demo-client --listen 127.0.0.1:1100 --once --timeout 30 \
    --server-id DMSC-Server --psk-identity DMSC-DM-Client --psk-key 0123456789ABCDEF0123456789ABCDEF \
    --url https://127.0.0.1:4116/OMA/DM >"$tmp/client.out" 2>&1 &
client_pid=$!
for _ in $(seq 50); do grep -q listening "$tmp/client.out" 2>/dev/null && break; sleep 0.1; done
cat "$tmp/client.out"

step "2. dmsc-gatewayd starts with the simulated UICC (card.link = \"sim\", scenario dm-demo.toml)"
build/gateway/dmsc-gatewayd -c "$tmp/gateway.toml" >"$tmp/gateway.log" 2>&1 &
gw_pid=$!

client_rc=0
wait "$client_pid" || client_rc=$?
client_pid=""

step "3. What the gateway did (its log)"
grep -E "TERMINAL PROFILE|SET UP EVENT LIST|ENVELOPE|OPEN CHANNEL|SEND DATA|CLOSE CHANNEL|channel|card ready|Package#0|DM:" \
    "$tmp/gateway.log" | sed -E 's/^[0-9T:.+-]+ //' | head -40 || true
if [ -S "$tmp/ctl.sock" ]; then
    step "4. dmsc-ctl apps (the registration the card accepted)"
    build/gateway/dmsc-ctl -s "$tmp/ctl.sock" apps || true
fi

step "5. The DM Client's transcript"
cat "$tmp/client.out"
echo
if [ "$client_rc" = 0 ]; then
    echo "demo: notification delivered, TLS session up, packages exchanged, DM session ended (exit 0)"
else
    echo "demo: FAILED — $(grep -o 'FAILED at .*' "$tmp/client.out" | head -1)" >&2
    # The '3A' cause the gateway reported to the card, if delivery failed.
    grep -E "3A|result 3A|cause" "$tmp/gateway.log" | sed -E 's/^[0-9T:.+-]+ //' | head -5 >&2 || true
    echo "demo: gateway log: " >&2
    tail -40 "$tmp/gateway.log" >&2
fi
exit "$client_rc"
