#!/usr/bin/env python3
"""tests/e2e/test_gateway_pcsc.py — dmsc-gatewayd with card.link = "pcsc" against dmsc-simcard
through a real pcscd + vpcd (inside fixture.py's private namespace):
  1. the virtual card receives a TERMINAL PROFILE equal to `dmsc-ctl --json profile` (the
     features compiled into this build);
  2. every proactive command the card fetched got exactly one TERMINAL RESPONSE with the same
     command details (checked from pcscd's APDU log), and the simulated card's own verdict on
     their contents is a pass;
  3. removing the virtual card and inserting it again (dmsc-simcard SIGUSR1 / SIGUSR2) makes
     the gateway send the same TERMINAL PROFILE again (pcscd powered the card afresh), and the
     scenario runs a second time; likewise after pcscd itself is restarted.
usage: test_gateway_pcsc.py DMSC_GATEWAYD DMSC_SIMCARD DMSC_CTL SCENARIO
Exit 77 (skipped) without root/unshare/pcscd/vpcd, or while the binaries are placeholders.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture  # noqa: E402
from fixture import check, failures, wait_for  # noqa: E402

CTL_SOCKET = '/run/dmsc-gateway/ctl.sock'  # a private tmpfs inside the fixture's namespace
DM_CLIENT_PORT = 1100


def implemented(binary):
    """The daemon and the simulated card are written in parallel: a placeholder main() exits 1
    for --version."""
    for flag in ('--version', '--help'):  # dmsc-simcard has --help only
        try:
            if subprocess.run([binary, flag], capture_output=True, timeout=10).returncode == 0:
                return True
        except (OSError, subprocess.TimeoutExpired):
            return False
    return False


class DmClient:
    """Stand-in DM Client: accepts connections on DM_CLIENT_PORT and keeps what it receives
    (Package#0), so OPEN CHANNEL in Terminal Server Mode toward it succeeds."""

    def __init__(self, port=DM_CLIENT_PORT):
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(('127.0.0.1', port))
        self.srv.listen(8)
        self.received = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn):
        data = b''
        with conn:
            while True:
                try:
                    chunk = conn.recv(4096)
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
        self.received.append(data)

    def close(self):
        self.srv.close()


def profiles_sent(fx):
    """TERMINAL PROFILE data fields seen by pcscd (CLA 80, INS 10; TS 102 221 clause 10.1.1)."""
    return [cmd[5:5 + cmd[4]] for cmd, _ in fx.apdu_exchanges() if len(cmd) > 5 and cmd[1] == 0x10]


