#!/usr/bin/env python3
"""tests/e2e/test_gateway_pcsc.py — dmsc-gatewayd with card.link = "pcsc" against dmsc-simcard
through a real pcscd + vpcd (inside fixture.py's private namespace):
  1. the virtual card receives a TERMINAL PROFILE equal to `dmsc-ctl --json profile` (the
     features compiled into this build);
  2. every proactive command the card fetched got exactly one TERMINAL RESPONSE with the same
     command details (checked from pcscd's APDU log), and the simulated card's own verdict on
     their contents is a pass;
  3. removing the virtual card and inserting it again makes the gateway send TERMINAL PROFILE
     again (pcscd powered the card afresh).
usage: test_gateway_pcsc.py DMSC_GATEWAYD DMSC_SIMCARD DMSC_CTL SCENARIO
Exit 77 (skipped) without root/unshare/pcscd/vpcd, or while the binaries are placeholders.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture  # noqa: E402

VPCD = f'127.0.0.1:{fixture.VPCD_PORT}'
CTL_SOCKET = '/run/dmsc-gateway/ctl.sock'  # a private tmpfs inside the fixture's namespace
DM_CLIENT_PORT = 1100

failures = []


def check(ok, what):
    print(('ok   ' if ok else 'FAIL ') + what, flush=True)
    if not ok:
        failures.append(what)


def wait_for(predicate, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def implemented(binary):
    """The daemon and the simulated card are written in parallel: a placeholder main() exits 1
    for --version."""
    try:
        return subprocess.run([binary, '--version'], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
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
        simcard_log = open(os.path.join(fx.tmp, 'simcard.log'), 'w+')
        gateway_log = open(os.path.join(fx.tmp, 'gateway.log'), 'w+')

        def start_card():
            return fx.spawn([simcard, '--vpcd', VPCD, '--scenario', scenario],
                            stdout=simcard_log, stderr=subprocess.STDOUT)

        try:
            card = start_card()
            gw = fx.spawn([gatewayd, '-c', config, '--log-level', 'debug'],
                          stdout=gateway_log, stderr=subprocess.STDOUT)

            # 1. TERMINAL PROFILE = what this build announces.
            got = wait_for(lambda: profiles_sent(fx), 10)
            check(bool(got), 'the virtual card received TERMINAL PROFILE')
            if got:
                check(got[0].hex().upper() == expected.upper(),
                      f'TERMINAL PROFILE {got[0].hex().upper()} == dmsc-ctl profile {expected}')

            # 2. Proactive commands answered once each, with matching command details; then
            # the simulated card's verdict. TODO(simcard): wait on its documented end-of-
            # scenario signal (exit status or verdict line) instead of a quiet period.
            def quiet():
                n = len(fx.apdu_exchanges())
                time.sleep(1.0)
                return len(fx.apdu_exchanges()) == n

            wait_for(quiet, 20, step=0)
            pairs = proactive_pairs(fx)
            check(len(pairs) > 0, f'{len(pairs)} proactive command(s) fetched')
            for details, answers in pairs:
                check(answers == [details], f'command details {details.hex().upper()} answered once '
                                            f'({[a.hex().upper() for a in answers]})')
            check(gw.poll() is None, 'dmsc-gatewayd still running')

            # 3. Remove and re-insert the virtual card: TERMINAL PROFILE again.
            before = len(profiles_sent(fx))
            card.terminate()
            card.wait(5)
            simcard_log.seek(0)
            verdict = simcard_log.read()
            print('--- dmsc-simcard ---\n' + verdict[-3000:], flush=True)
            check(card.returncode == 0, f'dmsc-simcard verdict: exit {card.returncode}')
            time.sleep(1.0)  # pcscd notices the removal within ~400 ms
            card = start_card()
            again = wait_for(lambda: len(profiles_sent(fx)) > before, 10)
            check(bool(again), 'TERMINAL PROFILE sent again after re-insertion')
            check(gw.poll() is None, 'dmsc-gatewayd survived the removal')
        finally:
            dm.close()
            if failures:
                gateway_log.seek(0)
                print('--- dmsc-gatewayd ---\n' + gateway_log.read()[-4000:], flush=True)
            fx.close(failed=bool(failures))
    print('PASSED' if not failures else f'FAILED: {len(failures)}', flush=True)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
