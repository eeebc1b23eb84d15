#!/usr/bin/env python3
"""tests/e2e/test_lifecycle.py — the card's life cycle through a real pcscd + vpcd (inside
fixture.py's private namespace), dmsc-gatewayd (card.link = "pcsc") against dmsc-simcard:
  1. REFRESH NAA initialisation: the TERMINAL RESPONSE '00', then TERMINAL PROFILE again and
     the Terminal Applications ENVELOPE again, without a card reset;
  2. REFRESH UICC reset: no TERMINAL RESPONSE, the card is reset through pcscd and the gateway
     starts over with TERMINAL PROFILE;
  3. removal with a timer running and a Terminal Server Mode channel open: the DM Client sees
     its connection closed (EOF), `dmsc-ctl timers` shows no timer running, `dmsc-ctl events`
     an empty list, `dmsc-ctl status` the card absent; reinsertion: TERMINAL PROFILE,
     registration, the timer and the channel again.
Every wire fact is read from pcscd's APDU log; the daemon's state through dmsc-ctl --json.
usage: test_lifecycle.py DMSC_GATEWAYD DMSC_SIMCARD DMSC_CTL
Exit 77 (skipped) without root/unshare/pcscd/vpcd.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture  # noqa: E402
from fixture import check, failures, wait_for  # noqa: E402
from test_gateway_pcsc import CTL_SOCKET, implemented  # noqa: E402

DM_CLIENT_PORT = 1100


class DmClient:
    """The DM Client side: accepts connections on 127.0.0.1:1100, records each connection's
    bytes and whether the gateway closed it (EOF)."""

    def __init__(self, port=DM_CLIENT_PORT):
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(('127.0.0.1', port))
        self.srv.listen(8)
        self.lock = threading.Lock()
        self.conns = []  # [{'data': bytes, 'closed': bool}]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            entry = {'data': b'', 'closed': False}
            with self.lock:
                self.conns.append(entry)
            threading.Thread(target=self._read, args=(conn, entry), daemon=True).start()

    def _read(self, conn, entry):
        with conn:
            while True:
                try:
                    chunk = conn.recv(4096)
                except OSError:
                    break
                if not chunk:
                    break
                with self.lock:
                    entry['data'] += chunk
        with self.lock:
            entry['closed'] = True

    def snapshot(self):
        with self.lock:
            return [dict(c) for c in self.conns]

    def close(self):
        self.srv.close()


def exchanges_since(fx, start):
    return fx.apdu_exchanges()[start:]


def ins(cmd):
    return cmd[1] if len(cmd) > 1 else -1


def response_to(cmd, command_type):
    """A TERMINAL RESPONSE (INS 14) whose command details ('81 03 nn TT qq') name `command_type`."""
    return ins(cmd) == 0x14 and len(cmd) > 9 and cmd[5] in (0x81, 0x01) and cmd[8] == command_type


def result_of(cmd):
    """General result of a TERMINAL RESPONSE ('83'/'03' object)."""
    data = cmd[5:5 + cmd[4]]
    i = 0
    while i + 1 < len(data):
        tag, length = data[i], data[i + 1]
        if tag & 0x7F == 0x03 and length >= 1:
            return data[i + 2]
        i += 2 + length
    return None


def is_registration(cmd):
    return ins(cmd) == 0xC2 and len(cmd) > 5 and cmd[5] == 0xDC


class Run:
    """One dmsc-simcard + dmsc-gatewayd pair on the fixture's pcscd."""

    def __init__(self, fx, name, scenario, gatewayd, simcard, ctl):
        self.fx, self.name, self.ctl = fx, name, ctl
        self.start = len(fx.apdu_exchanges())
        scenario_file = os.path.join(fx.tmp, name + '.toml')
        with open(scenario_file, 'w') as f:
            f.write(scenario)
        config = os.path.join(fx.tmp, name + '-gateway.toml')
        with open(config, 'w') as f:
            f.write(f'''[card]
link = "pcsc"
reader = "Virtual PCD"
poll_interval_ms = 0

[[application]]
name = "DM Client"
type = 0x07
port = {DM_CLIENT_PORT}
deliver = "tcp://127.0.0.1:{DM_CLIENT_PORT}"

[debug]
socket = "{CTL_SOCKET}"
''')
        self.card_log_path = os.path.join(fx.tmp, name + '-simcard.log')
        self.verdict_file = os.path.join(fx.tmp, name + '-verdict.json')
        self.gateway_log = open(os.path.join(fx.tmp, name + '-gateway.log'), 'w+')
        self.card = fx.spawn_simcard(simcard, scenario_file, log_name=name + '-simcard.log',
                                     verdict_name=name + '-verdict.json')
        self.gw = fx.spawn([gatewayd, '-c', config, '--log-level', 'debug'], stdout=self.gateway_log,
                           stderr=subprocess.STDOUT)

    def apdus(self):
        return [c for c, _ in exchanges_since(self.fx, self.start)]

    def pairs(self):
        return exchanges_since(self.fx, self.start)

    def ctl_json(self, *args):
        p = subprocess.run([self.ctl, '-s', CTL_SOCKET, '--json', *args], capture_output=True, text=True,
                           timeout=10)
        if p.returncode != 0:
            return None
        return json.loads(p.stdout.splitlines()[-1])

    def card_text(self):
        return fixture.read_text(self.card_log_path)

    def verdict(self):
        self.card.terminate()
        self.card.wait(10)
        return self.card.returncode, fixture.read_json(self.verdict_file)

    def finish(self):
        for p in (self.gw, self.card):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if failures:
            print(f'--- {self.name}: dmsc-simcard ---\n' + self.card_text()[-2500:], flush=True)
            self.gateway_log.seek(0)
            print(f'--- {self.name}: dmsc-gatewayd ---\n' + self.gateway_log.read()[-3500:], flush=True)
        self.gateway_log.close()
        # pcscd sees a card leave vpcd on its next presence poll (~400 ms); the next run's
        # card must not connect before that, or vpcd keeps the reader empty.
        time.sleep(1.0)


