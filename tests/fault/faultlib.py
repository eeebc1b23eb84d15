"""tests/fault/faultlib.py — what every fault-injection test shares: a private namespace with a
real pcscd + vpcd (tests/e2e/fixture.py), dmsc-simcard playing a scenario as the virtual card,
dmsc-gatewayd with card.link = "pcsc", a DM Client process (dm_client.py) on port 1100, and the
checks each test ends with: the daemon is alive and its debug socket answers, and its fds,
threads and memory are back to the baseline taken before the fault.

A test is `python3 test_X.py DMSC_GATEWAYD DMSC_SIMCARD DMSC_CTL` (exit 0 pass, 1 fail, 77 skip).
Everything is started inside the namespace and stopped by PID (fixture.Fixture).
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'e2e'))
import fixture  # noqa: E402

VPCD = f'127.0.0.1:{fixture.VPCD_PORT}'
CTL_SOCKET = '/run/dmsc-gateway/ctl.sock'  # a private tmpfs inside the namespace
DM_PORT = 1100
# Memory allowed above the baseline once the fault is over (allocator caches, first-use
# buffers); a leak per cycle or an unbounded buffer is far beyond it.
RSS_SLACK_KB = 1024


wait_for = fixture.wait_for  # the fault tests import it from here


def proc_resources(pid):
    """fds, threads, RSS and private memory (kB) of a process, from /proc."""
    fds = len(os.listdir(f'/proc/{pid}/fd'))
    out = {'fds': fds}
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            k, _, v = line.partition(':')
            if k == 'Threads':
                out['threads'] = int(v)
            elif k == 'VmRSS':
                out['rss_kb'] = int(v.split()[0])
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            priv = 0
            for line in f:
                k, _, v = line.partition(':')
                if k in ('Private_Clean', 'Private_Dirty'):
                    priv += int(v.split()[0])
            out['private_kb'] = priv
    except OSError:
        pass
    return out


def scenario(steps, name='fault', card='', repeat=1, poll=True):
    """Scenario TOML (docs/simulated-card.md): register events and set STATUS polling to
    0.1 s first (delays and events need the terminal to speak), then `steps` (TOML text)."""
    head = f'[scenario]\nname = "{name}"\nrepeat = {repeat}\n\n[card]\nprotocol = "T=1"\n{card}\n'
    first = '''[[step]]
name = "register events"
on = "profile"
command = "set_up_event_list"
events = ["data-available", "channel-status"]
expect_result = "00"
'''
    if poll:
        first += '''
[[step]]
name = "poll every 0.1 s"
on = "response"
command = "poll_interval"
tenths = 1
expect_result = "00"
'''
    return head + first + '\n' + steps


class Rig:
    """One test's services. `with Rig(argv, scenario_text, ...) as rig:`."""

    def __init__(self, argv, scenario_text, config_extra='', card_extra='', dm_args=(),
                 sysctls=(), apdu_log=False, mini_card=None):
        if len(argv) != 4:
            print(__doc__)
            sys.exit(2)
        self.gatewayd, self.simcard, self.ctl_bin = argv[1:4]
        self.scenario_text = scenario_text
        self.config_extra = config_extra
        self.card_extra = card_extra
        self.dm_args = list(dm_args)
        self.sysctls = list(sysctls)
        self.apdu_log = apdu_log  # pcscd -a -d: every APDU in its log (fx.apdu_exchanges())
        # A fixture.MiniCard subclass played in Python instead of dmsc-simcard (for card
        # behaviour a scenario cannot express, e.g. FETCH answers that are no command at all).
        self.mini_card = mini_card
        self.failures = []
        self.fx = None
        self.gw = self.card = self.dm = None
        fixture.enter_namespace()  # re-executes in the namespace; 77 without root/pcscd/vpcd

    # --- set-up -------------------------------------------------------------------------------
    def __enter__(self):
        self.fx = fixture.Fixture(apdu_log=self.apdu_log)
        self.fx.__enter__()
        for s in self.sysctls:  # per network namespace: the host is not touched
            subprocess.run(['sysctl', '-q', '-w', s], check=True)
        self.tmp = self.fx.tmp
        self.dm_dir = os.path.join(self.tmp, 'dm')
        self.fx.start_pcscd()
        self.start_dm()
        self.scenario_path = os.path.join(self.tmp, 'scenario.toml')
        with open(self.scenario_path, 'w') as f:
            f.write(self.scenario_text)
        self.card_log_path = os.path.join(self.tmp, 'simcard.log')
        self.verdict_path = os.path.join(self.tmp, 'verdict.json')
        if self.mini_card:
            self.card = self.fx.start_mini_card(self.mini_card)
        else:
            self.start_card()
        self.config = os.path.join(self.tmp, 'gateway.toml')
        with open(self.config, 'w') as f:
            f.write(f'''[card]
link = "pcsc"
reader = "Virtual PCD"
poll_interval_ms = 200
poll_interval_min_ms = 100
{self.card_extra}

[[application]]
name = "DM Client"
type = 0x07
port = {DM_PORT}
deliver = "tcp://127.0.0.1:{DM_PORT}"

[debug]
socket = "{CTL_SOCKET}"

{self.config_extra}
''')
        self.gw_log = open(os.path.join(self.tmp, 'gateway.log'), 'w+')
        self.gw = self.fx.spawn([self.gatewayd, '-c', self.config, '--log-level', 'debug'],
                                stdout=self.gw_log, stderr=subprocess.STDOUT)
        if not wait_for(lambda: self.ctl_ok('status'), 10):
            raise RuntimeError('dmsc-gatewayd did not answer on its debug socket')
        return self

    def __exit__(self, *exc):
        failed = exc[0] is not None or bool(self.failures)
        if failed:
            print('--- dmsc-simcard (tail) ---\n' + self.card_log()[-3000:], flush=True)
            self.gw_log.seek(0)
            # STATUS polling lines say nothing about a fault: leave them out of the tail.
            lines = [ln for ln in self.gw_log.read().splitlines() if '| STATUS' not in ln]
            print('--- dmsc-gatewayd (tail, without STATUS polls) ---\n' + '\n'.join(lines[-60:]), flush=True)
        self.fx.close(failed=failed)
        if self.failures:  # last, so that CI's short excerpt of the output shows them
            print('FAILED checks:\n' + '\n'.join('  ' + f for f in self.failures), flush=True)
        return False

    def start_dm(self, extra=None):
        args = self.dm_args if extra is None else extra
        self.dm = self.fx.spawn([sys.executable, os.path.join(HERE, 'dm_client.py'), str(DM_PORT),
                                 self.dm_dir, *args], stdout=subprocess.PIPE, text=True)
        assert self.dm.stdout.readline().strip() == 'listening'

    def start_card(self):
        out = open(self.card_log_path, 'a')
        self.card = self.fx.spawn([self.simcard, '--vpcd', VPCD, '--scenario', self.scenario_path,
                                   '--verdict-file', self.verdict_path],
                                  stdout=out, stderr=subprocess.STDOUT)
        out.close()

    # --- observing ----------------------------------------------------------------------------
    def ctl(self, *args):
        r = subprocess.run([self.ctl_bin, '-s', CTL_SOCKET, '--json', *args], capture_output=True,
                           text=True, timeout=15)
        line = r.stdout.strip().splitlines()
        return json.loads(line[0]) if line else {'ok': False, 'error': r.stderr.strip()}

    def ctl_ok(self, *args):
        try:
            return self.ctl(*args).get('ok') is True
        except (OSError, ValueError, subprocess.TimeoutExpired):
            return False

    def stats(self):
        return self.ctl('stats')

    def card_log(self):
        try:
            with open(self.card_log_path, errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def runs(self):
        """Scenario passes dmsc-simcard logged as complete (all card sessions)."""
        return self.card_log().count('" complete')

    def channels(self):
        r = self.ctl('channels')
        return r.get('channels', []) if r.get('ok') else None

    def resources(self):
        """The daemon's resources once two readings 0.2 s apart agree on fds and threads (a
        debug socket client that just left may still be counted)."""
        last = proc_resources(self.gw.pid)
        for _ in range(25):
            time.sleep(0.2)
            now = proc_resources(self.gw.pid)
            if (now['fds'], now['threads']) == (last['fds'], last['threads']):
                return now
            last = now
        return last

    def deliveries(self):
        """Bytes each DM Client connection received, in connection order."""
        out = []
        n = 1
        while True:
            p = os.path.join(self.dm_dir, f'conn-{n}.bin')
            if not os.path.exists(p):
                return out
            with open(p, 'rb') as f:
                out.append(f.read())
            n += 1

    def connection_ends(self):
        """How each closed DM Client connection ended, in connection order: 'eof' or 'reset'
        (None for one still open)."""
        out = []
        for n in range(1, len(self.deliveries()) + 1):
            p = os.path.join(self.dm_dir, f'conn-{n}.done')
            out.append(open(p).read().strip() if os.path.exists(p) else None)
        return out

    def connections_closed(self):
        return len([f for f in os.listdir(self.dm_dir) if f.endswith('.done')]) \
            if os.path.isdir(self.dm_dir) else 0

    def card_counter(self, key):
        return self.ctl('status').get('counters', {}).get(key, 0)

    def new_card_session(self):
        """Card removed and inserted again (dmsc-simcard SIGUSR1 / SIGUSR2): the gateway powers
        it afresh and the scenario starts over."""
        gone, ready = self.card_counter('cards_gone'), self.card_counter('cards_ready')
        self.card.send_signal(signal.SIGUSR1)
        self.check(wait_for(lambda: self.card_counter('cards_gone') > gone, 10), 'card removal seen')
        time.sleep(0.5)  # until pcscd noticed: a quick re-insertion could look like a reset
        self.card.send_signal(signal.SIGUSR2)
        self.check(wait_for(lambda: self.card_counter('cards_ready') > ready, 10), 'card insertion seen')

    def verdict(self):
        """Stops dmsc-simcard (SIGTERM writes the verdict) and returns (exit code, verdict)."""
        self.card.terminate()
        self.card.wait(10)
        v = {}
        if os.path.exists(self.verdict_path):
            with open(self.verdict_path) as f:
                v = json.load(f)
        return self.card.returncode, v

    # --- checking -----------------------------------------------------------------------------
    def check(self, ok, what):
        print(('ok   ' if ok else 'FAIL ') + what, flush=True)
        if not ok:
            self.failures.append(what)
        return ok

    def settle(self, timeout=10):
        """Waits until the daemon is idle: no channel open, no APDU outstanding, no handler
        pending, no ENVELOPE queued (each read from the debug socket)."""
        def idle():
            st = self.ctl('status')
            s = st.get('session') or {}
            ch = self.channels()
            return st.get('ok') and ch == [] and not s.get('apdu_outstanding') and \
                not s.get('awaiting_handler') and not s.get('queued_envelopes')
        return wait_for(idle, timeout)

    def check_alive(self):
        self.check(self.gw.poll() is None, f'dmsc-gatewayd still running (pid {self.gw.pid})')
        self.check(self.ctl_ok('status'), 'its debug socket answers `status`')

    def check_resources(self, base, what='after the fault'):
        self.settle()
        # fds and threads come back at once; give the allocator a moment, then compare.
        now = wait_for(lambda: (lambda r: r if r['fds'] == base['fds'] and r['threads'] == base['threads']
                                else None)(self.resources()), 5) or self.resources()
        self.check(now['fds'] == base['fds'], f'fds {what}: {now["fds"]} == baseline {base["fds"]}')
        self.check(now['threads'] == base['threads'],
                   f'threads {what}: {now["threads"]} == baseline {base["threads"]}')
        if self.sanitized():
            print(f'note RSS {what}: {now["rss_kb"]} kB (baseline {base["rss_kb"]} kB) not compared: '
                  'ASan keeps freed memory in quarantine', flush=True)
        else:
            self.check(now['rss_kb'] <= base['rss_kb'] + RSS_SLACK_KB,
                       f'RSS {what}: {now["rss_kb"]} kB <= baseline {base["rss_kb"]} kB + {RSS_SLACK_KB}')
        return now

    def sanitized(self):
        """The daemon was built with AddressSanitizer (its runtime is mapped)."""
        try:
            with open(f'/proc/{self.gw.pid}/maps') as f:
                return 'libasan' in f.read()
        except OSError:
            return False

    def check_verdict(self, what='the scenario\'s expectations'):
        rc, v = self.verdict()
        self.check(rc == 0 and v.get('passed') is True,
                   f'dmsc-simcard verdict on {what}: exit {rc}, passed={v.get("passed")}, '
                   f'runs={v.get("runs_completed")}, failures={v.get("failures")}')
        return v

    def result(self):
        print('PASSED' if not self.failures else f'FAILED: {len(self.failures)}', flush=True)
        return 1 if self.failures else 0


def by_result(stats):
    return stats.get('terminal_responses', {}).get('by_result', {})
