#!/usr/bin/env python3
"""Fault: pcscd killed (SIGKILL) and restarted in the middle of a card session — while a BIP
channel to the DM Client is open and the card has not sent its Package#0 yet.
Expected: the daemon stays up, drops the channel (the DM Client sees its connection closed with
no data), finds the reader again, sends TERMINAL PROFILE and runs the scenario again; the
Package#0 reaches the DM Client once per completed run, never twice, byte for byte; fds,
threads and memory back to the baseline."""
import signal
import sys
import time

import faultlib
from faultlib import wait_for

STEPS = '''
[[step]]
name = "open channel"
on = "terminal-applications"
command = "open_channel"
port = "registered"
expect_result = "00"

[[step]]
name = "Package#0, after a pause with the channel open"
on = "response"
delay_ms = 1500
command = "send_data"
payload = "dm12-package0"
session_id = 4242
expect_result = "00"

[[step]]
name = "close"
on = "response"
command = "close_channel"
expect_result = "00"
'''


def main():
    with faultlib.Rig(sys.argv, faultlib.scenario(STEPS, name='pcscd-restart')) as rig:
        rig.check(wait_for(lambda: rig.runs() >= 1, 20), 'warm-up run complete')
        rig.settle()
        base = rig.resources()
        print('baseline', base, flush=True)
        package0 = rig.deliveries()[0]
        rig.check(len(package0) > 16, f'warm-up Package#0 delivered ({len(package0)} bytes)')

        # A new card session; kill pcscd while its channel is open, before the SEND DATA.
        rig.new_card_session()
        rig.check(wait_for(lambda: len(rig.deliveries()) >= 2, 10), 'second session opened a channel')
        ready = rig.card_counter('cards_ready')
        rig.fx.stop_pcscd(signal.SIGKILL)
        t = time.monotonic()
        rig.check_alive()
        rig.check(wait_for(lambda: rig.channels() == [], 10), 'channel dropped when the reader went away')
        time.sleep(0.5)
        rig.fx.start_pcscd()
        rig.check(wait_for(lambda: rig.card_counter('cards_ready') > ready, 15),
                  f'card ready again after the pcscd restart ({time.monotonic() - t:.1f} s)')
        rig.check(wait_for(lambda: rig.runs() >= 2, 20), 'scenario run again to its end')
        rig.check_alive()
        rig.check_resources(base)

        got = rig.deliveries()
        full = [d for d in got if d]
        rig.check(all(d == package0 for d in full), 'every delivery is the Package#0, unchanged')
        rig.check(len(full) == rig.runs(),
                  f'{len(full)} Package#0 deliveries == {rig.runs()} completed runs (none twice)')
        rig.check(len(got) == len(full) + 1 and got[1] == b'',
                  'the interrupted session\'s connection carried nothing')
        st = rig.stats()
        rig.check(st.get('card', {}).get('gone', 0) >= 2, f'card gone counted: {st.get("card")}')
        rig.check_verdict()
        return rig.result()


if __name__ == '__main__':
    sys.exit(main())
