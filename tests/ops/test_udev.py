#!/usr/bin/env python3
"""tests/ops/test_udev.py — udev/60-dmsc-gateway.rules:
  1. syntax: every rule line is KEY[{attr}]OP"value" pairs with a known key and an operator
     that key allows (always); and udev's own parser reports nothing for the file;
  2. matching, with the real `udevadm test` (systemd 252 has no `udevadm verify`) on fake USB
     devices: a private mount namespace gets a tmpfs /sys holding one usb_device whose
     `descriptors` carry the interfaces under test (the usb_id builtin computes
     ID_USB_INTERFACES from them, as for real hardware), a tmpfs /dev and /run/udev, and our
     rules next to the system's. A UICC (ICCD version A or B, or CDC EEM, alone or with a
     CCID interface) gets group dmsc-gateway, mode 0660, /dev/dmsc-uicc and
     /dev/dmsc-uicc-BUS-DEV, the systemd tag and SYSTEMD_WANTS=dmsc-gateway.service; a plain
     CCID reader or a mass-storage device gets none of it; a local rule setting DMSC_UICC=1
     by VID:PID makes a plain CCID device one.
The group dmsc-gateway is created for the run when absent (and removed). Part 2 needs root,
unshare and udevadm (else skipped with a note). usage: test_udev.py RULES_FILE
"""
import grp
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opslib import check, finish  # noqa: E402

DEVPATH = 'devices/pci0000:00/0000:00:14.0/usb1/1-1'
MATCH_KEYS = {'ACTION', 'DEVPATH', 'KERNEL', 'KERNELS', 'NAME', 'SYMLINK', 'SUBSYSTEM', 'SUBSYSTEMS', 'DRIVER',
              'DRIVERS', 'ATTR', 'ATTRS', 'SYSCTL', 'ENV', 'CONST', 'TAG', 'TAGS', 'TEST', 'PROGRAM', 'RESULT'}
ASSIGN_KEYS = {'NAME', 'SYMLINK', 'OWNER', 'GROUP', 'MODE', 'SECLABEL', 'ATTR', 'SYSCTL', 'ENV', 'TAG', 'RUN',
               'LABEL', 'GOTO', 'IMPORT', 'OPTIONS'}
PAIR = re.compile(r'\s*([A-Z_]+)(\{[^}]*\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')


def lint(path):
    problems, labels, gotos = [], set(), set()
    for n, raw in enumerate(open(path), 1):
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        pos = 0
        while pos < len(line):
            m = PAIR.match(line, pos)
            if not m:
                problems.append(f'{n}: cannot parse at "{line[pos:pos + 30]}"')
                break
            key, attr, op, value = m.group(1), m.group(2), m.group(3), m.group(4)
            keys = MATCH_KEYS if op in ('==', '!=') else ASSIGN_KEYS
            if key not in keys:
                problems.append(f'{n}: {key} does not take {op}')
            if key in ('ATTR', 'ATTRS', 'ENV', 'SYSCTL') and not attr:
                problems.append(f'{n}: {key} needs {{name}}')
            if key == 'LABEL':
                labels.add(value)
            if key == 'GOTO':
                gotos.add(value)
            pos = m.end()
    problems += [f'GOTO "{g}" has no LABEL' for g in sorted(gotos - labels)]
    return problems


def fake_sysfs(root, interfaces, vid=0x1234, pid=0x5678):
    """One usb_device under ROOT (a tmpfs mounted on /sys) with these (class, sub, proto)."""
    dev = os.path.join(root, DEVPATH)
    os.makedirs(dev)
    os.makedirs(os.path.join(root, 'bus/usb/drivers/usb'))
    files = {'uevent': f'MAJOR=189\nMINOR=5\nDEVNAME=bus/usb/001/006\nDEVTYPE=usb_device\nDRIVER=usb\n'
                       f'PRODUCT={vid:x}/{pid:x}/100\nTYPE=0/0/0\nBUSNUM=001\nDEVNUM=006\n',
             'dev': '189:5\n', 'idVendor': f'{vid:04x}\n', 'idProduct': f'{pid:04x}\n', 'bDeviceClass': '00\n',
             'busnum': '1\n', 'devnum': '6\n', 'manufacturer': 'Test\n', 'product': 'UICC\n', 'serial': '0001\n',
             'bcdDevice': '0100\n', 'speed': '12\n'}
    for name, text in files.items():
        with open(os.path.join(dev, name), 'w') as f:
            f.write(text)
    device = struct.pack('<BBHBBBBHHHBBBB', 18, 1, 0x200, 0, 0, 0, 64, vid, pid, 0x100, 1, 2, 3, 1)
    body = b''
    for i, (c, s, p) in enumerate(interfaces):  # interface + one endpoint each, as real devices
        body += struct.pack('<BBBBBBBBB', 9, 4, i, 0, 1, c, s, p, 0)
        body += struct.pack('<BBBBHB', 7, 5, 0x81 + i, 2, 64, 0)
    config = struct.pack('<BBHBBBBB', 9, 2, 9 + len(body), len(interfaces), 1, 0, 0x80, 50) + body
    with open(os.path.join(dev, 'descriptors'), 'wb') as f:
        f.write(device + config)
    os.symlink('../../../../../bus/usb', os.path.join(dev, 'subsystem'))
    os.symlink('../../../../../bus/usb/drivers/usb', os.path.join(dev, 'driver'))


