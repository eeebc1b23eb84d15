#!/usr/bin/env python3
"""Fault: the card removed in the middle of a SEND DATA and in the middle of a RECEIVE DATA
(dmsc-simcard leaves vpcd: pcscd sees the card go), then inserted again.

The scenario sends a message as stored SEND DATA chunks, pauses, then sends the last chunk
"immediately"; the DM Client answers with 300 bytes, which the card reads with RECEIVE DATA
100, pauses, then RECEIVE DATA 200. Session 2 loses the card during the SEND DATA pause,
session 3 during the RECEIVE DATA pause; session 4 runs to the end.
Expected: the daemon stays up and drops the channel at once; the stored part of the
interrupted message never reaches the DM Client (TS 102 223 6.4.30: the Tx buffer belongs to
the channel, gone with the card session); the rest of an interrupted RECEIVE never shows up in
the next session (the card checks every byte it reads: its verdict); every complete session
delivers the message once, unchanged; re-insertion does not spin (a handful of card-ready
reports per removal, pcsc link back-off); fds, threads and memory back to the baseline."""
import signal
import sys

import faultlib
from faultlib import wait_for

MESSAGE = bytes((7 * k + 3) & 0xFF for k in range(500))  # 3 chunks of 200: store, store, send
REPLY = bytes((5 * k + 1) & 0xFF for k in range(300))

STEPS = f'''
[[step]]
name = "open channel"
on = "terminal-applications"
command = "open_channel"
port = "registered"
expect_result = "00"

[[step]]
name = "message, stored part"
on = "response"
command = "send_data"
data = "{MESSAGE[:400].hex()}"
immediate = false
expect_result = "00"

[[step]]
name = "message, last part after a pause (card removed here in session 2)"
on = "response"
delay_ms = 1200
command = "send_data"
data = "{MESSAGE[400:].hex()}"
expect_result = "00"

[[step]]
name = "read the first 100 bytes of the reply"
on = "event:data-available"
command = "receive_data"
length = 100
expect_result = "00"
expect_channel_data = "{REPLY[:100].hex()}"

[[step]]
name = "read the rest after a pause (card removed here in session 3)"
on = "response"
delay_ms = 1200
command = "receive_data"
length = 200
expect_result = "00"
expect_channel_data = "{REPLY[100:].hex()}"

[[step]]
name = "close"
on = "response"
command = "close_channel"
expect_result = "00"
'''


def main():
    with faultlib.Rig(sys.argv, faultlib.scenario(STEPS, name='card-removed'),
                      dm_args=['--reply-after', str(len(MESSAGE)), REPLY.hex()]) as rig:
        rig.check(wait_for(lambda: rig.runs() >= 1, 20), 'warm-up session complete')
        rig.settle()
        base = rig.resources()
        print('baseline', base, flush=True)
        rig.check(rig.deliveries() == [MESSAGE], 'warm-up: the message delivered once')

        def remove_when(what, ready):
            rig.new_card_session()  # start a session
            rig.check(wait_for(ready, 10), f'session reached: {what}')
            gone, readies = rig.card_counter('cards_gone'), rig.card_counter('cards_ready')
            rig.card.send_signal(signal.SIGUSR1)
            # pcscd (vpcd) notices a removal only at its next poll; until then the card is
            # listed but dead: the link must back off, not spin connect → fail → connect.
            faultlib.time.sleep(1.0)
            rig.check(wait_for(lambda: rig.card_counter('cards_gone') > gone, 10), f'removal during {what} seen')
            rig.check(wait_for(lambda: rig.channels() == [], 5), 'the channel dropped with the card')
            rig.check_alive()
            rig.card.send_signal(signal.SIGUSR2)
            rig.check(wait_for(lambda: rig.card_counter('cards_ready') > readies, 10), 'card back')
            extra = rig.card_counter('cards_ready') - readies
            rig.check(extra <= 6, f'{extra} card-ready reports for one removal + insertion (no connect spin)')

        # Session 2: the card goes while 400 bytes sit stored in the channel's Tx buffer.
        n = len(rig.deliveries())
        remove_when('the SEND DATA pause', lambda: len(rig.deliveries()) > n and
                    (rig.channels() or [{}])[0].get('tx_buffered') == 400)
        # Session 3 (the run after re-insertion completes first): the card goes with 200
        # bytes of the reply still unread.
        rig.check(wait_for(lambda: rig.runs() >= 2, 20), 'the session after re-insertion completes')
        remove_when('the RECEIVE DATA pause',
                    lambda: (rig.channels() or [{}])[0].get('rx_buffered') == 200)
        rig.check(wait_for(lambda: rig.runs() >= 3, 20), 'the session after re-insertion completes')
        got = rig.deliveries()
        print('deliveries (bytes):', [len(g) for g in got], flush=True)
        rig.check(all(g in (b'', MESSAGE) for g in got), 'no cut or stray bytes: each connection got nothing or the whole message')
        rig.check(got.count(MESSAGE) == rig.runs() + 1,
                  f'{got.count(MESSAGE)} whole messages == {rig.runs()} complete sessions + the one cut during RECEIVE')
        rig.check(got[1] == b'', 'the message whose SEND DATA was cut by the removal never arrived')
        rig.check_alive()
        rig.check_resources(base)
        rig.check_verdict('every byte read and every result')
        return rig.result()


if __name__ == '__main__':
    sys.exit(main())
