#!/usr/bin/env python3
"""Fault: garbage proactive commands of every kind (TS 102 223 clause 9.4 command types), each
sent by the card through pcscd + vpcd as a raw 'D0' object (scenario `command = "raw"`):

  missing   command details + device identities only, for the types the gateway performs
            whose mandatory objects are then missing                       → '36' (8.12.2)
  badlen    an object whose length runs past the end of the 'D0' value     → '32'
  unknown   an unknown object with comprehension required (tag 'FD')       → '32' (6.10)
            (a type the gateway does not perform: '30' or '32' — both tell the card
            the command was not performed; the session checks the data first)
  header    a 'D0' length larger than the data (the command details are
            found by a lenient scan and echoed)                            → '32'
  (types the gateway does not perform, well formed)                        → '30' (6.8)
            (SEND SHORT MESSAGE, LAUNCH BROWSER bare: their decoders see the missing
            mandatory object first: '36' is accepted too)

Every command must get exactly one TERMINAL RESPONSE echoing its command details with that
result (dmsc-simcard checks each one: its verdict), the proactive loop goes on (a MORE TIME
at the end is answered '00'), the daemon stays up, counts every one (`stats`), and its fds,
threads and memory are back to the baseline."""
import json
import sys

import faultlib
from faultlib import wait_for

# TS 102 223 clause 9.4: every command type.
ALL_TYPES = [0x01, 0x02, 0x03, 0x04, 0x05, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x20, 0x21,
             0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x40,
             0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x50, 0x51, 0x60, 0x61, 0x62, 0x70, 0x71,
             0x72, 0x73]
# Types the gateway performs (docs/daemon.md) whose bare header lacks a mandatory object, with
# the qualifier that makes it so: REFRESH file change (file list, 6.4.7), POLL INTERVAL
# (duration), SET UP EVENT LIST (event list), TIMER MANAGEMENT (timer identifier), OPEN
# CHANNEL (buffer size, 6.4.27), RECEIVE DATA (channel data length), SEND DATA (channel data).
MISSING = {0x01: 0x01, 0x03: 0x00, 0x05: 0x00, 0x27: 0x00, 0x40: 0x01, 0x42: 0x00, 0x43: 0x01}
PERFORMED = {0x01, 0x02, 0x03, 0x04, 0x05, 0x26, 0x27, 0x40, 0x41, 0x42, 0x43, 0x44}


def d0(value):
    return bytes([0xD0, len(value)]) + value


def header(number, ctype, qualifier=0x00, dest=0x82):
    return bytes([0x81, 0x03, number, ctype, qualifier, 0x82, 0x02, 0x81, dest])


def cases():
    out, n = [], 0

    def num():
        nonlocal n
        n = n % 0xFE + 1
        return n
    for t, q in MISSING.items():
        out.append((f'missing {t:02X}', d0(header(num(), t, q)), '36'))
    for t in ALL_TYPES:
        # An alpha identifier ('85') whose length (0x10) runs past the end of the data.
        out.append((f'badlen {t:02X}', d0(header(num(), t) + bytes([0x85, 0x10, 0x41, 0x42])), '32'))
    for t in ALL_TYPES:
        out.append((f'unknown {t:02X}', d0(header(num(), t) + bytes([0xFD, 0x01, 0x00])),
                    '32' if t in PERFORMED else ['30', '32']))
    for t in ALL_TYPES:
        v = header(num(), t)
        out.append((f'header {t:02X}', bytes([0xD0, len(v) + 6]) + v, '32'))
    for t in ALL_TYPES:
        if t not in PERFORMED:
            # Well formed but not performed: DISPLAY TEXT etc. with a text string, the others bare.
            body = bytes([0x8D, 0x03, 0x04, 0x41, 0x42]) if t == 0x21 else b''
            out.append((f'unsupported {t:02X}', d0(header(num(), t, dest=0x02 if t == 0x21 else 0x82) + body),
                        ['30', '36']))
    return out


def main():
    steps = ''.join(f'''
[[step]]
name = "{name}"
on = "response"
command = "raw"
hex = "{raw.hex()}"
expect_result = {json.dumps(want)}
''' for name, raw, want in cases())
    steps += '''
[[step]]
name = "the loop goes on"
on = "response"
command = "more_time"
expect_result = "00"
'''
    n = len(cases())
    with faultlib.Rig(sys.argv, faultlib.scenario('', name='garbage-warm-up'), apdu_log=False) as rig:
        rig.check(wait_for(lambda: rig.runs() >= 1, 20), 'warm-up run complete')
        rig.settle()
        base = rig.resources()
        before = rig.stats()
        print('baseline', base, flush=True)
        # The same card, now playing the garbage scenario (a new dmsc-simcard on the reader).
        rig.card.terminate()
        rig.card.wait(10)
        with open(rig.scenario_path, 'w') as f:
            f.write(faultlib.scenario(steps, name='garbage', poll=False))
        rig.start_card()
        rig.check(wait_for(lambda: rig.runs() >= 2, 60), f'{n} garbage commands and the MORE TIME answered')
        rig.check_alive()
        st = rig.stats()
        got = sum(st['terminal_responses']['by_result'].values()) - \
            sum(before['terminal_responses']['by_result'].values())
        rig.check(got == n + 2, f'{got} TERMINAL RESPONSEs == {n} garbage + SET UP EVENT LIST + MORE TIME')
        print('by result:', st['terminal_responses']['by_result'], 'undecodable:',
              st['proactive_commands'].get('undecodable'), flush=True)
        delta = {k: v - before['terminal_responses']['by_result'].get(k, 0)
                 for k, v in st['terminal_responses']['by_result'].items()}
        undecodable = st['proactive_commands'].get('undecodable', 0) - \
            before['proactive_commands'].get('undecodable', 0)
        rig.check(undecodable == delta.get('32', 0) + delta.get('36', 0),
                  f'{undecodable} counted undecodable == the \'32\' + \'36\' answers {delta}')
        rig.check(delta.get('32', 0) >= 3 * len(ALL_TYPES) - 30 and delta.get('36', 0) >= len(MISSING),
                  'the malformed ones were answered \'32\' / \'36\', not \'30\'')
        rig.check_resources(base)
        rig.check_verdict('each result (command details echoed, the result above)')
        return rig.result()


if __name__ == '__main__':
    sys.exit(main())
