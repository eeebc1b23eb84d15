#!/usr/bin/env python3
"""Fault: the card swapped at once — the virtual card process killed (SIGKILL) and a new one
inserted immediately, so pcscd powers the new card up while it still handles the removal
(pcscd logs "Error powering up card: SCARD_W_REMOVED_CARD" and keeps the reader "present,
unpowered" with no further change event).
Expected: the gateway does not wait for another insertion that never comes: it retries the
connection with back-off, sends TERMINAL PROFILE to the new card and the scenario runs to its
end, three swaps in a row; the daemon stays up; fds, threads and memory back to the baseline."""
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
        got = rig.deliveries()
        rig.check(len(got) == 4 and len(set(got)) == 1 and len(got[0]) > 16,
                  f'one Package#0 per card, unchanged: {[len(g) for g in got]}')
        rig.check_resources(base)
        rig.check_verdict('the last card')
        return rig.result()


if __name__ == '__main__':
    sys.exit(main())
