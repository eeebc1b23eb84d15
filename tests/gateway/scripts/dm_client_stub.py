#!/usr/bin/env python3
"""A stand-in DM Client for launch tests: listens on 127.0.0.1:PORT, accepts one connection,
reads until the gateway closes it, writes what it got to OUT (atomically) and exits 0."""
import os
import socket
import sys


def main() -> int:
    port, out = int(sys.argv[1]), sys.argv[2]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(1)
        s.settimeout(30)
        conn, _ = s.accept()
        data = b""
        with conn:
            conn.settimeout(30)
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
    with open(out + ".tmp", "wb") as f:
        f.write(data)
    os.rename(out + ".tmp", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
