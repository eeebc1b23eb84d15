#!/usr/bin/env python3
"""Fault: a DM Client that accepts the connection and never reads (back-pressure). The
namespace's TCP buffers are made small (net.ipv4.tcp_wmem / tcp_rmem, per network namespace)
so a few kilobytes fill the pipe.
Expected: the daemon never blocks (the debug socket answers while a SEND DATA waits for the
socket) and never buffers without bound (RSS stays near the baseline); a SEND DATA whose bytes
cannot be written within card.pending_timeout_ms gets '20' terminal currently unable (TS 102
223 8.12.2, docs/session.md) and its connection is reset once the bytes before it (answered
'00') reached the client (docs/bip.md "A command answered '20' by the session"); the next
message connects again. When the client finally reads, each connection holds whole messages
in the card's order, none twice, at most one cut message at its very end and only on a
connection that ended in a reset (ECONNRESET, never a clean end after a cut message) — a
message answered '20'; no message answered '20' arrives whole; every message answered '00'
arrives whole; fds, threads and memory back to the baseline."""
import signal
import sys

import faultlib
from faultlib import wait_for

MESSAGES = 8
SIZE = 1400  # = the channel buffer: each message is 7 SEND DATA (6 store + 1 send immediately)


def message(i):
    return bytes([0xA0 + i]) * 2 + bytes((i * 31 + k) & 0xFF for k in range(SIZE - 2))


STEPS = '''
[[step]]
name = "open channel"
on = "terminal-applications"
delay_ms = 1000
command = "open_channel"
port = "registered"
buffer_size = 1400
expect_result = "00"
''' + ''.join(f'''
[[step]]
name = "message {i}"
on = "response"
command = "send_data"
data = "{message(i).hex()}"
expect_result = ["00", "20"]
''' for i in range(MESSAGES)) + '''
[[step]]
name = "close"
on = "response"
command = "close_channel"
expect_result = "00"
'''


def send_data_results(fx):
    """General result of each TERMINAL RESPONSE to a SEND DATA (command details '81 03 nn 43
    qq'), in order, from pcscd's APDU log."""
    out = []
    for cmd, _ in fx.apdu_exchanges():
        if len(cmd) <= 5 or cmd[1] != 0x14:
            continue
        data = cmd[5:5 + cmd[4]]
        if len(data) < 5 or data[0] & 0x7F != 0x01 or data[3] != 0x43:
            continue
        at, result = 0, None
        while at + 2 <= len(data):  # COMPREHENSION-TLVs: tag, 1-byte length here
            tag, n = data[at] & 0x7F, data[at + 1]
            if tag == 0x03 and n >= 1:
                result = data[at + 2]
                break
            at += 2 + n
        out.append(result)
    return out


def main():
    rig = faultlib.Rig(sys.argv, faultlib.scenario(STEPS, name='never-reads'),
                       card_extra='pending_timeout_ms = 600',
                       dm_args=['--no-read', '--rcvbuf', '2048'],
                       sysctls=['net.ipv4.tcp_wmem=4096 4096 4096', 'net.ipv4.tcp_rmem=4096 4096 4096'],
                       apdu_log=True)
    with rig:
        rig.check(wait_for(lambda: rig.ctl('apps').get('registration', {}).get('state') == 'accepted', 15),
                  'DM Client registered with the card')
        base = rig.resources()
        print('baseline', base, flush=True)

        blocked = wait_for(lambda: (rig.ctl('status').get('session') or {}).get('awaiting_handler'), 20,
                           step=0.02)
        rig.check(bool(blocked), 'a SEND DATA waits for the socket (handler pending)')
        rig.check(rig.ctl_ok('status') and rig.ctl_ok('channels'), 'the debug socket answers meanwhile')
        timeouts = lambda: rig.stats().get('errors', {}).get('handler_timeouts', 0)  # noqa: E731
        rig.check(wait_for(lambda: timeouts() >= 2, 20), 'two SEND DATA timed out while the client did not read')
        during = rig.resources()
        rig.check(rig.sanitized() or during['rss_kb'] <= base['rss_kb'] + faultlib.RSS_SLACK_KB,
                  f'RSS while the client does not read: {during["rss_kb"]} kB (baseline {base["rss_kb"]})')

        # Now the client reads (the card is still sending): what arrives is whole messages in
        # order, none twice.
        rig.dm.send_signal(signal.SIGUSR1)
        rig.check(wait_for(lambda: rig.runs() >= 1, 40), 'the scenario went on to its end')
        rig.check(wait_for(lambda: rig.connections_closed() >= 1
                           and rig.connections_closed() == len(rig.deliveries()), 15),
                  'the client read every connection to its end')
        results = send_data_results(rig.fx)
        finals = results[6::7]  # the send-immediately of each message
        print('SEND DATA results:', ' '.join(f'{r:02X}' if r is not None else '?' for r in results), flush=True)
        rig.check(len(results) == 7 * MESSAGES, f'{len(results)} SEND DATA answered')
        rig.check(0x20 in finals, 'a send-immediately that could not be written was answered \'20\'')
        rig.check(all(r in (0x00, 0x20) for r in results), 'every other SEND DATA answered \'00\'')
        st = rig.stats()
        rig.check(st.get('errors', {}).get('handler_timeouts', 0) == finals.count(0x20),
                  f'handler time-outs counted: {st.get("errors")}')
        resets = (rig.ctl('channels') or {}).get('send_resets')
        rig.check(resets == finals.count(0x20), f'one connection reset per \'20\' (send_resets {resets})')
        got = rig.deliveries()
        ends = rig.connection_ends()
        print('connections:', [(len(b), e) for b, e in zip(got, ends)], flush=True)
        rig.check(len(got) == finals.count(0x20) + 1 or len(got) == finals.count(0x20),
                  f'a new connection after each reset ({len(got)} connections, {finals.count(0x20)} resets)')
        seen, cut, ok, why = [], [], True, ''
        for n, (stream, end) in enumerate(zip(got, ends), 1):
            pos = 0
            while pos < len(stream):
                chunk = stream[pos:pos + SIZE]
                idx = [i for i in range(MESSAGES) if message(i) == chunk]
                if idx:
                    seen.append(idx[0])
                    pos += SIZE
                    continue
                # Not a whole message: only allowed as the last bytes of a reset connection.
                prefix = [i for i in range(MESSAGES) if message(i).startswith(chunk)]
                if len(chunk) < SIZE and pos + len(chunk) == len(stream) and prefix and end == 'reset':
                    cut.append(prefix[0])
                else:
                    ok, why = False, f'connection {n} ({end}) cut or mixed at byte {pos}'
                break
        rig.check(ok, why or f'each connection is whole messages, a cut one only at the end of a reset: cut {cut}')
        rig.check(seen == sorted(set(seen)), f'in the card\'s order, none twice: {seen}')
        answered_20 = [i for i, r in enumerate(finals) if r == 0x20]
        answered_ok = [i for i, r in enumerate(finals) if r == 0x00]
        rig.check(not set(answered_20) & set(seen), f'no message answered \'20\' arrived whole: {answered_20}')
        rig.check(set(cut) <= set(answered_20), f'only messages answered \'20\' are cut: {cut}')
        rig.check(set(answered_ok) <= set(seen), f'every message answered \'00\' arrived whole: {answered_ok}')
        rig.check_alive()
        rig.check_resources(base)
        rig.check_verdict()
        return rig.result()


if __name__ == '__main__':
    sys.exit(main())
