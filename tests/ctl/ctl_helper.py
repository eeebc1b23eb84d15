"""tests/ctl/ctl_helper.py — what the dmsc-ctl tests share: check() / failures / finish() (ok and
FAIL lines, the exit code), wait_for(), free_port(), and SimGateway: dmsc-gatewayd with the
simulated card playing a scenario text, its debug socket and log in a temp dir, dmsc-ctl run
against that socket, the daemon's log shown when a check failed. No root, no pcscd. Stdlib only.
"""
import json
import os
import socket
import subprocess
import tempfile
import time

failures = []  # what check() found wrong, in order


def check(cond, what):
    """One 'ok   ' / 'FAIL ' line; a failure is kept in `failures`. Returns `cond`."""
    print(('ok   ' if cond else 'FAIL ') + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def finish():
    """The last line and the exit code of a test: 0 when every check passed."""
    print('PASSED' if not failures else f'FAILED: {len(failures)}: {failures}', flush=True)
    return 1 if failures else 0


def wait_for(predicate, timeout=10.0, step=0.05):
    """Polls `predicate` until it gives a true value (returned) or `timeout` s pass (then its
    last value)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def free_port():
    """A free loopback TCP port (bound and released at once)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class SimGateway:
    """`with SimGateway(...) as gw:` runs dmsc-gatewayd -c CONF with

        [card]
        link = "sim"
        scenario = "<the scenario text, written to a file>"
        <card>
        [debug]
        socket = "<temp dir>/ctl.sock"
        <extra>

    and stops it (SIGTERM) on leaving; its output is printed then if a check failed."""

    def __init__(self, gatewayd, ctl, scenario, card='', extra='', prefix='dmsc-ctl-'):
        self.gatewayd, self.ctl = gatewayd, ctl
        self.scenario_text, self.card, self.extra, self.prefix = scenario, card, extra, prefix

    def __enter__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix=self.prefix)
        self.tmp = self._tmp.name
        self.sock = os.path.join(self.tmp, 'ctl.sock')
        scenario = os.path.join(self.tmp, 'scenario.toml')
        with open(scenario, 'w') as f:
            f.write(self.scenario_text)
        card = self.card if not self.card or self.card.endswith('\n') else self.card + '\n'
        self.conf = os.path.join(self.tmp, 'gateway.toml')
        with open(self.conf, 'w') as f:
            f.write(f'[card]\nlink = "sim"\nscenario = "{scenario}"\n{card}[debug]\nsocket = "{self.sock}"\n'
                    + self.extra)
        self.log = open(os.path.join(self.tmp, 'gatewayd.log'), 'w+')
        self.daemon = subprocess.Popen([self.gatewayd, '-c', self.conf], stdout=self.log,
                                       stderr=subprocess.STDOUT)
        return self

    def __exit__(self, *exc):
        try:
            self.daemon.terminate()
            self.daemon.wait(10)
            if failures or exc[0] is not None:
                self.log.seek(0)
                print('--- dmsc-gatewayd ---\n' + self.log.read()[-4000:], flush=True)
        finally:
            self.log.close()
            self._tmp.cleanup()
        return False

    def running(self):
        return self.daemon.poll() is None

    def ctl_run(self, *args):
        """dmsc-ctl -s SOCKET ARGS... (text output)."""
        return subprocess.run([self.ctl, '-s', self.sock, *args], capture_output=True, text=True, timeout=20)

    def ctl_json(self, *args):
        """dmsc-ctl -s SOCKET --json ARGS...: its last output line parsed, or None (no socket yet,
        an error)."""
        if not os.path.exists(self.sock):
            return None
        p = self.ctl_run('--json', *args)
        return json.loads(p.stdout.splitlines()[-1]) if p.returncode == 0 and p.stdout else None
