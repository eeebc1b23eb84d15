#!/usr/bin/env bash
# The main job on the embedded default, as far as it exists today: builds dmsc-gateway and
# walks dmsc-ctl's decoder through the off-line trigger flow of OMA DM_SC (seed 000 section
# 7.1) — what the gateway sends and what the card's DM_SC Server sends back — ending with the
# '3A' answer the gateway gives when the DM Client cannot be reached.
# (Once the daemon and the simulated card land, this runs them end to end instead.)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build -j "$jobs" gateway/dmsc-ctl >/dev/null
ctl=build/gateway/dmsc-ctl

step() { printf '\n=== %s\n' "$1"; }
decode() { "$ctl" decode "$@"; }

step "1. The gateway powers the card and announces what it supports (TERMINAL PROFILE)"
"$ctl" profile
step "2. The card asks for the events it needs (FETCH -> SET UP EVENT LIST) and the gateway answers"
decode 8012000010 D00D8103010500820281829902090A 9000
decode 801400000C 810301050082028281830100 9000
step "3. The gateway registers the DM Client with the card: ENVELOPE (Terminal Applications)"
decode 80C2000015 DC1382028281710D044C0407444D20436C69656E74 9000
step "4. The DM_SC Server opens a channel in Terminal Server Mode toward the DM Client's port 1100"
decode 8012000014 D012810301400182028182390205783C0305044C 9000
decode 8014000014 8103014001820282818301003802810039020578 9000
step "5. ... and sends the DM notification (Package#0) over it (SEND DATA, send immediately)"
decode 801200002C D02A810302430182028121B61F0000000000000000000000000000000002F800000000002A06646D73637376 9000
decode 801400000F 810302430182028281830100B701FF 9000
step "6. Had nothing listened on the DM Client's port: '3A' Bearer Independent Protocol error, cause '07'"
decode 81030243018202828183023A07
step "7. The DM_SC Server closes the channel"
decode 801200000B D009810303410082028121 9000
echo
echo "demo: every object above was decoded by dmsc-ctl (exit 0)"
