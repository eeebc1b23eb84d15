#!/usr/bin/env python3
"""tests/e2e/fixture.py — runs an end-to-end check against a real pcscd with the vpcd reader,
inside a private mount + network namespace (its own /run/pcscd, /run/dmsc-gateway and loopback,
so port 35963 and the pcscd socket clash with nothing). Stdlib only.

As a program:
    fixture.py [--apdu-log] [--card mini|none] [--timeout S] -- CHECK [ARGS...]
runs CHECK with a pcscd and (unless --card none) the minimal virtual card below. CHECK may
ask the fixture to act by printing a line that starts with '@' and reading one reply line
('ok ...' or 'error ...') on stdin:
    @card remove | @card insert | @card stats | @pcscd kill | @pcscd term | @pcscd start
As a module: `with Fixture() as fx:` gives the same pieces to a Python test (see
test_gateway_pcsc.py), with what the Python tests share: check() / failures / finish() (ok and
FAIL lines, the exit code), wait_for(), read_text(), read_json(), print_tail(), and
Fixture.spawn_simcard() / Fixture.spawn_logged() (dmsc-simcard on vpcd, a process whose output
goes to a file in the fixture's temp dir). Exit 77 (meson: skipped) when not root or when unshare/pcscd/vpcd are
missing. Everything started is stopped by PID, also on failure.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
VPCD_PORT = 35963  # /etc/reader.conf.d/vpcd: the virtual card dials 127.0.0.1:35963
VPCD = f'127.0.0.1:{VPCD_PORT}'  # dmsc-simcard --vpcd
VPCD_CONF = '/etc/reader.conf.d/vpcd'
PCSCD_SOCKET = '/run/pcscd/pcscd.comm'
NS_MARK = 'DMSC_E2E_NAMESPACE'


def log(*args):
    print('[fixture %.3f]' % time.monotonic(), *args, file=sys.stderr, flush=True)


def skip(why):
    print('SKIP:', why, flush=True)
    sys.exit(SKIP)


# ---- what the Python tests share -------------------------------------------------------------

failures = []  # what check() found wrong, in order


def check(ok, what):
    """One 'ok   ' / 'FAIL ' line; a failure is kept in `failures`."""
    print(('ok   ' if ok else 'FAIL ') + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def finish():
    """The last line and the exit code of a test: 0 when every check passed."""
    print('PASSED' if not failures else f'FAILED: {len(failures)}', flush=True)
    return 1 if failures else 0


def wait_for(predicate, timeout, step=0.05):
    """Polls `predicate` until it gives a true value (returned) or `timeout` s pass (then its
    last value)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def read_text(path):
    """A log file's text so far ('' while it does not exist)."""
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except OSError:
        return ''


def read_json(path):
    """A JSON file ({} while it does not exist), e.g. dmsc-simcard's --verdict-file."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def print_tail(title, path, size):
    print(f'--- {title} ---\n' + read_text(path)[-size:], flush=True)


def check_prerequisites():
    if os.geteuid() != 0:
        skip('needs root (unshare -m -n, mounts on /run)')
    for tool in ('unshare', 'pcscd', 'ip', 'mount'):
        if not shutil.which(tool):
            skip(f'{tool} not installed')
    if not os.path.exists(VPCD_CONF):
        skip(f'{VPCD_CONF} missing (apt-get install vsmartcard-vpcd)')
    if subprocess.run(['unshare', '-m', '-n', 'true'], capture_output=True).returncode != 0:
        skip('unshare -m -n is not permitted here')


def enter_namespace():
    """Re-executes this script in a new mount + network namespace (once)."""
    if os.environ.get(NS_MARK) == '1':
        return
    check_prerequisites()
    env = dict(os.environ, **{NS_MARK: '1'})
    # util-linux unshare makes every mount private in the new namespace (--propagation
    # private is its default), so the tmpfs mounts below never reach the host.
    os.execvpe('unshare', ['unshare', '-m', '-n', '--', sys.executable, *sys.argv], env)


def setup_namespace():
    assert os.environ.get(NS_MARK) == '1', 'call enter_namespace() first'
    # meson stops a test that runs too long with SIGTERM: unwind so `with Fixture()` stops
    # everything it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    subprocess.run(['mount', '--make-rprivate', '/'], check=True)
    for d in ('/run/pcscd', '/run/dmsc-gateway'):
        os.makedirs(d, exist_ok=True)
        subprocess.run(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', d], check=True)
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)


def _die_with_parent():
    """preexec_fn: the child gets SIGKILL if the fixture dies (even by SIGKILL), so a killed
    test never leaves a pcscd or daemon behind (prctl PR_SET_PDEATHSIG = 1)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except OSError:
        pass


def tck(body):
    x = 0
    for b in body[1:]:
        x ^= b
    return x


