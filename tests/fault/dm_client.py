#!/usr/bin/env python3
"""tests/fault/dm_client.py — a stand-in DM Client run as its own process, so a fault test can
kill it (SIGKILL) like a crashing application. Listens on 127.0.0.1:PORT; every accepted
connection's bytes go to OUTDIR/conn-N.bin (N from 1, or after the files already there; flushed as they arrive) and
OUTDIR/conn-N.done is created when the peer closes, holding how: "eof" (a clean close) or
"reset" (the read failed: ECONNRESET after the gateway reset the connection). Stdlib only.

usage: dm_client.py PORT OUTDIR [--no-read] [--rcvbuf BYTES] [--reply-after N HEX]
  --no-read            accept but never read (back-pressure), until SIGUSR1 says "read now"
  --rcvbuf N           SO_RCVBUF of the listening socket (inherited by accepted ones)
  --reply-after N HEX  once a connection has received N bytes, send HEX back on it (once)
Prints 'listening' on stdout once the socket listens.
"""
import argparse
import os
import signal
import socket
import sys
import threading

start_reading = threading.Event()


def serve(conn, path, reply_after, reply):
    got = 0
    how = 'eof'
    with conn, open(path + '.bin', 'wb') as out:
        start_reading.wait()
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                how = 'reset'
                break
            if not chunk:
                break
            out.write(chunk)
            out.flush()
            if reply and got < reply_after <= got + len(chunk):
                conn.sendall(reply)
            got += len(chunk)
    with open(path + '.done', 'w') as f:
        f.write(how)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('port', type=int)
    ap.add_argument('outdir')
    ap.add_argument('--no-read', action='store_true')
    ap.add_argument('--rcvbuf', type=int, default=0)
    ap.add_argument('--reply-after', nargs=2, metavar=('N', 'HEX'))
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    if not args.no_read:
        start_reading.set()
    signal.signal(signal.SIGUSR1, lambda *_: start_reading.set())
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.rcvbuf:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
    srv.bind(('127.0.0.1', args.port))
    srv.listen(64)
    print('listening', flush=True)
    # A restarted client continues the numbering of the one before it (same OUTDIR).
    n = len([f for f in os.listdir(args.outdir) if f.endswith('.bin')])
    while True:
        conn, _ = srv.accept()
        n += 1
        reply_after = int(args.reply_after[0]) if args.reply_after else 0
        reply = bytes.fromhex(args.reply_after[1]) if args.reply_after else b''
        threading.Thread(target=serve, args=(conn, os.path.join(args.outdir, f'conn-{n}'), reply_after, reply),
                         daemon=True).start()


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
