#!/usr/bin/env python3
"""tests/e2e/test_iccd_umockdev.py — the ICCD card link's real libusb code (iccd-link-check)
under umockdev-run against an emulated CCID UICC: a sysfs USB device with a smart-card
(0x0B, protocol 0) interface (umockdev/ccid-uicc.umockdev) and a script of the usbdevfs URBs
it answers (umockdev/ccid-uicc.ioctl): PC_to_RDR_IccPowerOn -> ATR, PC_to_RDR_XfrBlock ->
a time extension reply, then the R-APDU; IccPowerOff at stop. umockdev checks that each
OUT URB carries exactly the scripted bytes.
usage: test_iccd_umockdev.py ICCD_LINK_CHECK UMOCKDEV_DIR
Exit 77 (skipped) without umockdev-run.
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
    # umockdev-run LD_PRELOADs its library: an ASan-instrumented check binary must not insist on
    # its runtime coming first (the ASan build runs this test too).
    opts = os.environ.get('ASAN_OPTIONS', '')
    os.environ['ASAN_OPTIONS'] = (opts + ':' if opts else '') + 'verify_asan_link_order=0'
    dev = os.path.join(data_dir, 'ccid-uicc.umockdev')
    ioctl = os.path.join(data_dir, 'ccid-uicc.ioctl')
    r = subprocess.run(['umockdev-run', '-d', dev, '-i', f'/dev/bus/usb/001/002={ioctl}', '--',
                        check_bin, '80F2000000'], capture_output=True, text=True, timeout=40)
    print(r.stdout)
    print(r.stderr, file=sys.stderr)
    failures = []

    def check(ok, what):
        print(('ok   ' if ok else 'FAIL ') + what, flush=True)
        if not ok:
            failures.append(what)
    check('ready ccid ATR 3B979680B1FE451FC78031E073FE211BB5' in r.stdout,
          'card_ready with the emulated card\'s ATR over CCID bulk')
    check('response AABBCC9000' in r.stdout, 'the APDU answered after a time extension')
    check(r.returncode == 0, f'iccd-link-check exit code {r.returncode}')
    # The emulation is strict: another APDU than the scripted one is a transfer error, so the
    # checks above did see the link's own bytes.
    r = subprocess.run(['umockdev-run', '-d', dev, '-i', f'/dev/bus/usb/001/002={ioctl}', '--',
                        check_bin, '80F2000001'], capture_output=True, text=True, timeout=40)
    check('ready ccid' in r.stdout and 'error bulk OUT: transfer error' in r.stdout and r.returncode == 1,
          'an XfrBlock with other bytes than scripted is refused by the emulated device')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:3]))
