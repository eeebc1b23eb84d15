#!/usr/bin/env python3
"""tests/ctl/test_package0_digest.py — the Package#0 digest check, against digests computed
here with Python's hashlib/base64 (a computation independent of the gateway's OpenSSL code):
`dmsc-ctl --json decode --as package0 --config FILE HEX` must say ok for a notification signed
with the configured secret, bad for a wrong secret / nonce / auth-data or one flipped byte,
unchecked without a [[dm_server]] entry, also inside a WSP push.
Usage: test_package0_digest.py DMSC_CTL"""
import base64
import hashlib
import json
import pathlib
import subprocess
import sys
import tempfile

ctl = sys.argv[1]
failures = []


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        failures.append(what)


def dm12(server_id: str, password: str, nonce: bytes, session_id=1, ui_mode=0, vendor=b''):
    version = 12
    header = ((version << 30) | (ui_mode << 28) | (1 << 27)).to_bytes(5, 'big')
    trigger = header + session_id.to_bytes(2, 'big') + bytes([len(server_id)]) + server_id.encode() + vendor
    # OMA DM Notification 1.2: H(B64(H(server-identifier:password)):nonce:B64(H(trigger))), H = MD5.
    cred = base64.b64encode(hashlib.md5(f'{server_id}:{password}'.encode()).digest())
    trig = base64.b64encode(hashlib.md5(trigger).digest())
    digest = hashlib.md5(cred + b':' + nonce + b':' + trig).digest()
    return digest + trigger


def option(delta: int, value: bytes) -> bytes:
    return bytes([(delta << 4) | (len(value) >> 8), len(value) & 0xFF]) + value


def dm20(server_id: str, secret: bytes, auth_data: bytes, notification_id=7):
    # Seed 004 7.1.1: VER 2, OC 3; SERVER-ID (1), NOTIFICATION-ID (3), SHA256-DIGEST (4).
    def build(digest):
        return (bytes([0x21, 0x80]) + option(1, server_id.encode()) + option(2, notification_id.to_bytes(2, 'big'))
                + option(1, digest))
    zero = build(bytes(32))
    # 5.2.1.2: Digest = Hash(server-secret | notification-message | auth-data), zero digest inside.
    return build(hashlib.sha256(secret + zero + auth_data).digest())


def decode(data: bytes, config: pathlib.Path):
    p = subprocess.run([ctl, '--json', 'decode', '--as', 'package0', '--config', str(config), data.hex()],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, json.loads(p.stdout)


with tempfile.TemporaryDirectory() as tmp:
    cfg = pathlib.Path(tmp) / 'gateway.toml'
    cfg.write_text('''
[card]
link = "sim"

[[dm_server]]
id = "DMSC-Server"
secret = "dm12 password"
nonce = "server-nonce"

[[dm_server]]
id = "dms20"
secret = "dm20 secret"
auth_data = "auth"

[[dm_server]]
id = "zero-nonce"
secret = "pw"
nonce_hex = "00000000"
''')
    good12 = dm12('DMSC-Server', 'dm12 password', b'server-nonce', session_id=0x4242, ui_mode=3, vendor=b'\x01\x02')
    rc, j = decode(good12, cfg)
    check(rc == 0 and j['digest'] == 'ok', f'DM 1.2 signed with the configured password: {j}')
    check(j.get('session_id') == 0x4242 and j.get('ui_mode') == 3 and j.get('server_id') == 'DMSC-Server',
          'DM 1.2 fields reported')
    rc, j = decode(dm12('DMSC-Server', 'other', b'server-nonce'), cfg)
    check(rc == 1 and j['digest'] == 'bad', 'DM 1.2 wrong password: bad, exit 1')
    rc, j = decode(dm12('DMSC-Server', 'dm12 password', b'old-nonce'), cfg)
    check(rc == 1 and j['digest'] == 'bad', 'DM 1.2 wrong nonce: bad')
    flipped = bytearray(good12)
    flipped[-1] ^= 0x80
    rc, j = decode(bytes(flipped), cfg)
    check(rc == 1 and j['digest'] == 'bad', 'DM 1.2 one vendor bit flipped: bad')
    rc, j = decode(dm12('zero-nonce', 'pw', b'\0\0\0\0'), cfg)
    check(rc == 0 and j['digest'] == 'ok', 'DM 1.2 with a binary nonce (nonce_hex)')
    rc, j = decode(dm12('unknown', 'pw', b''), cfg)
    check(rc == 0 and j['digest'] == 'unchecked', 'DM 1.2 of an unconfigured server: unchecked')

    good20 = dm20('dms20', b'dm20 secret', b'auth', notification_id=513)
    rc, j = decode(good20, cfg)
    check(rc == 0 and j['digest'] == 'ok' and j.get('notification_id') == 513, f'DM 2.0 signed: {j}')
    rc, j = decode(dm20('dms20', b'dm20 secret', b''), cfg)
    check(rc == 1 and j['digest'] == 'bad', 'DM 2.0 without the auth-data: bad')
    rc, j = decode(dm20('dms20', b'wrong', b'auth'), cfg)
    check(rc == 1 and j['digest'] == 'bad', 'DM 2.0 wrong secret: bad')
    # Seed 004 E.1: connectionless WSP push, content type 0x58, application id 0x07.
    push = bytes([0x01, 0x06, 0x03, 0xD8, 0xAF, 0x87]) + good20
    rc, j = decode(push, cfg)
    check(rc == 0 and j['digest'] == 'ok' and j['wsp_push'] is True, 'DM 2.0 in a WSP push: unwrapped, ok')
    rc, j = decode(b'\x05\x06', cfg)
    check(rc == 1 and j['ok'] is False and 'offset' in j['error'], 'two junk bytes: not a Package#0')

if failures:
    print(f'{len(failures)} failed')
    sys.exit(1)
print('all Package#0 digest checks agree with hashlib')
