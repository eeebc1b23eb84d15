#!/usr/bin/env python3
"""Fault: a card that answers '93 00' (toolkit busy, TS 102 221 10.2.1.2) to ENVELOPEs for a
long time: `[card] envelope_busy = 25` in dmsc-simcard, with card.busy_backoff_initial_ms = 20
and busy_backoff_max_ms = 250 so the test stays short (~5 s of refusals).
Expected (docs/session.md "Busy back-off"): the Terminal Applications ENVELOPE is resent after
each '93 00', never dropped, never duplicated once accepted, while STATUS polling goes on; the
registration then succeeds and the Package#0 is delivered once; the daemon stays up and its
fds, threads and memory are back to the baseline."""
import sys

import faultlib
from faultlib import wait_for

BUSY = 25
STEPS = '''
[[step]]
name = "open channel"
on = "terminal-applications"
expect_application = { type = 0x07, port = 1100 }
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
    with faultlib.Rig(sys.argv, faultlib.scenario(STEPS, name='busy', card=f'envelope_busy = {BUSY}'),
                      card_extra='busy_backoff_initial_ms = 20\nbusy_backoff_max_ms = 250') as rig:
        rig.check(wait_for(lambda: rig.runs() >= 1, 30), 'warm-up run complete (after the busy period)')
        rig.settle()
        base = rig.resources()
        print('baseline', base, flush=True)
        st0 = rig.stats()

        rig.new_card_session()  # busy again from power-on
        polls0 = rig.stats()['card']['status_polls']
        rig.check(wait_for(lambda: rig.stats()['envelopes']['busy_retries'] - st0['envelopes']['busy_retries'] >= 5, 10),
                  'the card keeps answering 93 00')
        rig.check_alive()
        rig.check(wait_for(lambda: rig.stats()['card']['status_polls'] > polls0, 5),
                  'STATUS polling goes on during the busy period')
        rig.check(wait_for(lambda: rig.runs() >= 2, 30), 'registration accepted at last, scenario complete')
        st = rig.stats()
        retries = st['envelopes']['busy_retries'] - st0['envelopes']['busy_retries']
        rig.check(retries == BUSY, f'{retries} busy retries == {BUSY} refusals of the card')
        rig.check(rig.card_log().count('ENVELOPE answered 93 00') == 2 * BUSY,
                  f'the card refused {2 * BUSY} ENVELOPEs over the two sessions')
        apps = rig.ctl('apps')
        reg = apps.get('registration', {})
        rig.check(reg.get('state') == 'accepted', f'registration {reg}')
        got = rig.deliveries()
        rig.check(len(got) == 2 and got[0] == got[1] and len(got[0]) > 16,
                  f'one Package#0 per session, unchanged ({[len(g) for g in got]} bytes)')
        rig.check_alive()
        rig.check_resources(base)
        v = rig.check_verdict()
        rig.check(len(v.get('applications', [])) >= 1, f'the card recorded the registration: {v.get("applications")}')
        return rig.result()


if __name__ == '__main__':
    sys.exit(main())
