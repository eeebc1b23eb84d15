#!/usr/bin/env python3
"""Fault: the DM Client process is killed (SIGKILL) in the middle of a delivery — after the
first part of the card's data reached it, before the second part is sent.
Expected (TS 102 223 6.4.30, 8.12.11, 7.5.11; docs/bip.md): the second SEND DATA is answered
'3A' with cause '02' channel closed (never a success for bytes that reached no socket), a
Channel status ENVELOPE "link dropped" goes to the card, CLOSE CHANNEL then succeeds; the
first part arrived exactly once and unchanged; the daemon stays up; a restarted DM Client gets
the next session's data; fds, threads and memory back to the baseline."""
import signal
import sys

import faultlib
from faultlib import wait_for

PART1 = bytes(range(256))[:180]
PART2 = bytes(range(255, -1, -1))[:150]

STEPS = f'''
[[step]]
name = "open channel"
on = "terminal-applications"
command = "open_channel"
port = "registered"
expect_result = "00"

[[step]]
name = "first part"
on = "response"
command = "send_data"
data = "{PART1.hex()}"
expect_result = "00"

[[step]]
name = "second part, after the DM Client died"
on = "response"
delay_ms = 1500
command = "send_data"
data = "{PART2.hex()}"
expect_result = ["00", "3A"]

[[step]]
name = "close"
on = "response"
command = "close_channel"
expect_result = "00"
'''


def main():
    with faultlib.Rig(sys.argv, faultlib.scenario(STEPS, name='dm-client-killed')) as rig:
        rig.check(wait_for(lambda: rig.runs() >= 1, 20), 'warm-up run complete')
        rig.settle()
        base = rig.resources()
        print('baseline', base, flush=True)
        rig.check(rig.deliveries() == [PART1 + PART2], 'warm-up: both parts delivered once, in order')
        envs_before = rig.stats().get('envelopes', {}).get('done', {})

        rig.new_card_session()
        rig.check(wait_for(lambda: len(rig.deliveries()) >= 2 and rig.deliveries()[1] == PART1, 10),
                  'second session: the first part reached the DM Client')
        rig.dm.send_signal(signal.SIGKILL)
        rig.dm.wait(5)
        rig.check_alive()
        rig.check(wait_for(lambda: rig.runs() >= 2, 20), 'the scenario went on to its end')
        rig.check_alive()
        st = rig.stats()
        rig.check(faultlib.by_result(st).get('3A', 0) == 1,
                  f'exactly one TERMINAL RESPONSE \'3A\': {faultlib.by_result(st)}')
        causes = st.get('delivery_failures', {})
        rig.check(list(causes.keys()) == [k for k in causes if k.startswith('02')] and
                  sum(causes.values()) == 1, f'its cause is \'02\' channel closed: {causes}')
        log = rig.card_log()
        rig.check('SEND DATA answered 3A 02' in log or '3A 02' in log,
                  'the card saw \'3A 02\' for the second part')
        envs = st.get('envelopes', {}).get('done', {})
        rig.check(sum(envs.values()) > sum(envs_before.values()),
                  f'an Event download ENVELOPE (channel status) went to the card: {envs}')
        rig.check(rig.deliveries()[1] == PART1, 'the killed client got the first part once, unchanged')

        # A DM Client again: the next card session delivers everything.
        rig.start_dm()
        rig.new_card_session()
        rig.check(wait_for(lambda: rig.runs() >= 3, 20), 'third session complete')
        rig.check(rig.deliveries()[2:] == [PART1 + PART2], 'the restarted client got both parts once')
        rig.check_resources(base)
        rig.check_verdict()
        return rig.result()


if __name__ == '__main__':
    sys.exit(main())
