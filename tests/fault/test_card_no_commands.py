#!/usr/bin/env python3
"""Fault: a card that never sends a TERMINAL RESPONSE-able command. It announces proactive
commands ('91 XX' after STATUS and after each TERMINAL RESPONSE) but its FETCH answers are,
in turn, three rounds of:

  not-d0         'FF 03 01 02 03' 90 00: not a proactive command ('D0') at all   → TR '32'
  fetch-fails    '6F 00', no data: the FETCH itself failed                       → no TR
  no-data        90 00 without data                                              → no TR
  d0-no-details  'D0 02 85 00' 90 00: no command details to echo                 → TR '32'
  d0-cut         'D0 10 81 03 01 21 00' 90 00: the 'D0' length runs past the end   → TR '32'

The card is a Python vpcd card (fixture.MiniCard), as no dmsc-simcard scenario can send these.
Expected: each FETCH that brought bytes is answered by exactly one TERMINAL RESPONSE '32'
(TS 102 223 6.10: command data not understood) and nothing else; a FETCH that failed or
brought nothing gets no TERMINAL RESPONSE (there is no command to answer) and the loop goes
on with the next STATUS; once the card goes quiet, STATUS polling continues; the daemon stays
up, its debug socket answers, and fds, threads and memory are back to the baseline."""
import sys
import threading
import time

sys.dont_write_bytecode = True
import faultlib  # noqa: E402
from faultlib import fixture, wait_for  # noqa: E402

OK = b'\x90\x00'
KINDS = [
    ('not-d0', bytes.fromhex('FF03010203') + OK, '32'),
    ('fetch-fails', bytes.fromhex('6F00'), None),
    ('no-data', OK, None),
    ('d0-no-details', bytes.fromhex('D0028500') + OK, '32'),
    ('d0-cut', bytes.fromhex('D0108103012100') + OK, '32'),
]
ROUNDS = 3


class NoCommandCard(fixture.MiniCard):
    """Quiet (90 00) until `start()`; then every FETCH answer is the next of KINDS × ROUNDS.
    Records what the terminal sent after each FETCH: ('TR', result byte) or ('none', INS)."""

    def __init__(self):
        super().__init__()
        self.mu = threading.Lock()
        self.plan = []         # FETCH answers still to give
        self.fetched = []      # kinds given, in order
        self.after = []        # what came after each FETCH
        self.awaiting = False  # a FETCH was answered; the next APDU says what followed
        self.status_seen = 0

    def start(self):
        with self.mu:
            self.plan = [k for _ in range(ROUNDS) for k in KINDS]

    def signal(self):
        """The status word after a command: '91 XX' while the plan has FETCH answers left."""
        if not self.plan:
            return OK
        data = self.plan[0][1]
        size = max(len(data) - 2, 1)
        return bytes([0x91, size])

    def answer(self, apdu):
        self.stats['apdus'] += 1
        ins = apdu[1] if len(apdu) > 1 else 0
        with self.mu:
            if self.awaiting and ins != 0x12:
                self.awaiting = False
                if ins == 0x14:
                    data = apdu[5:5 + apdu[4]] if len(apdu) > 5 else b''
                    at = max(data.find(b'\x83\x01'), data.find(b'\x03\x01'))
                    self.after.append(('TR', data[at + 2:at + 3].hex().upper() if at >= 0 else '?'))
                else:
                    self.after.append(('none', f'{ins:02X}'))
            if ins == 0x12:  # FETCH
                if not self.plan:
                    return bytes.fromhex('6985')
                name, reply, _ = self.plan.pop(0)
                self.fetched.append(name)
                self.awaiting = True
                return reply
            if ins == 0xF2:
                self.status_seen += 1
            if ins == 0x10:
                self.stats['profiles'] += 1
            return self.signal()


def main():
    with faultlib.Rig(sys.argv, '', mini_card=NoCommandCard) as rig:
        card = rig.card
        rig.check(wait_for(lambda: card.status_seen >= 3, 20), 'the gateway polls the quiet card (STATUS)')
        rig.settle()
        base = rig.resources()
        before = rig.stats()
        print('baseline', base, flush=True)
        card.start()
        total = ROUNDS * len(KINDS)
        rig.check(wait_for(lambda: len(card.after) >= total, 30),
                  f'all {total} FETCH answers given and followed by another command: {len(card.after)}')
        for i, (name, want) in enumerate([(k[0], k[2]) for _ in range(ROUNDS) for k in KINDS]):
            if i >= len(card.after):
                break
            got = card.after[i]
            if want is None:
                rig.check(got[0] == 'none', f'{i + 1:2} {name}: no TERMINAL RESPONSE (next: {got})')
            else:
                rig.check(got == ('TR', want), f'{i + 1:2} {name}: TERMINAL RESPONSE {want} (got {got})')
        trs = sum(1 for a in card.after if a[0] == 'TR')
        rig.check(trs == ROUNDS * 3, f'{trs} TERMINAL RESPONSEs in all == {ROUNDS * 3}')
        polls = card.status_seen
        time.sleep(1.5)
        rig.check(card.status_seen >= polls + 3,
                  f'STATUS polling goes on once the card is quiet ({card.status_seen - polls} in 1.5 s)')
        rig.check_alive()
        st = rig.stats()
        undecodable = st['proactive_commands'].get('undecodable', 0) - \
            before['proactive_commands'].get('undecodable', 0)
        rig.check(undecodable == ROUNDS * 3, f'{undecodable} counted undecodable == {ROUNDS * 3}')
        rig.check_resources(base)
        return rig.result()


if __name__ == '__main__':
    sys.exit(main())
