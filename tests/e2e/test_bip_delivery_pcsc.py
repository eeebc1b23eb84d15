#!/usr/bin/env python3
"""tests/e2e/test_bip_delivery_pcsc.py — Terminal Server Mode delivery through a real pcscd +
vpcd: dmsc-gatewayd (card.link = "pcsc") and dmsc-simcard running deliver-answer.toml, once
per deliver endpoint kind — udp://, unix: and wap-push+udp:// — each with a stand-in DM
Client that keeps what it receives and answers b"ack". Checks: the Package#0 arrives
byte-identical (for wap-push inside the WSP Push PDU 00 06 03 C4 AF 87), the answer reaches the
card (its RECEIVE DATA expects exactly "ack"), and the simulated card's verdict passes (every
TERMINAL RESPONSE '00').
usage: test_bip_delivery_pcsc.py DMSC_GATEWAYD DMSC_SIMCARD SCENARIO
Exit 77 (skipped) without root/unshare/pcscd/vpcd.
"""
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

DM_PORT = 1100  # the registered port (the card's OPEN CHANNEL names it)
DELIVER_PORT = 41100
# default.toml's DM 1.2 Package#0: digest zeros, version 12, UI mode 0, initiator 1, session 1,
# server id "DMSC-Server" (docs/simulated-card.md).
PACKAGE0 = bytes(16) + bytes.fromhex('03080000000001') + bytes([11]) + b'DMSC-Server'
WSP_HEADER = bytes.fromhex('000603C4AF87')

class UdpDmClient:
    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', port))
        self.received = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(65536)
            except OSError:
                return
            self.received.append(data)
            self.sock.sendto(b'ack', peer)

    def close(self):
        self.sock.close()


class UnixDmClient:
    def __init__(self, path):
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(4)
        self.received = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            conn, _ = self.srv.accept()
        except OSError:
            return
        data, answered = b'', False
        with conn:
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
                if not answered and len(data) >= len(PACKAGE0):
                    conn.sendall(b'ack')
                    answered = True
        self.received.append(data)

    def close(self):
        self.srv.close()


def write_config(fx, kind, port):
    if kind == 'unix':
        path = os.path.join(fx.tmp, 'dm.sock')
        dm = UnixDmClient(path)
        deliver = 'unix:' + path
    else:
        dm = UdpDmClient(port)
        deliver = f'{kind}://127.0.0.1:{port}'
    config = os.path.join(fx.tmp, f'gateway-{kind}.toml')
    with open(config, 'w') as f:
        f.write(f'''[card]
link = "pcsc"
reader = "Virtual PCD"
poll_interval_ms = 0

[[application]]
name = "DM Client"
port = {DM_PORT}
deliver = "{deliver}"

[debug]
socket = ""
''')
    return dm, config


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    gatewayd, simcard, scenario = sys.argv[1:4]
    fixture.enter_namespace()  # skips (77) without root / unshare / pcscd / vpcd
    with fixture.Fixture() as fx:
        fx.start_pcscd()
        def card_log():
            return fixture.read_text(fx.path('simcard.log'))

        card = fx.spawn_simcard(simcard, scenario)
        kinds = ('udp', 'unix', 'wap-push+udp')
        for n, kind in enumerate(kinds, start=1):
            print(f'--- {kind} ---', flush=True)
            dm, config = write_config(fx, kind, DELIVER_PORT + n)
            gateway_log = open(os.path.join(fx.tmp, f'gateway-{kind}.log'), 'w+')
            if n > 1:
                # A fresh card session for the next gateway: remove the virtual card and insert
                # it again (dmsc-simcard SIGUSR1 / SIGUSR2); pcscd notices within ~400 ms.
                card.send_signal(signal.SIGUSR1)
                time.sleep(1.0)
            gw = fx.spawn([gatewayd, '-c', config, '--log-level', 'debug'], stdout=gateway_log,
                          stderr=subprocess.STDOUT)
            if n > 1:
                card.send_signal(signal.SIGUSR2)
            try:
                done = wait_for(lambda: card_log().count('" complete') >= n, 20)
                check(bool(done), f'{kind}: scenario run {n} complete (the answer "ack" reached the card)')
                got = wait_for(lambda: dm.received, 5)
                expected = WSP_HEADER + PACKAGE0 if kind == 'wap-push+udp' else PACKAGE0
                check(bool(got) and got[0] == expected,
                      f'{kind}: the DM Client received {got[0].hex().upper() if got else "nothing"}, '
                      f'expected {expected.hex().upper()}')
                check(len(got) == 1, f'{kind}: exactly one delivery ({len(got)})')
                check(gw.poll() is None, f'{kind}: dmsc-gatewayd still running')
            finally:
                gw.terminate()
                gw.wait(10)
                dm.close()
                if failures or os.environ.get('DMSC_E2E_VERBOSE'):
                    gateway_log.seek(0)
                    print(f'--- dmsc-gatewayd ({kind}) ---\n' + gateway_log.read()[-4000:], flush=True)
        # The simulated card's verdict on every TERMINAL RESPONSE of the three runs.
        card.terminate()
        card.wait(10)
        verdict = fixture.read_json(fx.path('verdict.json'))
        check(card.returncode == 0 and verdict.get('passed') is True and verdict.get('runs_completed') == 3,
              f'simulated card verdict: exit {card.returncode}, passed={verdict.get("passed")}, '
              f'runs={verdict.get("runs_completed")}, failures={verdict.get("failures")}')
        if failures:
            fixture.print_tail('dmsc-simcard', fx.path('simcard.log'), 4000)
        fx.close(failed=bool(failures))
    return fixture.finish()





if __name__ == '__main__':
    sys.exit(main())
