"""tests/ctl/ctl_helper.py — what the dmsc-ctl tests share: check() / failures / finish() (ok and
FAIL lines, the exit code), wait_for(), free_port(), and SimGateway: dmsc-gatewayd with the
simulated card playing a scenario text, its debug socket and log in a temp dir, dmsc-ctl run
against that socket, the daemon's log shown when a check failed. No root, no pcscd. Stdlib only.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

# check() / failures / finish() and the polling loop are tests/e2e/fixture.py's (stdlib only; importing
# it starts nothing): one copy for every Python test.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'e2e'))
from fixture import check, failures, finish  # noqa: E402,F401  (re-exported to the ctl tests)
from fixture import wait_for as _wait_for  # noqa: E402


def wait_for(predicate, timeout=10.0, step=0.05):
    """fixture.wait_for with the ctl tests' default of 10 s."""
    return _wait_for(predicate, timeout, step)


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