# A UICC-like ATR: T=0 offered, then T=15 global bytes (TS 102 221 clause 6.3), so a TCK
# follows (ISO 7816-3: TCK present when any protocol other than T=0 is indicated).
MINI_ATR = bytes.fromhex('3B9F96801FC78031E073FE211B633A204E83009000')
MINI_ATR += bytes([tck(MINI_ATR)])


class MiniCard:
    """A virtual card for vpcd: TCP client, frames of a 2-byte big-endian length + payload.
    One-byte payloads are control (0 off, 1 on, 2 reset, 4 get ATR -> reply the ATR);
    longer ones are C-APDUs answered with an R-APDU. Answers TERMINAL PROFILE (INS 10) and
    everything else with 90 00; CLA 80 INS EE echoes its data (to test data both ways)."""

    def __init__(self, port=VPCD_PORT, atr=MINI_ATR):
        self.port = port
        self.atr = atr
        self.lock = threading.Lock()
        self.inserted = False
        self.sock = None
        self.thread = None
        self.stats = {'apdus': 0, 'profiles': 0, 'resets': 0, 'power_on': 0, 'power_off': 0,
                      'connects': 0, 'last_profile': ''}

    def answer(self, apdu):
        self.stats['apdus'] += 1
        ins = apdu[1] if len(apdu) > 1 else 0
        if ins == 0x10:
            self.stats['profiles'] += 1
            self.stats['last_profile'] = apdu[5:].hex().upper()
            return b'\x90\x00'
        if apdu[0] == 0x80 and ins == 0xEE and len(apdu) > 5:
            return apdu[5:5 + apdu[4]] + b'\x90\x00'
        return b'\x90\x00'

    def insert(self):
        with self.lock:
            if self.inserted:
                return
            self.inserted = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def remove(self):
        with self.lock:
            self.inserted = False
            s = self.sock
        if s:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self.thread:
            self.thread.join(5)
            self.thread = None

    def _recv_exact(self, s, n):
        buf = b''
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
            # Linux turns QUICKACK off again after a while: re-arm it after every read, or
            # each APDU waits ~40 ms for a delayed ACK (ARCHITECTURE.md, harness notes).
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return buf

    def _serve(self, s):
        while True:
            head = self._recv_exact(s, 2)
            if head is None:
                return
            (n,) = struct.unpack('>H', head)
            payload = self._recv_exact(s, n)
            if payload is None:
                return
            if n == 1:
                op = payload[0]
                if op == 4:
                    s.sendall(struct.pack('>H', len(self.atr)) + self.atr)
                elif op == 0:
                    self.stats['power_off'] += 1
                elif op == 1:
                    self.stats['power_on'] += 1
                elif op == 2:
                    self.stats['resets'] += 1
                continue
            reply = self.answer(payload)
            s.sendall(struct.pack('>H', len(reply)) + reply)

    def _run(self):
        # Stays "in the reader" while inserted: when pcscd (and so vpcd) goes away, dial again.
        while True:
            with self.lock:
                if not self.inserted:
                    return
            try:
                s = socket.create_connection(('127.0.0.1', self.port), timeout=1)
            except OSError:
                time.sleep(0.05)
                continue
            s.settimeout(None)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            with self.lock:
                if not self.inserted:
                    s.close()
                    return
                self.sock = s
            self.stats['connects'] += 1
            try:
                self._serve(s)
            except OSError:
                pass
            finally:
                with self.lock:
                    self.sock = None
                s.close()
            time.sleep(0.05)


