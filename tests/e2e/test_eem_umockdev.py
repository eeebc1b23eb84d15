#!/usr/bin/env python3
"""tests/e2e/test_eem_umockdev.py — the libusb CDC EEM pipe (eem-usb-check: the real libusb
code of gateway/eem_usb_pipe.cpp) under umockdev-run against an emulated USB UICC with an EEM
interface (umockdev/eem-uicc.umockdev: interface 02/0C/07, bulk 0x81 / 0x02). The script
(umockdev/eem-uicc.ioctl) expects one bulk OUT URB byte for byte — the data packet for the
frame "dmsc" with its CRC-32, computed here independently with zlib — and answers two bulk IN
URBs: an Echo "ping" plus the first part of an ARP frame in a sentinel data packet, then the
rest of it plus a zero-length EEM packet, where the check program stops (umockdev would
start the script over). (umockdev's replay allows one URB in flight, so the check
program lets the OUT transfer complete before it starts reading; the gateway itself keeps a
read pending while it writes.)
usage: test_eem_umockdev.py EEM_USB_CHECK UMOCKDEV_DIR
Exit 77 (skipped) without umockdev-run.
"""
import os
import shutil
import subprocess
import sys
import zlib


def main(check_bin, data_dir):
    if not shutil.which('umockdev-run'):
        print('SKIP: umockdev-run not installed (Debian: apt-get install umockdev)')
        return 77
    # umockdev-run LD_PRELOADs its library: an ASan-instrumented check binary must not insist on
    # its runtime coming first (the ASan build runs this test too).
    opts = os.environ.get('ASAN_OPTIONS', '')
    os.environ['ASAN_OPTIONS'] = (opts + ':' if opts else '') + 'verify_asan_link_order=0'
    dev = os.path.join(data_dir, 'eem-uicc.umockdev')
    ioctl = os.path.join(data_dir, 'eem-uicc.ioctl')
    with open(ioctl) as f:
        script = f.read()
    frame = b'dmsc'
    out = bytes([len(frame) + 4, 0x40]) + frame + zlib.crc32(frame).to_bytes(4, 'little')
    failures = []

    def check(ok, what):
        print(('ok   ' if ok else 'FAIL ') + what, flush=True)
        if not ok:
            failures.append(what)
    check(out.hex().upper() in script, 'the script expects the zlib CRC-32 data packet ' + out.hex().upper())
    r = subprocess.run(['umockdev-run', '-d', dev, '-i', f'/dev/bus/usb/001/002={ioctl}', '--', check_bin],
                       capture_output=True, text=True, timeout=40)
    print(r.stdout)
    print(r.stderr[-2000:], file=sys.stderr)
    lines = r.stdout.splitlines()
    check(any(line.startswith('pipe usb 1234:567a at 001:002 interface 0') for line in lines),
          'the EEM interface was found and claimed')
    check('command echo 70696E67' in lines, 'the Echo "ping" decoded from the first IN transfer')
    arp = 'FFFFFFFFFFFF020000000001080600010800060400010200000000010A0000020000000000000A000001'
    check(f'data {arp} sentinel' in lines, 'the ARP frame split across two IN transfers came out whole')
    check('zero-length' in lines, 'the zero-length EEM packet was seen')
    check(lines.count('command echo 70696E67') == 1, 'each packet once')
    check(r.returncode == 0, f'eem-usb-check exit code {r.returncode}')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:3]))