# The card asks for a STATUS every second once registered, and sends its REFRESH on it; after
# the REFRESH it starts its scenario over at the next TERMINAL PROFILE (TS 102 223 clause 5.1),
# so the cycle repeats about once a second.
REFRESH_SCENARIO = '''
[scenario]
name = "refresh-{mode}"

[[step]]
name = "registered"
on = "terminal-applications"
expect_application = {{ port = 1100, type = 7 }}
command = "poll_interval"
seconds = 1
expect_result = "00"

[[step]]
name = "refresh {mode}"
on = "status"
command = "refresh"
mode = "{mode}"
{expect}
'''

LIFECYCLE_SCENARIO = '''
[scenario]
name = "lifecycle"

[[step]]
on = "profile"
command = "set_up_event_list"
events = ["data-available", "channel-status"]
expect_result = "00"

[[step]]
on = "response"
command = "timer_management"
timer = 1
action = "start"
seconds = 3600
expect_result = "00"

[[step]]
on = "terminal-applications"
command = "open_channel"
mode = "terminal-server"
port = "registered"
expect_result = "00"

[[step]]
on = "response"
command = "send_data"
data = "48656C6C6F"
expect_result = "00"
'''


def case_refresh_naa(fx, bins):
    run = Run(fx, 'refresh-naa', REFRESH_SCENARIO.format(mode='naa-init', expect='expect_result = "00"'), *bins)
    try:
        def cycle_seen():
            cmds = run.apdus()
            for i, c in enumerate(cmds):
                if response_to(c, 0x01) and i + 1 < len(cmds) and ins(cmds[i + 1]) == 0x10:
                    return any(is_registration(x) for x in cmds[i + 2:])
            return False
        check(bool(wait_for(cycle_seen, 15)),
              'REFRESH naa-init: TERMINAL RESPONSE, then TERMINAL PROFILE at once, then Terminal Applications again')
        cmds = run.apdus()
        trs = [c for c in cmds if response_to(c, 0x01)]
        check(bool(trs) and all(result_of(c) == 0x00 for c in trs),
              f'REFRESH naa-init answered 00 ({len(trs)} times)')
        stats = run.ctl_json('stats') or {}
        card = stats.get('card', {})
        check(card.get('refresh_reinitialisations', 0) >= 1 and card.get('ready') == 1,
              f'no card reset, re-initialised in place (stats.card = {card})')
        rc, verdict = run.verdict()
        check(verdict.get('passed') is True and verdict.get('runs_completed', 0) >= 1,
              f'dmsc-simcard verdict: exit {rc}, passed={verdict.get("passed")}, failures={verdict.get("failures")}')
    finally:
        run.finish()


