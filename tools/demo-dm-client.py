#!/usr/bin/env python3
"""tools/demo-dm-client.py — a stand-in DM Client for the demo (python3 stdlib only).

Listens on 127.0.0.1:PORT (default 1100, the port it is registered with on the card), accepts
one connection from dmsc-gatewayd (Terminal Server Mode: the gateway connects to the DM
Client), reads until the gateway closes it, then prints the DM Package#0 in hex and its decoded
fields (OMA DM 1.2 General Notification Initiated Session Alert: digest, trigger header,
server identifier). Exit 0 when a Package#0 arrived, 1 otherwise (time-out, nothing received).
"""
import argparse
import socket
import sys


def decode_package0(data: bytes) -> list[str]:
    """The fields of a DM 1.2 notification (digest 16 bytes, then the trigger header)."""
    if len(data) < 16 + 8:
        return [f'too short for a DM 1.2 Package#0 ({len(data)} bytes)']
    digest, header = data[:16], data[16:]
    bits = int.from_bytes(header[:5], 'big')  # version 10, ui-mode 2, initiator 1, future 27
    version = bits >> 30
    ui_mode = (bits >> 28) & 0x3
    initiator = (bits >> 27) & 0x1
    session_id = int.from_bytes(header[5:7], 'big')
    id_len = header[7]
    server_id = header[8:8 + id_len]
    vendor = header[8 + id_len:]
    ui_names = {0: 'not specified', 1: 'background', 2: 'informative', 3: 'user interaction'}
    return [
        f'digest        {digest.hex().upper()}',
        f'version       {version} ({version // 10}.{version % 10})',
        f'ui-mode       {ui_mode} ({ui_names[ui_mode]})',
        f'initiator     {initiator} ({"server" if initiator else "user"})',
        f'session id    {session_id}',
        f'server id     {server_id.decode("utf-8", "replace")!r} ({id_len} bytes)',
        f'vendor data   {vendor.hex().upper() or "(none)"}',
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=1100)
    ap.add_argument('--timeout', type=float, default=20.0, help='seconds to wait for the gateway')
    args = ap.parse_args()

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((args.host, args.port))
        server.listen(1)
        server.settimeout(args.timeout)
        print(f'dm-client: listening on {args.host}:{args.port}', flush=True)
        try:
            conn, peer = server.accept()
        except socket.timeout:
            print('dm-client: nobody connected', file=sys.stderr)
            return 1
        data = b''
        with conn:
            conn.settimeout(args.timeout)
            print(f'dm-client: connection from {peer[0]}:{peer[1]}', flush=True)
            try:
                while chunk := conn.recv(4096):
                    data += chunk
            except socket.timeout:
                pass
    if not data:
        print('dm-client: the connection closed without data', file=sys.stderr)
        return 1
    print(f'dm-client: Package#0, {len(data)} bytes: {data.hex().upper()}')
    for line in decode_package0(data):
        print(f'  {line}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
