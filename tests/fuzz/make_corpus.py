#!/usr/bin/env python3
"""Writes the fuzz seed corpus: one file per conformance vector (tests/vectors/*.json), plus
the same objects wrapped as CAT APDU exchanges, into OUTDIR (created, then filled)."""
import json
import pathlib
import sys

vectors = pathlib.Path(sys.argv[1])
out = pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
seen = set()
for name in ('cat_conformance_vectors.json', 'resolved_vectors.json'):
    for v in json.loads((vectors / name).read_text()):
        data = bytes.fromhex(v['hex'])
        if data in seen:
            continue
        seen.add(data)
        n = len(seen)
        (out / f'v{n:04d}').write_bytes(data)
        if v['kind'] == 'proactive_command' and len(data) < 256:
            apdu = bytes([0x80, 0x12, 0, 0, len(data)]) + data + b'\x90\x00'
        elif v['kind'] == 'terminal_response' and len(data) < 256:
            apdu = bytes([0x80, 0x14, 0, 0, len(data)]) + data + b'\x91\x10'
        elif len(data) < 256:
            apdu = bytes([0x80, 0xC2, 0, 0, len(data)]) + data + b'\x90\x00'
        else:
            continue
        (out / f'a{n:04d}').write_bytes(apdu)
# cat::Session scripts for fuzz_session: length-prefixed R-APDUs answering, in turn, the
# TERMINAL PROFILE, a FETCH (MORE TIME, then OPEN CHANNEL), the TERMINAL RESPONSEs, an ENVELOPE.
def rapdus(*hexes):
    out = b''
    for h in hexes:
        b = bytes.fromhex(h)
        out += bytes([len(b)]) + b
    return out
(out / 'session1').write_bytes(rapdus('910B', 'D009810301020082028182' + '9000', '9000', '9300', '9000'))
(out / 'session2').write_bytes(rapdus('9114', 'D012810301400182028182390205783C0305044C9000', '6C14',
                                      '9000', '6102', 'AABB9000', '910B', 'D009810301FF0082028182' + '9000',
                                      '9000'))
# A TERMINAL PROFILE APDU.
(out / 'profile').write_bytes(bytes.fromhex('801000001F' + 'FF' * 31 + '9000'))
# DM Package#0 seeds for fuzz_package0 (docs/package0.md): a DM 1.2 notification, a DM 2.0
# Package#0 with all six options, the same wrapped in connectionless WSP pushes.
dm12 = bytes([0xAB] * 16) + bytes.fromhex('03280000001234' '04') + b'SRV1' + bytes.fromhex('0102')
dm20 = (bytes.fromhex('2300' '1004') + b'dms1' + bytes.fromhex('10020100' '10020102' '1020') + bytes(32) +
        bytes.fromhex('1004655F0000' '1000'))
(out / 'p0-dm12').write_bytes(dm12)
(out / 'p0-dm20').write_bytes(dm20)
(out / 'p0-push-dm20').write_bytes(bytes.fromhex('010603C4AF87') + dm20)
headers = b'application/vnd.syncml.notification\0' + bytes.fromhex('AF87')
(out / 'p0-push-dm12').write_bytes(bytes([0x00, 0x06, len(headers)]) + headers + dm12)
print(f'{len(seen)} vectors written to {out}')
# fuzz_eem: byte 0 picks the transfer size, then an EEM stream (zero-length, sentinel data,
# CRC data for "123456789", echo, tickle, response hint).
(out / 'eem1').write_bytes(bytes.fromhex('07' '0000' '0700010203DEADBEEF' '0D40313233343536373839' '2639F4CB'
                                         '0380AABBCC' '00A8' '2399'))
(out / 'eem2').write_bytes(bytes.fromhex('01' '0200AABB' '00B0' '0540' + '11' * 5))


# fuzz_dhcp: DHCPv4 requests as a USB UICC's client sends them (RFC 2131 fixed fields, the magic
# cookie, RFC 2132 options): DISCOVER, REQUEST (selecting, init-reboot, renewing), DECLINE,
# RELEASE, INFORM, one with option overload (52), and a truncated one.
def dhcp(xid, flags, ciaddr, options, file_field=b'', sname_field=b''):
    mac = bytes.fromhex('02005E102030')
    fixed = (bytes([1, 1, 6, 0]) + xid.to_bytes(4, 'big') + bytes(2) + flags.to_bytes(2, 'big') +
             bytes(ciaddr) + bytes(12) + mac + bytes(10) + sname_field.ljust(64, b'\0') +
             file_field.ljust(128, b'\0'))
    return fixed + bytes.fromhex('63825363') + options


CARD = [192, 168, 212, 2]
SERVER = [192, 168, 212, 1]
cid = bytes([61, 7, 1]) + bytes.fromhex('02005E102030')
dhcp_seeds = {
    'dhcp-discover': dhcp(1, 0x8000, [0] * 4, bytes([53, 1, 1]) + cid + bytes([12, 4]) + b'uicc' +
                          bytes([55, 4, 1, 3, 6, 12, 57, 2, 5, 192, 255])),
    'dhcp-select': dhcp(2, 0, [0] * 4, bytes([53, 1, 3, 50, 4] + CARD + [54, 4] + SERVER) + cid + bytes([255])),
    'dhcp-reboot': dhcp(3, 0, [0] * 4, bytes([53, 1, 3, 50, 4] + CARD + [255])),
    'dhcp-renew': dhcp(4, 0, CARD, bytes([53, 1, 3, 255])),
    'dhcp-decline': dhcp(5, 0, [0] * 4, bytes([53, 1, 4, 50, 4] + CARD + [54, 4] + SERVER + [255])),
    'dhcp-release': dhcp(6, 0, CARD, bytes([53, 1, 7, 54, 4] + SERVER + [255])),
    'dhcp-inform': dhcp(7, 0, CARD, bytes([53, 1, 8, 55, 2, 1, 6, 255])),
    'dhcp-overload': dhcp(8, 0, [0] * 4, bytes([52, 1, 3, 53, 1, 1, 255]), bytes([12, 2]) + b'hi' + bytes([255]),
                          bytes([61, 2, 0, 9, 255])),
    'dhcp-truncated': dhcp(9, 0, [0] * 4, bytes([53, 1, 1, 12, 9]) + b'a'),
}
for name, data in dhcp_seeds.items():
    (out / name).write_bytes(data)
