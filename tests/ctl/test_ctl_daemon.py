#!/usr/bin/env python3
"""dmsc-ctl against a real dmsc-gatewayd (simulated card, debug socket and pcap trace in a temp
dir): status/stats/help readable and --json, every command documented in docs/debug-socket.md, errors and exit codes, the live trace (--json and
readable, ended by Ctrl-C), DMSC_CTL_SOCKET, a second daemon refused on a live socket, and the
pcap the daemon wrote decoded by tshark when it is installed.
Usage: test_ctl_daemon.py DMSC_GATEWAYD DMSC_CTL"""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

gatewayd, ctl = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def run_ctl(*args, env=None):
    return subprocess.run([ctl, *args], capture_output=True, text=True, timeout=20, env=env)


with tempfile.TemporaryDirectory(prefix='dmsc-ctl-') as tmp:
    sock = os.path.join(tmp, 'run', 'ctl.sock')
    pcap = os.path.join(tmp, 'trace.pcap')
    conf = os.path.join(tmp, 'gateway.toml')
    with open(conf, 'w') as f:
        f.write(f'''[card]
link = "sim"
poll_interval_ms = 100
poll_interval_min_ms = 100
[debug]
socket = "{sock}"
[trace]
pcap = "{pcap}"
''')
    log = open(os.path.join(tmp, 'gatewayd.log'), 'w+')
    daemon = subprocess.Popen([gatewayd, '-c', conf], stdout=log, stderr=subprocess.STDOUT)
    try:
        # Wait for the socket and a powered card.
        deadline = time.monotonic() + 10
        status = None
        while time.monotonic() < deadline:
            if os.path.exists(sock):
                p = run_ctl('-s', sock, '--json', 'status')
                if p.returncode == 0:
                    status = json.loads(p.stdout)
                    if status.get('card', {}).get('state') == 'powered':
                        break
            time.sleep(0.05)
        if not check(status is not None and status['card']['state'] == 'powered',
                     f'no powered card through the socket; last status {status}'):
            raise SystemExit
        check(status['ok'] is True, 'status ok')
        check(status['card']['link'] == 'sim', f"card.link {status['card'].get('link')}")
        for key in ('terminal_profile', 'uptime_s', 'counters'):
            check(key in status or key in status['card'], f'status lacks {key}')
        check((os.stat(sock).st_mode & 0o777) == 0o660, f'socket mode {oct(os.stat(sock).st_mode)}')

        # Readable output: aligned key: value lines, nested objects indented.
        p = run_ctl('-s', sock, 'status')
        check(p.returncode == 0, f'status exit {p.returncode}: {p.stderr}')
        check('card:\n' in p.stdout and 'state:' in p.stdout and 'powered' in p.stdout,
              f'readable status:\n{p.stdout}')
        check('"ok"' not in p.stdout and 'ok:' not in p.stdout, 'readable status shows ok')
        p = run_ctl('-s', sock, 'stats')
        check(p.returncode == 0 and 'terminal_responses' in p.stdout, f'stats:\n{p.stdout}{p.stderr}')
        p = run_ctl('-s', sock, '--json', 'stats')
        check(p.returncode == 0 and json.loads(p.stdout)['ok'] is True, f'stats --json: {p.stdout}')
        p = run_ctl('-s', sock, 'help')
        for name in ('status', 'stats', 'trace', 'help'):
            check(name in p.stdout, f'help lacks {name}:\n{p.stdout}')
        # Every command the daemon offers is documented (a "### `name`" heading).
        doc = pathlib.Path(__file__).resolve().parents[2] / 'docs' / 'debug-socket.md'
        headings = [l for l in doc.read_text().splitlines() if l.startswith('### ')]
        for name in json.loads(run_ctl('-s', sock, '--json', 'help').stdout)['commands']:
            check(any(f'`{name}`' in h for h in headings),
                  f'debug-socket command {name!r} is not documented: add a "### `{name}`" section '
                  f'with its request and reply to {doc}')

        # Errors: ok:false → message on stderr, exit 1; --json prints the reply too.
        p = run_ctl('-s', sock, 'call', 'no-such-command')
        check(p.returncode == 1 and "unknown command 'no-such-command'" in p.stderr,
              f'unknown command: {p.returncode} {p.stderr}')
        p = run_ctl('-s', sock, '--json', 'call', 'no-such-command')
        check(p.returncode == 1 and json.loads(p.stdout)['ok'] is False, f'unknown --json: {p.stdout}')
        missing = os.path.join(tmp, 'nothing.sock')
        p = run_ctl('-s', missing, 'status')
        check(p.returncode == 1, f'missing socket exit {p.returncode}')
        check(p.stderr.strip() == f'dmsc-ctl: cannot connect to {missing}: No such file or directory — '
              'is dmsc-gatewayd running? (-s SOCKET to use another)', f'missing socket message: {p.stderr}')
        p = run_ctl('event', env={**os.environ, 'DMSC_CTL_SOCKET': sock})
        check(p.returncode == 2 and 'usage' in p.stderr, f'event without a name: {p.returncode} {p.stderr}')
        p = run_ctl('status', env={**os.environ, 'DMSC_CTL_SOCKET': sock})
        check(p.returncode == 0 and 'powered' in p.stdout, f'DMSC_CTL_SOCKET: {p.returncode} {p.stderr}')

        # The live trace: the daemon polls STATUS every 100 ms.
        t = subprocess.Popen([ctl, '-s', sock, '--json', 'trace'], stdout=subprocess.PIPE, text=True)
        lines = [t.stdout.readline() for _ in range(4)]
        t.send_signal(signal.SIGINT)
        rest, _ = t.communicate(timeout=10)
        check(t.returncode == 0, f'trace --json after Ctrl-C exit {t.returncode}')
        first = json.loads(lines[0])
        check(first == {'ok': True, 'streaming': True}, f'trace first line {lines[0]}')
        for line in lines[1:]:
            rec = json.loads(line)
            for key in ('time', 'link', 'command', 'response', 'sw', 'summary', 'decoded'):
                check(key in rec, f'trace record lacks {key}: {line}')
            check(rec.get('summary') == 'STATUS' and rec.get('sw') == '9000', f'trace record {line}')
        t = subprocess.Popen([ctl, '-s', sock, '--hex', 'trace'], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        lines = [t.stdout.readline() for _ in range(3)]
        t.send_signal(signal.SIGINT)
        t.communicate(timeout=10)
        check(t.returncode == 0, f'trace after Ctrl-C exit {t.returncode}')
        check(' sim  STATUS  9000' in lines[0] and lines[1].strip() == 'C: 80F2000C'
              and lines[2].strip() == 'R: 9000', f'readable trace lines {lines}')

        # A second daemon on the same live socket is refused and leaves the first alone.
        p = subprocess.run([gatewayd, '-c', conf], capture_output=True, text=True, timeout=20)
        check(p.returncode != 0 and 'already listening' in (p.stdout + p.stderr),
              f'second daemon: exit {p.returncode} {p.stdout}{p.stderr}')
        check(run_ctl('-s', sock, 'status').returncode == 0, 'first daemon unreachable after the second')
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            failures.append('dmsc-gatewayd did not stop on SIGTERM')
    check(not os.path.exists(sock), 'socket file left after SIGTERM')

    tshark = shutil.which('tshark')
    if tshark:
        p = subprocess.run([tshark, '-n', '-r', pcap, '-T', 'fields', '-e', 'gsm_sim.apdu.ins'],
                           capture_output=True, text=True, timeout=60)
        ins = p.stdout.split()
        check(ins[:3] == ['0x10', '0x12', '0x14'] and '0xf2' in ins, f'tshark on the daemon pcap: {ins[:8]}')
        p = subprocess.run([tshark, '-n', '-r', pcap, '-Y', '_ws.malformed'], capture_output=True, text=True,
                           timeout=60)
        check(p.stdout.strip() == '', f'malformed packets in the daemon pcap:\n{p.stdout}')
    if failures:
        log.seek(0)
        print('--- dmsc-gatewayd log ---\n' + log.read()[-4000:])

if failures:
    print('\n'.join(failures))
    sys.exit(1)
print('dmsc-ctl against dmsc-gatewayd: all checks passed')
