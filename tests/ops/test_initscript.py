#!/usr/bin/env python3
"""tests/ops/test_initscript.py — the init script (packaging/init.d, configured for this
build):
  1. syntax: `sh -n`, `dash -n`, `busybox sh -n` and `shellcheck -s sh` when installed
     (checkbashisms is in devscripts, too large for CI: shellcheck's POSIX mode covers it);
  2. behaviour, under each of those shells: start (the daemon runs, the pid file names it,
     the debug socket answers), start again (says already running), status (0), reload
     (SIGHUP reaches the daemon: "reloaded" in its log), stop (daemon gone, pid file
     removed), status (3); a configuration error stops `start` before anything runs (exit 6).
The daemon runs the simulated card; paths come from a DMSC_DEFAULTS file, as an
/etc/default/dmsc-gateway would give them.
usage: test_initscript.py INIT_SCRIPT DMSC_GATEWAYD
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opslib import check, finish, read, request, wait_for  # noqa: E402


def shells():
    out = [('sh', ['sh'])]
    if shutil.which('dash'):
        out.append(('dash', ['dash']))
    if shutil.which('busybox'):
        out.append(('busybox sh', ['busybox', 'sh']))
    return out


def run(shell, script, action, env, timeout=60):
    r = subprocess.run(shell + [script, action], capture_output=True, text=True, env=env, timeout=timeout)
    return r.returncode, (r.stdout + r.stderr).strip()


def exercise(label, shell, script, gatewayd, tmp):
    d = os.path.join(tmp, label.replace(' ', '-'))
    os.makedirs(d)
    sock = os.path.join(d, 'ctl.sock')
    conf = os.path.join(d, 'gateway.toml')
    with open(conf, 'w') as f:
        f.write(f'[card]\nlink = "sim"\n[debug]\nsocket = "{sock}"\n')
    pidfile, logfile = os.path.join(d, 'gw.pid'), os.path.join(d, 'gw.log')
    defaults = os.path.join(d, 'defaults')
    with open(defaults, 'w') as f:
        f.write(f'DAEMON={gatewayd}\nCONFIG={conf}\nPIDFILE={pidfile}\nLOGFILE={logfile}\nDAEMON_ARGS="-v"\nSTOP_TIMEOUT=10\n')
    env = dict(os.environ, DMSC_DEFAULTS=defaults)
    env.pop('NOTIFY_SOCKET', None)
    pid = None
    try:
        rc, out = run(shell, script, 'start', env)
        check(rc == 0 and 'started' in out, f'{label}: start: exit {rc}: {out}')
        pid = int(read(pidfile).strip() or 0)
        check(pid > 0 and read(f'/proc/{pid}/comm').strip() == os.path.basename(gatewayd)[:15],
              f'{label}: the pid file names the running dmsc-gatewayd ({pid})')
        check(bool(wait_for(lambda: request(sock, {'cmd': 'status'}).get('ok') is True, 10)),
              f'{label}: the debug socket answers')
        check('debug' in read(logfile) or 'card' in read(logfile), f'{label}: the daemon logs to LOGFILE')
        rc, out = run(shell, script, 'start', env)
        check(rc == 0 and 'already running' in out, f'{label}: start again: {out}')
        rc, out = run(shell, script, 'status', env)
        check(rc == 0 and f'running (pid {pid})' in out, f'{label}: status: exit {rc}: {out}')
        rc, out = run(shell, script, 'reload', env)
        check(rc == 0, f'{label}: reload: exit {rc}: {out}')
        check(bool(wait_for(lambda: 'reloaded ' + conf in read(logfile), 10)), f'{label}: the daemon reloaded')
        rc, out = run(shell, script, 'stop', env)
        check(rc == 0 and 'stopped' in out, f'{label}: stop: exit {rc}: {out}')
        check(not os.path.exists(f'/proc/{pid}') or read(f'/proc/{pid}/comm').strip() != os.path.basename(gatewayd)[:15]
              or 'Z' in read(f'/proc/{pid}/stat').split()[2:3], f'{label}: the daemon is gone')
        check(not os.path.exists(pidfile), f'{label}: the pid file is removed')
        rc, out = run(shell, script, 'status', env)
        check(rc == 3 and 'not running' in out, f'{label}: status after stop: exit {rc}: {out}')
        # A broken configuration: nothing starts.
        with open(conf, 'a') as f:
            f.write('bogus_key = 1\n')
        rc, out = run(shell, script, 'start', env)
        check(rc == 6 and 'bogus_key' in out and not os.path.exists(pidfile),
              f'{label}: a configuration error stops start (exit {rc}): {out[-200:]}')
        rc, out = run(shell, script, 'frobnicate', env)
        check(rc == 2 and 'usage' in out, f'{label}: unknown action: usage, exit 2')
    finally:
        if pid and os.path.exists(f'/proc/{pid}'):
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                pass


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    script, gatewayd = (os.path.abspath(p) for p in sys.argv[1:3])
    for label, shell in shells():
        r = subprocess.run(shell + ['-n', script], capture_output=True, text=True)
        check(r.returncode == 0 and not r.stderr, f'{label} -n: {r.stderr.strip()}')
    if shutil.which('shellcheck'):
        r = subprocess.run(['shellcheck', '-s', 'sh', script], capture_output=True, text=True)
        check(r.returncode == 0, 'shellcheck -s sh' + ('' if r.returncode == 0 else ':\n' + r.stdout[-1500:]))
    else:
        print('SKIP shellcheck: not installed')
    head = read(script).splitlines()
    check(head[0] in ('#!/bin/sh', '#!/sbin/openrc-run'), f'interpreter line {head[0]}')
    check('### BEGIN INIT INFO' in head and '### END INIT INFO' in head, 'LSB header present')
    tmp = tempfile.mkdtemp(prefix='dmsc-init-')
    try:
        for label, shell in shells():
            exercise(label, shell, script, gatewayd, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == '__main__':
    sys.exit(main())