class Fixture:
    """pcscd (and helpers) inside the namespace; stops everything it started on exit."""

    def __init__(self, apdu_log=False):
        self.apdu_log = apdu_log
        self.tmp = tempfile.mkdtemp(prefix='dmsc-e2e-')
        self.confdir = os.path.join(self.tmp, 'reader.conf.d')
        os.makedirs(self.confdir)
        shutil.copy(VPCD_CONF, self.confdir)  # -c DIR reads every file in DIR: only vpcd
        self.pcscd_log = os.path.join(self.tmp, 'pcscd.log')
        self.pcscd = None
        self.procs = []
        self.card = None

    def __enter__(self):
        setup_namespace()
        return self

    def __exit__(self, *exc):
        self.close(failed=exc[0] is not None)
        return False

    def start_pcscd(self, timeout=10.0):
        args = ['pcscd', '-f', '-c', self.confdir]
        if self.apdu_log:
            args += ['-a', '-d']
        elif os.environ.get('DMSC_TEST_PCSCD_DEBUG') == '1':  # docs/CONTRIBUTING.md
            args += ['-d']
        out = open(self.pcscd_log, 'ab')
        self.pcscd = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        out.close()
        deadline = time.monotonic() + timeout
        while not os.path.exists(PCSCD_SOCKET):
            if self.pcscd.poll() is not None:
                raise RuntimeError(f'pcscd exited with {self.pcscd.returncode}; see {self.pcscd_log}')
            if time.monotonic() > deadline:
                raise RuntimeError('pcscd did not create ' + PCSCD_SOCKET)
            time.sleep(0.01)
        log('pcscd up, pid', self.pcscd.pid)

    def stop_pcscd(self, sig=signal.SIGTERM):
        p, self.pcscd = self.pcscd, None
        if not p:
            return
        p.send_signal(sig)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        if sig == signal.SIGKILL:  # a crashed pcscd leaves its socket and pid file behind
            for f in ('/run/pcscd/pcscd.comm', '/run/pcscd/pcscd.pid'):
                try:
                    os.unlink(f)
                except FileNotFoundError:
                    pass
        log('pcscd stopped with', signal.Signals(sig).name)

    def apdu_exchanges(self):
        """(command, response) byte pairs from pcscd's log (needs apdu_log=True): pcscd -a
        writes 'APDU: 80 10 ...' for each command and 'SW: ... 90 00' for its response."""
        out, command = [], None
        try:
            with open(self.pcscd_log, errors='replace') as f:
                for line in f:
                    for tag in ('APDU: ', 'SW: '):
                        at = line.find(tag)
                        if at < 0:
                            continue
                        data = bytes.fromhex(line[at + len(tag):].strip())
                        if tag == 'APDU: ':
                            command = data
                        elif command is not None:
                            out.append((command, data))
                            command = None
        except FileNotFoundError:
            pass
        return out

    def start_mini_card(self, card_class=None):
        """A MiniCard (or a subclass of it, to play a card's misbehaviour) in the reader."""
        self.card = (card_class or MiniCard)()
        self.card.insert()
        return self.card

    def spawn(self, args, **kw):
        p = subprocess.Popen(args, preexec_fn=_die_with_parent, **kw)
        self.procs.append(p)
        return p

    def path(self, name):
        return os.path.join(self.tmp, name)

    def spawn_logged(self, args, log_name):
        """spawn() with stdout and stderr in the file `log_name` of the temp dir."""
        with open(self.path(log_name), 'w') as out:
            return self.spawn(args, stdout=out, stderr=subprocess.STDOUT)

    def spawn_simcard(self, simcard, scenario, log_name='simcard.log', verdict_name='verdict.json'):
        """dmsc-simcard playing `scenario` on vpcd; its log in `log_name`, its verdict written to
        `verdict_name` when it ends (SIGTERM)."""
        return self.spawn_logged([simcard, '--vpcd', VPCD, '--scenario', scenario,
                                  '--verdict-file', self.path(verdict_name)], log_name)

    def close(self, failed=False):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if self.card:
            self.card.remove()
        self.stop_pcscd()
        if failed and os.path.exists(self.pcscd_log):
            with open(self.pcscd_log, 'rb') as f:
                tail = f.read()[-4000:].decode(errors='replace')
            log('pcscd log tail:\n' + tail)
        if os.environ.get('DMSC_TEST_KEEP') == '1':  # docs/CONTRIBUTING.md
            log('kept', self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def handle(self, request):
        """One '@' request from a check program -> reply line."""
        words = request.split()
        if words == ['card', 'remove']:
            self.card.remove()
        elif words == ['card', 'insert']:
            self.card.insert()
        elif words == ['card', 'stats']:
            return 'ok ' + json.dumps(self.card.stats)
        elif words == ['pcscd', 'kill']:
            self.stop_pcscd(signal.SIGKILL)
        elif words == ['pcscd', 'term']:
            self.stop_pcscd(signal.SIGTERM)
        elif words == ['pcscd', 'start']:
            self.start_pcscd()
        else:
            return 'error unknown request: ' + request
        return 'ok'


def run_check(fx, cmd, timeout):
    p = fx.spawn(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    timer = threading.Timer(timeout, lambda: (log(f'timeout after {timeout}s'), p.kill()))
    timer.start()
    try:
        for line in p.stdout:
            line = line.rstrip('\n')
            if line.startswith('@'):
                try:
                    reply = fx.handle(line[1:])
                except Exception as e:  # noqa: BLE001 — reported to the check, which fails
                    reply = f'error {e}'
                log(line, '->', reply)
                p.stdin.write(reply + '\n')
                p.stdin.flush()
            else:
                print(line, flush=True)
        return p.wait()
    finally:
        timer.cancel()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--apdu-log', action='store_true', help='pcscd -a -d (APDUs in its log)')
    ap.add_argument('--card', choices=('mini', 'none'), default='mini')
    ap.add_argument('--timeout', type=float, default=120)
    ap.add_argument('cmd', nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ['--'] else args.cmd
    if not cmd:
        ap.error('no check program given')
    enter_namespace()
    with Fixture(apdu_log=args.apdu_log) as fx:
        fx.start_pcscd()
        if args.card == 'mini':
            fx.start_mini_card()
        rc = run_check(fx, cmd, args.timeout)
        if rc != 0:
            fx.close(failed=True)
        return rc


if __name__ == '__main__':
    sys.exit(main())
