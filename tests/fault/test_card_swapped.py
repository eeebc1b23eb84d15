#!/usr/bin/env python3
"""Fault: the card swapped at once — the virtual card process killed (SIGKILL) and a new one
inserted immediately, so pcscd powers the new card up while it still handles the removal
(pcscd logs "Error powering up card: SCARD_W_REMOVED_CARD" and keeps the reader "present,
unpowered" with no further change event).
Expected: the gateway does not wait for another insertion that never comes: it retries the
connection with back-off, sends TERMINAL PROFILE to the new card and the scenario runs to its
end, three swaps in a row; the daemon stays up; fds, threads and memory back to the baseline.
A reset that fails during the swap can leave pcscd listing the reader as empty with the new
card in it; the gateway then finds the card by a direct connection and a reset (see
PcscLink::probe_stale_reader)."""
import signal
import sys

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
name = "Package#0"
on = "response"
command = "send_data"
payload = "dm12-package0"
expect_result = "00"

[[step]]
name = "close"
on = "response"
command = "close_channel"
expect_result = "00"
'''


def main():
    with faultlib.Rig(sys.argv, faultlib.scenario(STEPS, name='swap')) as rig:
        rig.check(wait_for(lambda: rig.runs() >= 1, 20), 'first card: run complete')
        rig.settle()
        base = rig.resources()
        print('baseline', base, flush=True)
        for swap in range(1, 4):
            rig.card.send_signal(signal.SIGKILL)
            rig.card.wait(5)
            rig.start_card()  # the next card, at once
            rig.check(wait_for(lambda: rig.runs() >= swap + 1, 20), f'swap {swap}: the new card ran the scenario')
            rig.check_alive()
        # pcscd may power a new card more than once while it settles (its own power-up, then
        # the gateway's reset): the card then starts its scenario again and sends Package#0
        # again. What the gateway owes: every SEND DATA answered '00' reached the DM Client,
        # whole; nothing reached it that the cards did not send; nothing cut or merged.
        got = rig.deliveries()
        sent = [g for g in got if g]
        log = rig.card_log()
        fetched = log.count('FETCH: SEND DATA')
        acked = log.count('TERMINAL RESPONSE to SEND DATA: 00')
        rig.check(len(sent) >= 4 and len(set(sent)) == 1 and len(sent[0]) > 16,
                  f'each card\'s Package#0 delivered whole: {[len(g) for g in got]} bytes per connection')
        rig.check(acked <= len(sent) <= fetched,
                  f'deliveries {len(sent)}: at least the SEND DATA answered 00 ({acked}), '
                  f'at most the SEND DATA fetched ({fetched})')
        rig.check_resources(base)
        rig.check_verdict('the last card')
        return rig.result()


if __name__ == '__main__':
    sys.exit(main())
