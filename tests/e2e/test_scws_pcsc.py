#!/usr/bin/env python3
"""tests/e2e/test_scws_pcsc.py — the simulated card's SCWS through the whole real stack:
dmsc-gatewayd (card.link = "pcsc") ↔ pcscd ↔ vpcd ↔ dmsc-simcard (scenario scws.toml), inside
fixture.py's private namespace (its own loopback, so 3516 / 4116 clash with nothing).
  1. the card opens its SCWS ports (UICC server mode) and the gateway listens on them;
  2. `openssl s_client -psk ... -psk_identity ...` (TLS 1.3, then TLS 1.2 PSK-AES128-GCM-SHA256)
     GETs / on 127.0.0.1:4116: TLS ends inside the card, the page names the PSK identity;
  3. a 1 MiB POST /echo over HTTPS (s_client) and over plain HTTP comes back byte for byte;
  4. the card's verdict passes.
usage: test_scws_pcsc.py DMSC_GATEWAYD DMSC_SIMCARD SCENARIO
Exit 77 (skipped) without root/unshare/pcscd/vpcd/openssl.
"""
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture  # noqa: E402
from fixture import check, failures, wait_for  # noqa: E402

PSK_KEY = '0123456789abcdef0123456789abcdef'  # scws.toml's psk_key
PSK_IDENTITY = 'DMSC-DM-Client'
HTTP_PORT, HTTPS_PORT = 3516, 4116


def s_client(request, extra=(), timeout=120):
    """One request through `openssl s_client -psk` (the documented command); returns stdout."""
    cmd = ['openssl', 's_client', '-connect', f'127.0.0.1:{HTTPS_PORT}', '-psk', PSK_KEY,
           '-psk_identity', PSK_IDENTITY, '-quiet', '-ign_eof', *extra]
    p = subprocess.run(cmd, input=request, capture_output=True, timeout=timeout)
    return p.stdout, p.stderr


def split_response(raw):
    head, _, body = raw.partition(b'\r\n\r\n')
    return head.decode('latin-1'), body


def http_exchange(request, timeout=120):
    with socket.create_connection(('127.0.0.1', HTTP_PORT), timeout=timeout) as s:
        s.sendall(request)
        data = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def post(path, body):
    return (f'POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n'
            f'Content-Length: {len(body)}\r\nConnection: close\r\n\r\n').encode() + body


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    gatewayd, simcard, scenario = sys.argv[1:4]
    fixture.enter_namespace()
    if not shutil.which('openssl'):
        fixture.skip('openssl not installed')

    with fixture.Fixture() as fx:
        fx.start_pcscd()
        config = os.path.join(fx.tmp, 'gateway.toml')
        with open(config, 'w') as f:
            f.write('[card]\nlink = "pcsc"\nreader = "Virtual PCD"\n\n[bip]\nlisten = "127.0.0.1"\n\n'
                    '[debug]\nsocket = ""\n')
        def card_log():
            return fixture.read_text(fx.path('simcard.log'))

        card = fx.spawn_simcard(simcard, scenario)
        gw = fx.spawn_logged([gatewayd, '-c', config, '--log-level', 'info'], 'gateway.log')
        try:
            # 1. The SCWS channels are open: the card logged them, the gateway listens.
            opened = wait_for(lambda: card_log().count('SCWS: listening on') >= 3, 20)
            check(bool(opened), 'the card opened its SCWS channels (1 HTTP + 2 HTTPS)')

            # 2. HTTPS GET / with the documented s_client command: TLS 1.3, then TLS 1.2.
            get = b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
            for name, extra in (('TLS 1.3', ()), ('TLS 1.2 PSK-AES128-GCM-SHA256',
                                                  ('-tls1_2', '-cipher', 'PSK-AES128-GCM-SHA256'))):
                out, err = s_client(get, extra)
                head, body = split_response(out)
                check(head.startswith('HTTP/1.1 200 OK'), f'{name}: s_client GET / answered 200 '
                      f'({head.splitlines()[0] if head else err.decode(errors="replace")[-300:]})')
                check(f'HTTPS (PSK-TLS, identity "{PSK_IDENTITY}")'.encode() in body,
                      f'{name}: the page was made inside the card, after its own TLS handshake')
            check(card_log().count('TLS handshake done') >= 2, 'the card logged both TLS handshakes')

            # 3. 1 MiB both ways, HTTPS then HTTP.
            body = os.urandom(1 << 20)
            t = time.monotonic()
            out, err = s_client(post('/echo', body), timeout=600)
            head, echoed = split_response(out)
            check(head.startswith('HTTP/1.1 200 OK') and echoed == body,
                  f'1 MiB POST /echo over HTTPS: {len(echoed)} bytes back, sha256 '
                  f'{"equal" if echoed == body else "DIFFERENT"} ({time.monotonic() - t:.1f} s)')
            t = time.monotonic()
            raw = http_exchange(post('/echo', body), timeout=600)
            head, echoed = split_response(raw)
            check(head.startswith('HTTP/1.1 200 OK') and hashlib.sha256(echoed).digest() ==
                  hashlib.sha256(body).digest(),
                  f'1 MiB POST /echo over HTTP: {len(echoed)} bytes back ({time.monotonic() - t:.1f} s)')
            check(gw.poll() is None, 'dmsc-gatewayd still running')

            # 4. The card's verdict (SIGTERM writes it).
            card.terminate()
            card.wait(10)
            check(card.returncode == 0, f'dmsc-simcard verdict passed (exit {card.returncode})')
        finally:
            if failures:
                fixture.print_tail('dmsc-simcard', fx.path('simcard.log'), 4000)
                fixture.print_tail('dmsc-gatewayd', fx.path('gateway.log'), 4000)
            fx.close(failed=bool(failures))
    return fixture.finish()


if __name__ == '__main__':
    sys.exit(main())
