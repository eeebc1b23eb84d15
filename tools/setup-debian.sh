#!/usr/bin/env bash
# Installs every Debian 12 package needed to build dmsc-gateway, run its tests and its demo.
# Idempotent, non-interactive; run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  # build
  meson ninja-build pkg-config g++ clang libclang-rt-14-dev python3
  # libraries
  libpcsclite-dev libusb-1.0-0-dev libboost-dev nlohmann-json3-dev libssl-dev
  doctest-dev libtomlplusplus-dev
  # test harness: real pcscd with the vpcd virtual reader
  pcscd vsmartcard-vpcd iproute2 openssl
  # trace tests: Wireshark's dissectors decode our GSMTAP/pcap traces
  tshark
  # ops tests (tests/ops): systemd-analyze verify/security on the unit, udevadm test on the
  # rules, the init script under dash and BusyBox sh, shellcheck, man page lint, useradd
  systemd udev dash busybox shellcheck mandoc passwd
  # USB ICCD link test: the real libusb code against an emulated usbdevfs device
  umockdev libumockdev-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-debian.sh: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
  fi
  echo "setup-debian.sh: installing ${missing[*]}"
  # tshark asks whether non-root users may capture; answer "no" (dumpcap stays non-setuid).
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup-debian.sh: all packages present"
fi
