#!/usr/bin/env python3
"""Fault: seven BIP channels busy and an eighth OPEN CHANNEL (TS 102 223 6.4.27, 8.12.11).
The card opens seven Terminal Server Mode channels to the DM Client, pauses, asks for an
eighth, then sends data on channel 4 and closes all seven.
Expected: the eighth OPEN CHANNEL is answered '3A' with additional information '01' no channel
available (with the command's buffer size, no channel status) and opens no connection; the
seven stay usable (the data sent on channel 4 arrives once, on one connection); each CLOSE
CHANNEL '00'; the daemon stays up; fds, threads and memory back to the baseline."""
import sys

import faultlib
from faultlib import wait_for

DATA = bytes(range(64, 64 + 120))
OPEN = '''
[[step]]
name = "open channel {n}"
on = "response"
command = "open_channel"
port = "registered"
expect_result = "00"
'''


def main():
    steps = ''.join(OPEN.format(n=n) for n in range(1, 8))
    steps = steps.replace('on = "response"', 'on = "terminal-applications"', 1)
    steps += f'''
[[step]]
name = "an eighth channel"
on = "response"
delay_ms = 1000
command = "open_channel"
port = "registered"
buffer_size = 1000
expect_result = "3A"
expect_additional = "01"
expect_buffer_size = 1000

[[step]]
name = "data on channel 4"
on = "response"
command = "send_data"
channel = 4
data = "{DATA.hex()}"
expect_result = "00"
'''
    steps += ''.join(f'''
[[step]]
name = "close channel {n}"
on = "response"
command = "close_channel"
channel = {n}
expect_result = "00"
''' for n in range(1, 8))
    with faultlib.Rig(sys.argv, faultlib.scenario(steps, name='channels-exhausted')) as rig:
        rig.check(wait_for(lambda: rig.runs() >= 1, 20), 'warm-up run complete')
        rig.settle()
        base = rig.resources()
        print('baseline', base, flush=True)
        st0 = rig.stats()

        rig.new_card_session()
        rig.check(wait_for(lambda: len(rig.channels() or []) == 7, 10), 'seven channels open')
        during = rig.resources()
        rig.check(during['fds'] == base['fds'] + 7, f'one socket per channel: {during["fds"]} fds')
        rig.check(wait_for(lambda: rig.runs() >= 2, 20), 'the scenario went on to its end')
        rig.check_alive()
        st = rig.stats()
        fails = {k: v - st0['delivery_failures'].get(k, 0) for k, v in st['delivery_failures'].items()}
        rig.check({k: v for k, v in fails.items() if v} == {'01 no channel available': 1},
                  f'one \'3A\' with cause \'01\': {fails}')
        got = rig.deliveries()
        rig.check(len(got) == 14, f'7 connections per session, none for the eighth ({len(got)} in two sessions)')
        rig.check(sorted(got[7:]) == sorted([b''] * 6 + [DATA]),
                  'the data sent on channel 4 arrived once, on one connection, unchanged')
        rig.check(rig.connections_closed() == 14, 'every connection closed by CLOSE CHANNEL')
        rig.check_resources(base)
        rig.check_verdict('the eighth OPEN CHANNEL\'s answer (3A/01, buffer size) and the others')
        return rig.result()


if __name__ == '__main__':
    sys.exit(main())
