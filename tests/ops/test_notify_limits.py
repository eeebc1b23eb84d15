#!/usr/bin/env python3
"""tests/ops/test_notify_limits.py — the real dmsc-gatewayd (simulated card):
  1. Type=notify: with NOTIFY_SOCKET set (a path, then an @abstract name) it sends READY=1
     with a STATUS once it is up — at that moment the debug socket already answers — a
     STATUS when the card is ready, and STOPPING=1 on SIGTERM; without NOTIFY_SOCKET it runs
     as before;
  2. the debug socket caps come from the configuration: with debug.max_clients = 2 a third
     client gets a JSON "too many clients" error and is closed; with debug.max_line_bytes =
     1024 a longer request gets a JSON error and is closed, a shorter one is answered; a
     deeply nested request is refused, not crashed on.
usage: test_notify_limits.py DMSC_GATEWAYD
"""
import os
import shutil
import signal
import socket
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opslib import Daemon, check, finish, request, wait_for  # noqa: E402


def config(tmp, name, debug_extra=''):
    path = os.path.join(tmp, name + '.toml')
    sock = os.path.join(tmp, name + '.sock')
    with open(path, 'w') as f:
        f.write(f'[card]\nlink = "sim"\n[debug]\nsocket = "{sock}"\n{debug_extra}\n')
    return path, sock


def notify_run(gatewayd, tmp, address, label):
    path, sock = config(tmp, 'notify-' + label)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind('\0' + address[1:] if address.startswith('@') else address)
    listener.settimeout(15)
    env = dict(os.environ, NOTIFY_SOCKET=address)
    with listener, Daemon(gatewayd, path, os.path.join(tmp, label + '.log'), env=env) as d:
        messages = []

        def receive():
            data = listener.recv(4096).decode()
            messages.append(data)
            return data
        first = receive()
        # The debug socket must answer as soon as READY=1 has been sent.
        ready_answer = request(sock, {'cmd': 'status'})
        check(first.split('\n')[0] == 'READY=1', f'{label}: first message is READY=1: {first!r}')
        check('STATUS=' in first, f'{label}: READY carries a STATUS')
        check(ready_answer.get('ok') is True, f'{label}: the debug socket answers when READY=1 arrives')
        def until(needle):
            while not any(needle in m for m in messages):
                try:
                    receive()
                except OSError:  # timeout
                    return False
            return True
        check(until('STATUS=card present'), f'{label}: STATUS=card present when the simulated card is ready')
        d.proc.send_signal(signal.SIGTERM)
        check(until('STOPPING=1'), f'{label}: STOPPING=1 on SIGTERM')
        check(d.proc.wait(15) == 0, f'{label}: exit 0')
        print('  messages:', messages)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    gatewayd = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix='dmsc-notify-')
    try:
        notify_run(gatewayd, tmp, os.path.join(tmp, 'notify.sock'), 'path')
        notify_run(gatewayd, tmp, f'@dmsc-test-notify-{os.getpid()}', 'abstract')

        # Not under systemd: no NOTIFY_SOCKET, nothing changes, no warning.
        path, sock = config(tmp, 'plain')
        env = {k: v for k, v in os.environ.items() if k != 'NOTIFY_SOCKET'}
        with Daemon(gatewayd, path, os.path.join(tmp, 'plain.log'), env=env) as d:
            check(d.wait_log('card ready'), 'without NOTIFY_SOCKET the daemon runs')
            check(request(sock, {'cmd': 'status'}).get('ok') is True, 'and answers')
            check('sd_notify' not in d.text(), 'and says nothing about sd_notify')

        # Caps from the configuration.
        path, sock = config(tmp, 'caps', 'max_clients = 2\nmax_line_bytes = 1024')
        with Daemon(gatewayd, path, os.path.join(tmp, 'caps.log')) as d:
            check(wait_for(lambda: os.path.exists(sock), 10), 'caps: socket up')
            held = []
            for _ in range(2):
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                c.settimeout(5)
                c.connect(sock)
                c.sendall(b'{"cmd":"status"}\n')
                check(b'"ok":true' in c.recv(65536), 'caps: client within max_clients answered')
                held.append(c)
            third = request(sock, {'cmd': 'status'})
            check(third.get('ok') is False and 'too many clients (2 connected)' in third.get('error', ''),
                  f'caps: third client refused with a JSON error: {third}')
            for c in held:
                c.close()
            check(bool(wait_for(lambda: request(sock, {'cmd': 'status'}).get('ok') is True, 5)),
                  'caps: a slot frees when a client leaves')

            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(5)
            c.connect(sock)
            try:
                c.sendall(b'{"cmd":"status","pad":"' + b'x' * 2000 + b'"}\n')
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may close after the first 1024 bytes; its reply is queued for us
            data = b''
            while True:
                try:
                    chunk = c.recv(65536)
                except ConnectionResetError:  # closed with our unread bytes still queued
                    break
                if not chunk:
                    break
                data += chunk
            c.close()
            check(b'request line longer than 1024 bytes' in data and b'"ok":false' in data,
                  f'caps: an over-long line gets a JSON error: {data[:100]!r}')
            check(data.endswith(b'\n') and data.count(b'\n') == 1, 'caps: ... and the connection is closed')
            short = request(sock, '{"cmd":"status","pad":"' + 'x' * 900 + '"}')
            check(short.get('ok') is True, 'caps: a line under the cap is answered')
            nested = request(sock, '{"cmd":"status","id":' + '[' * 500 + ']' * 500 + '}')
            check(nested.get('ok') is False and 'nested deeper' in nested.get('error', ''),
                  f'caps: a deeply nested request is refused: {str(nested)[:100]}')
            huge = request(sock, '{"cmd":"status","x":1e400}')
            check(huge.get('ok') is False and 'number overflow' in huge.get('error', ''),
                  f'a number beyond a double is an error reply, not a crash: {str(huge)[:100]}')
            check(request(sock, {'cmd': 'status'}).get('ok') is True, 'caps: the daemon is still up')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == '__main__':
    sys.exit(main())