def proactive_pairs(fx):
    """Each FETCH response's command details ('81 03 nn tt qq', TS 102 223 8.6) paired with
    the command details of the TERMINAL RESPONSEs (INS 14) that answered it."""
    pairs, pending = [], None
    for cmd, rsp in fx.apdu_exchanges():
        if len(cmd) < 4:
            continue
        if cmd[1] == 0x12 and len(rsp) > 2 and rsp[0] == 0xD0:  # FETCH → 'D0' proactive command
            if pending is not None:
                pairs.append((pending, []))
            body = rsp[:-2]
            at = body.find(b'\x81\x03')
            pending = (body[at + 2:at + 5] if at >= 0 else b'', [])
        elif cmd[1] == 0x14 and pending is not None:  # TERMINAL RESPONSE
            data = cmd[5:5 + cmd[4]]
            at = data.find(b'\x81\x03')
            if at < 0:
                at = data.find(b'\x01\x03')  # comprehension required flag clear
            pending[1].append(data[at + 2:at + 5] if at >= 0 else b'')
            pairs.append(pending)
            pending = None
    if pending is not None:
        pairs.append(pending)
    return pairs


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    gatewayd, simcard, ctl, scenario = sys.argv[1:5]
    fixture.enter_namespace()  # skips (77) without root / unshare / pcscd / vpcd
    for b in (gatewayd, simcard):
        if not implemented(b):
            fixture.skip(f'{os.path.basename(b)} is still a placeholder (no --version)')

    expected = json.loads(subprocess.run([ctl, '--json', 'profile'], capture_output=True, text=True,
                                         check=True, timeout=10).stdout)['profile']

    with fixture.Fixture(apdu_log=True) as fx:
        fx.start_pcscd()
        dm = DmClient()
        config = os.path.join(fx.tmp, 'gateway.toml')
        with open(config, 'w') as f:
            f.write(f'''[card]
link = "pcsc"
reader = "Virtual PCD"

[[application]]
name = "DM Client"
type = 0x07
port = {DM_CLIENT_PORT}
deliver = "tcp://127.0.0.1:{DM_CLIENT_PORT}"

[debug]
socket = "{CTL_SOCKET}"
''')
        def runs_completed():  # dmsc-simcard logs 'scenario "NAME" complete' after each run
            return fixture.read_text(fx.path('simcard.log')).count('" complete')

        card = fx.spawn_simcard(simcard, scenario)
        gw = fx.spawn_logged([gatewayd, '-c', config, '--log-level', 'debug'], 'gateway.log')
        try:
            # 1. TERMINAL PROFILE = what this build announces.
            got = wait_for(lambda: profiles_sent(fx), 10)
            check(bool(got), 'the virtual card received TERMINAL PROFILE')
            if got:
                check(got[0].hex().upper() == expected.upper(),
                      f'TERMINAL PROFILE {got[0].hex().upper()} == dmsc-ctl profile {expected}')

            # 2. The scenario runs to its end; every proactive command answered once.
            check(bool(wait_for(lambda: runs_completed() >= 1, 20)), 'scenario run 1 complete')

            # 3. Remove the card (SIGUSR1: dmsc-simcard leaves vpcd) and insert it again
            # (SIGUSR2): pcscd powers it afresh, the gateway must start over with TERMINAL PROFILE.
            before = len(profiles_sent(fx))
            t = time.monotonic()
            card.send_signal(signal.SIGUSR1)
            time.sleep(1.0)  # pcscd sees a removal within ~400 ms
            card.send_signal(signal.SIGUSR2)
            again = wait_for(lambda: len(profiles_sent(fx)) > before, 10)
            check(bool(again), 'TERMINAL PROFILE sent again after re-insertion '
                               f'({time.monotonic() - t:.2f} s after removal, 1 s of it without the card)')
            if again:
                check(profiles_sent(fx)[-1].hex().upper() == expected.upper(), 'the same TERMINAL PROFILE')
            check(bool(wait_for(lambda: runs_completed() >= 2, 20)), 'scenario run 2 complete')

            # 4. pcscd restarted under the running gateway: it reconnects and starts over.
            before = len(profiles_sent(fx))
            t = time.monotonic()
            fx.stop_pcscd()
            fx.start_pcscd()
            again = wait_for(lambda: len(profiles_sent(fx)) > before, 15)
            check(bool(again), f'TERMINAL PROFILE again after a pcscd restart ({time.monotonic() - t:.2f} s)')
            check(bool(wait_for(lambda: runs_completed() >= 3, 20)), 'scenario run 3 complete')
            check(gw.poll() is None, 'dmsc-gatewayd still running')

            pairs = proactive_pairs(fx)
            check(len(pairs) >= 10, f'{len(pairs)} proactive commands fetched over the three runs')
            unanswered = [(d.hex().upper(), [a.hex().upper() for a in ans]) for d, ans in pairs if ans != [d]]
            check(not unanswered, f'each answered by exactly one TERMINAL RESPONSE: {unanswered or "yes"}')

            # The simulated card's verdict on the contents (results, objects): SIGTERM writes it.
            card.terminate()
            card.wait(10)
            verdict = fixture.read_json(fx.path('verdict.json'))
            check(card.returncode == 0 and verdict.get('passed') is True,
                  f'dmsc-simcard verdict: exit {card.returncode}, passed={verdict.get("passed")}, '
                  f'runs={verdict.get("runs_completed")}, failures={verdict.get("failures")}')
        finally:
            dm.close()
            if failures:
                fixture.print_tail('dmsc-simcard', fx.path('simcard.log'), 3000)
                fixture.print_tail('dmsc-gatewayd', fx.path('gateway.log'), 4000)
            fx.close(failed=bool(failures))
    return fixture.finish()


if __name__ == '__main__':
    sys.exit(main())
