"""tests/ops/opslib.py — shared helpers of the ops suite (install layout, packaging, privilege
drop, systemd notify): result lines, waiting, talking to the debug socket as another uid,
running a daemon that is always stopped. Stdlib only."""
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time

SKIP = 77
failures = []


def check(ok, what):
    print(('ok   ' if ok else 'FAIL ') + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def skip(why):
    print('SKIP:', why, flush=True)
    sys.exit(SKIP)


def finish():
    if failures:
        print(f'{len(failures)} check(s) failed:', *failures, sep='\n  ', flush=True)
        sys.exit(1)
    print('all checks passed', flush=True)
    sys.exit(0)


def wait_for(predicate, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def read(path):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except FileNotFoundError:
        return ''


def request(path, req, timeout=5.0):
    """One request line → the reply parsed, or {'_errno': name} when connect fails."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
    except OSError as e:
        s.close()
        return {'_errno': errno.errorcode.get(e.errno, str(e.errno))}
    with s:
        try:
            s.sendall((req if isinstance(req, str) else json.dumps(req)).encode() + b'\n')
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused peers are closed at once; the refusal line is queued for us
        buf = b''
        while b'\n' not in buf:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            buf += chunk
    line = buf.split(b'\n', 1)[0]
    return json.loads(line) if line else {'_eof': True}


def request_as(path, req, uid, gid, groups):
    """request() from a forked child running as uid/gid/groups (needs root)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setgroups(groups)
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            out = json.dumps(request(path, req)).encode()
        except BaseException as e:  # noqa: BLE001 - report anything to the parent
            out = json.dumps({'_exception': repr(e)}).encode()
        os.write(w, out)
        os._exit(0)
    os.close(w)
    data = b''
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(data)


def proc_status(pid):
    """/proc/PID/status as {key: value string}."""
    out = {}
    for line in read(f'/proc/{pid}/status').splitlines():
        k, _, v = line.partition(':')
        out[k] = v.strip()
    return out


class Daemon:
    """dmsc-gatewayd in the background, output in LOG; always stopped (SIGTERM, then KILL)."""

    def __init__(self, gatewayd, config, log, env=None, preexec_fn=None, args=()):
        self.log = log
        self.out = open(log, 'w')
        self.proc = subprocess.Popen([gatewayd, '-c', config, *args], stdout=self.out, stderr=subprocess.STDOUT,
                                     env=env, preexec_fn=preexec_fn)

    def text(self):
        return read(self.log)

    def wait_log(self, needle, timeout=15):
        return bool(wait_for(lambda: needle in self.text() or self.proc.poll() is not None, timeout)) and \
            needle in self.text()

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