SCRIPT = r'''
set -e
mount --make-rprivate /
mount -t tmpfs none /sys
python3 "$0" --fake-sysfs /sys "$1"
mkdir -p /run/udev && mount -t tmpfs none /run/udev
mount --bind "$2" /etc/udev/rules.d
mount -t tmpfs none /dev
mknod /dev/null c 1 3 && chmod 666 /dev/null
exec udevadm test --action=add /sys/''' + DEVPATH + ' 2>&1\n'


def udevadm_test(rules_dir, interfaces):
    spec = ','.join('%02x%02x%02x' % i for i in interfaces)
    env = dict(os.environ, SYSTEMD_DEVICE_VERIFY_SYSFS='0')  # our /sys is a tmpfs, not sysfs
    r = subprocess.run(['unshare', '-m', 'sh', '-c', SCRIPT, os.path.abspath(__file__), spec, rules_dir],
                       capture_output=True, text=True, env=env, timeout=60)
    props = {}
    for line in r.stdout.splitlines():
        k, eq, v = line.partition('=')
        if eq and re.fullmatch(r'[A-Z_0-9]+', k):
            props[k] = v
    return r.returncode, r.stdout, props


def main():
    if len(sys.argv) == 4 and sys.argv[1] == '--fake-sysfs':
        fake_sysfs(sys.argv[2], [tuple(int(s[i:i + 2], 16) for i in (0, 2, 4)) for s in sys.argv[3].split(',')])
        return 0
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    rules = os.path.abspath(sys.argv[1])
    problems = lint(rules)
    check(not problems, f'rule syntax: {problems}')
    if os.geteuid() != 0 or not shutil.which('udevadm') or \
            subprocess.run(['unshare', '-m', 'true'], capture_output=True).returncode != 0:
        print('SKIP udevadm test: needs root, unshare -m and udevadm (package udev)')
        finish()
    created = False
    try:
        grp.getgrnam('dmsc-gateway')
    except KeyError:
        subprocess.run(['groupadd', '--system', 'dmsc-gateway'], check=True)
        created = True
    tmp = tempfile.mkdtemp(prefix='dmsc-udev-')
    try:
        run_cases(rules, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if created:
            subprocess.run(['groupdel', 'dmsc-gateway'], check=False)
    finish()


def run_cases(rules, tmp):
    gid = grp.getgrnam('dmsc-gateway').gr_gid
    rules_dir = os.path.join(tmp, 'rules.d')
    os.makedirs(rules_dir)
    shutil.copy(rules, rules_dir)
    name = os.path.basename(rules)
    cases = [
        ('ICCD version B + CDC EEM', [(0x0B, 0, 2), (0x02, 0x0C, 7)], True),
        ('ICCD version A', [(0x0B, 0, 1)], True),
        ('CDC EEM only', [(0x02, 0x0C, 7)], True),
        ('CCID bulk + CDC EEM', [(0x0B, 0, 0), (0x02, 0x0C, 7)], True),
        ('plain CCID reader', [(0x0B, 0, 0)], False),
        ('mass storage', [(0x08, 6, 0x50)], False),
        ('CDC ECM (not EEM)', [(0x02, 0x06, 0)], False),
    ]
    for label, interfaces, uicc in cases:
        rc, out, props = udevadm_test(rules_dir, interfaces)
        ours = [line for line in out.splitlines() if name in line]
        bad = [line for line in ours if re.search(r'invalid|ignor|unknown|fail|error', line, re.I)]
        check(rc == 0, f'{label}: udevadm test ran (exit {rc})' + ('' if rc == 0 else ': ' + out[-400:]))
        check(not bad, f'{label}: udev reports nothing wrong with {name}: {bad}')
        want = ':' + ':'.join('%02x%02x%02x' % i for i in interfaces) + ':'
        check(props.get('ID_USB_INTERFACES') == want, f'{label}: ID_USB_INTERFACES {props.get("ID_USB_INTERFACES")}')
        links = props.get('DEVLINKS', '').split()
        wants = props.get('SYSTEMD_WANTS', '').split()
        tagged = ':systemd:' in props.get('TAGS', '')
        group_line = any(f'{name}:' in line and f'GROUP {gid}' in line for line in ours)
        mode_line = any(f'{name}:' in line and 'MODE 0660' in line for line in ours)
        if uicc:
            check(props.get('DMSC_UICC') == '1', f'{label}: DMSC_UICC=1')
            check('/dev/dmsc-uicc' in links and '/dev/dmsc-uicc-001-006' in links, f'{label}: links {links}')
            check(group_line and mode_line, f'{label}: group dmsc-gateway ({gid}), mode 0660')
            check(tagged and 'dmsc-gateway.service' in wants, f'{label}: tagged systemd, wants dmsc-gateway.service')
        else:
            check('DMSC_UICC' not in props and not any('dmsc' in x for x in links) and
                  'dmsc-gateway.service' not in wants and not group_line,
                  f'{label}: left alone (no group, link or service)')

    # The documented local extension: a plain CCID UICC named by VID:PID.
    with open(os.path.join(rules_dir, '59-dmsc-local.rules'), 'w') as f:
        f.write('SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="1234", '
                'ATTR{idProduct}=="5678", ENV{DMSC_UICC}="1"\n')
    rc, out, props = udevadm_test(rules_dir, [(0x0B, 0, 0)])
    check(props.get('DMSC_UICC') == '1' and '/dev/dmsc-uicc' in props.get('DEVLINKS', ''),
          'a local VID:PID rule makes a plain CCID device a UICC')


if __name__ == '__main__':
    sys.exit(main())
