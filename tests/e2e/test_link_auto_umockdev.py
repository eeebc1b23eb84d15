#!/usr/bin/env python3
"""tests/e2e/test_link_auto_umockdev.py — card.link = "auto" (docs/usb.md) against an emulated USB
UICC: under umockdev-run with the CCID UICC of umockdev/ccid-uicc.umockdev (a smart-card 0B/00/00
interface) libusb enumerates it and the choice is the ICCD link, naming the device; with a
card.usb selector that matches nothing, and with the EEM-only device of umockdev/eem-uicc.umockdev
(no smart-card interface), the choice is the ISO interface through PC/SC, saying why.
usage: test_link_auto_umockdev.py LINK_PROBE_CHECK UMOCKDEV_DIR
Exit 77 (skipped) without umockdev-run, or when this build has no PC/SC (the fallback differs).
"""
import os
import shutil
import subprocess
import sys

SKIP = 77


def main(check_bin, data_dir):
    if not shutil.which('umockdev-run'):
        print('SKIP: umockdev-run not installed (Debian: apt-get install umockdev)')
        return SKIP
    opts = os.environ.get('ASAN_OPTIONS', '')
    os.environ['ASAN_OPTIONS'] = (opts + ':' if opts else '') + 'verify_asan_link_order=0'
    failures = []

    def check(ok, what):
        print(('ok   ' if ok else 'FAIL ') + what, flush=True)
        if not ok:
            failures.append(what)

    def probe(device, *args):
        r = subprocess.run(['umockdev-run', '-d', os.path.join(data_dir, device), '--', check_bin] + list(args),
                           capture_output=True, text=True, timeout=40)
        print(r.stdout + r.stderr, flush=True)
        return r
    r = probe('ccid-uicc.umockdev')
    check(r.returncode == 0 and 'link iccd' in r.stdout, 'a USB UICC with a CCID interface: the ICCD link')
    check('reason auto: USB UICC ' in r.stdout and ', ccid present' in r.stdout,
          'the reason names the device and its interface kind')
    r = probe('ccid-uicc.umockdev', 'ffff:0001')
    if 'link pcsc' not in r.stdout and 'no PC/SC' in r.stdout:
        print('SKIP: this build has no PC/SC link')
        return SKIP
    check('link pcsc' in r.stdout and 'no USB device matches card.usb "ffff:0001"' in r.stdout,
          'card.usb matching nothing: PC/SC, and why')
    r = probe('eem-uicc.umockdev')
    check('link pcsc' in r.stdout and 'none with a smart-card interface' in r.stdout,
          'a USB device without a smart-card interface: PC/SC, and why')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:3]))
