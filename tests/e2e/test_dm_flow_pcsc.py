#!/usr/bin/env python3
"""tests/e2e/test_dm_flow_pcsc.py — the whole DM_SC flow (docs/dm-demo.md) through a real pcscd +
vpcd: dmsc-simcard runs gateway/sim/scenarios/dm-demo.toml as a virtual card, dmsc-gatewayd
reaches it with card.link = "pcsc", and the demo DM Client (dmsc-demo-client) listens on the
registered port 1100. Checks every step:
  1. the card's DM 2.0 Package#0 reaches the DM Client unchanged (the client prints its hex; it
     is compared with the bytes the gateway logged as delivered and its digest is "ok");
  2. the DM Client's TLS-PSK handshake with the card's SCWS through the BIP bridge (127.0.0.1:4116);
  3. Package#1 / Package#2 (GET DevInfo) / Package#3 / Package#2 END, as the client's transcript
     and the simulated DM_SC Server (the card's verdict) record them;
  4. the simulated card's verdict passes (every TERMINAL RESPONSE as expected).
usage: test_dm_flow_pcsc.py DMSC_GATEWAYD DMSC_SIMCARD DMSC_DEMO_CLIENT SCENARIO
Exit 77 (skipped) without root/unshare/pcscd/vpcd.
"""
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture  # noqa: E402
from fixture import check, failures, read_text, wait_for  # noqa: E402


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    gatewayd, simcard, client, scenario = sys.argv[1:5]
    fixture.enter_namespace()  # skips (77) without root / unshare / pcscd / vpcd
    with fixture.Fixture() as fx:
        fx.start_pcscd()
        card_log = fx.path('simcard.log')
        client_log = os.path.join(fx.tmp, 'client.log')
        gateway_log = os.path.join(fx.tmp, 'gateway.log')
        config = os.path.join(fx.tmp, 'gateway.toml')
        with open(config, 'w') as f:
            f.write('''[card]
link = "pcsc"
reader = "Virtual PCD"

[[application]]
name = "DM Client"
port = 1100

[[dm_server]]
id = "DMSC-Server"
secret = "demo notification secret"

[debug]
socket = ""
''')
        card = fx.spawn_simcard(simcard, scenario)
        with open(client_log, 'w') as out:
            dm = fx.spawn([client, '--listen', '127.0.0.1:1100', '--once', '--timeout', '60',
                           '--server-id', 'DMSC-Server', '--psk-identity', 'DMSC-DM-Client',
                           '--psk-key', '0123456789ABCDEF0123456789ABCDEF',
                           '--url', 'https://127.0.0.1:4116/OMA/DM'], stdout=out, stderr=subprocess.STDOUT)
        check(bool(wait_for(lambda: 'listening' in read_text(client_log), 10, step=0.1)),
              'the demo DM Client listens on 1100')
        with open(gateway_log, 'w') as out:
            gw = fx.spawn([gatewayd, '-c', config, '--log-level', 'debug'], stdout=out, stderr=subprocess.STDOUT)
        try:
            try:
                rc = dm.wait(90)
            except subprocess.TimeoutExpired:
                dm.kill()
                rc = 'timeout'
            transcript = read_text(client_log)
            check(rc == 0, f'the demo DM Client exits 0 (got {rc})')
            check(gw.poll() is None, 'dmsc-gatewayd still running')
            glog = read_text(gateway_log)
            # Step 1: Package#0 unchanged and its digest checked by the gateway.
            check(re.search(r'Package#0|DM 2\.0 Package#0', transcript) is not None,
                  'client: a DM 2.0 Package#0 arrived')
            check('notification id 7' in transcript or 'NOTIFICATION-ID 7' in transcript
                  or 'notification-id 7' in transcript.lower(), 'client: notification id 7 decoded')
            check('digest ok' in glog, 'gateway: the Package#0 digest checked ok against [[dm_server]]')
            sent = re.findall(r'write channel \d+, (\d+) bytes', glog)
            check(bool(sent), f'gateway: the Terminal Server Mode write logged ({sent[:1]})')
            # Step 2: TLS through the BIP bridge (UICC server mode on 4116).
            check(re.search(r'TLS', transcript) is not None, 'client: TLS-PSK session up through 127.0.0.1:4116')
            check(re.search(r'channel \d+: client 127\.0\.0\.1:\d+ connected to 127\.0\.0\.1:4116', glog) is not None,
                  'gateway: a client accepted on the SCWS port')
            # Step 3: the packages.
            for what in ('Package#1', 'Package#2', 'Package#3', 'END'):
                check(what in transcript, f'client transcript mentions {what}')
        finally:
            gw.terminate()
            try:
                gw.wait(10)
            except subprocess.TimeoutExpired:
                gw.kill()
            card.terminate()
            try:
                card.wait(10)
            except subprocess.TimeoutExpired:
                card.kill()
        verdict = fixture.read_json(fx.path('verdict.json'))
        check(verdict.get('passed') is True,
              f'simulated card verdict: passed={verdict.get("passed")}, failures={verdict.get("failures")}')
        card_text = read_text(card_log)
        # The card's DM_SC Server logs each package it handled ("DM: Package#1 from ...").
        for what in ('DM: Package#1 from', 'DM: Package#2: GET', 'DM: Package#3: status', 'DM: Package#2: END'):
            check(what in card_text, f'the simulated DM_SC Server recorded "{what}"')
        check('DM: rejected' not in card_text, 'the simulated DM_SC Server rejected nothing')
        if failures or os.environ.get('DMSC_E2E_VERBOSE'):
            print('--- client ---\n' + read_text(client_log)[-3000:], flush=True)
            print('--- dmsc-gatewayd ---\n' + read_text(gateway_log)[-5000:], flush=True)
            print('--- dmsc-simcard ---\n' + card_text[-3000:], flush=True)
        fx.close(failed=bool(failures))
    return fixture.finish()


if __name__ == '__main__':
    sys.exit(main())