def case_refresh_reset(fx, bins):
    run = Run(fx, 'refresh-reset', REFRESH_SCENARIO.format(mode='uicc-reset', expect=''), *bins)
    try:
        def reset_seen():
            cmds = run.apdus()
            for i, c in enumerate(cmds):
                if ins(c) == 0x10 and i > 0 and any(is_registration(x) for x in cmds[:i]):
                    return True
            return False
        check(bool(wait_for(reset_seen, 15)), 'REFRESH uicc-reset: TERMINAL PROFILE again after the reset')
        stats = wait_for(lambda: (run.ctl_json('stats') or {}).get('card', {}).get('ready', 0) >= 2 and
                         run.ctl_json('stats'), 10) or {}
        card = stats.get('card', {})
        check(card.get('refresh_resets', 0) >= 1 and card.get('ready', 0) >= 2 and card.get('gone', 0) == 0,
              f'the card was reset, not lost (stats.card = {card})')
        check(not any(response_to(c, 0x01) for c in run.apdus()), 'REFRESH uicc-reset got no TERMINAL RESPONSE')
        check(run.card_text().count('power on') >= 2, 'dmsc-simcard was powered on again (the reset)')
    finally:
        run.finish()


def case_lifecycle(fx, bins, dm):
    run = Run(fx, 'lifecycle', LIFECYCLE_SCENARIO, *bins)
    try:
        check(bool(wait_for(lambda: any(c['data'] == b'Hello' for c in dm.snapshot()), 15)),
              'Package data reached the DM Client over the channel')
        timers = run.ctl_json('timers') or {}
        running = [t['id'] for t in timers.get('timers', []) if t.get('running')]
        check(running == [1], f'dmsc-ctl timers: timer 1 running ({running})')
        events = run.ctl_json('events') or {}
        check(events.get('registered') == ['09', '0A'], f'dmsc-ctl events: registered {events.get("registered")}')
        channels = run.ctl_json('channels') or {}
        check(len(channels.get('channels', [])) == 1, 'one channel open')
        profiles = sum(1 for c in run.apdus() if ins(c) == 0x10)
        open_conns = len(dm.snapshot())

        run.card.send_signal(signal.SIGUSR1)  # the card leaves the reader
        check(bool(wait_for(lambda: all(c['closed'] for c in dm.snapshot()), 10)),
              'card removed: the DM Client sees its connection closed')
        status = wait_for(lambda: (run.ctl_json('status') or {}).get('card', {}).get('state') == 'absent' and
                          run.ctl_json('status'), 10) or {}
        check(status.get('card', {}).get('state') == 'absent', 'dmsc-ctl status: card absent')
        timers = run.ctl_json('timers') or {}
        check(timers.get('timers') and not any(t.get('running') for t in timers['timers']),
              'dmsc-ctl timers: no timer running after the removal')
        check(timers.get('polling', {}).get('next_status_in_ms') is None, 'no STATUS scheduled without a card')
        events = run.ctl_json('events') or {}
        check(events.get('registered') == [], f'dmsc-ctl events: the list is gone ({events.get("registered")})')
        check(len((run.ctl_json('channels') or {}).get('channels', [1])) == 0, 'no channel left')

        run.card.send_signal(signal.SIGUSR2)  # inserted again
        check(bool(wait_for(lambda: sum(1 for c in run.apdus() if ins(c) == 0x10) > profiles, 10)),
              'reinserted: TERMINAL PROFILE again')
        check(bool(wait_for(lambda: len(dm.snapshot()) > open_conns and dm.snapshot()[-1]['data'] == b'Hello', 15)),
              'reinserted: registration, channel and data again')
        timers = run.ctl_json('timers') or {}
        check([t['id'] for t in timers.get('timers', []) if t.get('running')] == [1], 'the timer runs again')
        check(run.gw.poll() is None, 'dmsc-gatewayd still running')
        rc, verdict = run.verdict()
        check(verdict.get('passed') is True and verdict.get('runs_completed', 0) >= 2,
              f'dmsc-simcard verdict: exit {rc}, passed={verdict.get("passed")}, runs={verdict.get("runs_completed")}, '
              f'failures={verdict.get("failures")}')
    finally:
        run.finish()


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    gatewayd, simcard, ctl = sys.argv[1:4]
    fixture.enter_namespace()
    for b in (gatewayd, simcard):
        if not implemented(b):
            fixture.skip(f'{os.path.basename(b)} is still a placeholder')
    bins = (gatewayd, simcard, ctl)
    with fixture.Fixture(apdu_log=True) as fx:
        fx.start_pcscd()
        dm = DmClient()
        try:
            case_refresh_naa(fx, bins)
            case_refresh_reset(fx, bins)
            case_lifecycle(fx, bins, dm)
        finally:
            dm.close()
            fx.close(failed=bool(failures))
    print('PASSED' if not failures else f'FAILED: {len(failures)}: {failures}', flush=True)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
