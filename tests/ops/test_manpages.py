#!/usr/bin/env python3
"""tests/ops/test_manpages.py — man/*.[158]: each page lints clean with `mandoc -Tlint`
(warnings count) and `groff -man -ww -z` where installed, renders to text with its NAME and
SYNOPSIS sections, and the pages cover what they must: every [table] and key of the
configuration in gateway.toml(5) (compared with the shipped example), every dmsc-ctl command
in dmsc-ctl(1) (read from `dmsc-ctl --help` when the binary is given), every dmsc-gatewayd
option in dmsc-gatewayd(8).
usage: test_manpages.py MAN_DIR [DMSC_CTL]
"""
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opslib import check, finish, read  # noqa: E402

PAGES = {'dmsc-gatewayd.8': ['--config', '--check-config', '--log-level', '--version', 'SIGHUP', 'daemon.user',
                             'NOTIFY_SOCKET', 'dmsc-gateway.service', '60-dmsc-gateway.rules'],
         'dmsc-ctl.1': ['status', 'stats', 'channels', 'apps', 'events', 'timers', 'trace', 'event', 'call',
                        'decode', 'profile', 'pcap', 'SO_PEERCRED', 'max_clients'],
         'gateway.toml.5': []}


def render(path):
    for cmd in (['mandoc', '-Tascii', path], ['groff', '-man', '-Tascii', path]):
        if shutil.which(cmd[0]):
            out = subprocess.run(cmd, capture_output=True, text=True).stdout
            return re.sub(r'.\x08', '', out)
    return read(path)


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__)
        return 2
    man = sys.argv[1]
    if len(sys.argv) == 3:  # every command word of dmsc-ctl's usage lines
        usage = subprocess.run([sys.argv[2], '--help'], capture_output=True, text=True).stdout
        for line in usage.splitlines():
            words = line.replace('usage:', '').split()
            if not words or words[0] != 'dmsc-ctl':
                continue
            for w in words[1:]:
                if w[0] in '[-' or not w[0].islower():
                    continue
                PAGES['dmsc-ctl.1'] += [x for x in w.split('|') if x and x not in PAGES['dmsc-ctl.1']]
                break
    example = read(os.path.join(os.path.dirname(man.rstrip('/')), 'gateway', 'gateway.example.toml'))
    for table in re.findall(r'^\[+([a-z_.]+)\]+', example, re.M):
        PAGES['gateway.toml.5'].append('[' + table + ']' if table != 'application' else '[[application]]')
    for key in sorted(set(re.findall(r'^([a-z_]+) = ', example, re.M))):
        PAGES['gateway.toml.5'].append(key)
    for page, needles in PAGES.items():
        path = os.path.join(man, page)
        if not check(os.path.exists(path), f'{page} exists'):
            continue
        if shutil.which('mandoc'):
            r = subprocess.run(['mandoc', '-Tlint', '-W', 'warning', path], capture_output=True, text=True)
            check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
                  f'{page}: mandoc -Tlint clean {r.stdout.strip()} {r.stderr.strip()}')
        if shutil.which('groff'):
            r = subprocess.run(['groff', '-man', '-ww', '-z', path], capture_output=True, text=True)
            check(r.returncode == 0 and not r.stderr.strip(), f'{page}: groff -ww clean {r.stderr.strip()}')
        text = render(path)
        check('NAME' in text and 'SYNOPSIS' in text, f'{page}: renders with NAME and SYNOPSIS')
        missing = [n for n in needles if n not in text]
        check(not missing, f'{page}: mentions {len(needles)} required items; missing {missing}')
    finish()


if __name__ == '__main__':
    sys.exit(main())
