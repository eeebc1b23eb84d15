#!/usr/bin/env python3
"""bench/run.py BUILD_DIR [--quick] [--json FILE] — runs every benchmark of bench/README.md and
prints a table. Each figure is a ratio to a bare baseline measured in the same run; nothing is
asserted. The PC/SC parts run inside tests/e2e/fixture.py's private namespace (real pcscd +
vpcd + dmsc-simcard) and are skipped without root / pcscd / vpcd. Use bench/run.sh."""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'e2e'))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'fault'))
import fixture  # noqa: E402
from faultlib import proc_resources, wait_for  # noqa: E402

QUICK = '--quick' in sys.argv
BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith('--') else \
    os.path.join(HERE, '..', 'build')
BENCH = os.path.join(BUILD, 'bench', 'dmsc-bench')
GATEWAYD = os.path.join(BUILD, 'gateway', 'dmsc-gatewayd')
SIMCARD = os.path.join(BUILD, 'gateway', 'dmsc-simcard')
CTL = os.path.join(BUILD, 'gateway', 'dmsc-ctl')
VPCD = f'127.0.0.1:{fixture.VPCD_PORT}'
rows = []   # (benchmark, gateway, baseline, ratio, note)
results = {}


def log(*a):
    print('[bench %.1f]' % time.monotonic(), *a, file=sys.stderr, flush=True)


def bench(*args):
    out = subprocess.run([BENCH, *map(str, args)], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f'dmsc-bench {args}: {out.stderr.strip()}')
    return json.loads(out.stdout)


def text_of(*args):
    return subprocess.run([BENCH, *map(str, args)], capture_output=True, text=True, check=True).stdout


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


# ---- 1. proactive cycle cost -----------------------------------------------------------------
def cycles_sim():
    n = 5000 if QUICK else 20000
    runs = [bench('cycles', n) for _ in range(3)]
    results['cycles_sim'] = runs
    rows.append(('proactive cycle, in-process sim (µs/cycle, median of 3 × %d)' % n,
                 median_of(runs, 'gateway_us_per_cycle'), median_of(runs, 'bare_us_per_cycle'),
                 median_of(runs, 'ratio'), 'FETCH+TR of MORE TIME vs the same APDUs replayed'))


def cycles_pcsc(fx):
    n = 1000 if QUICK else 3000
    runs, attempts = [], 0
    while len(runs) < (3 if QUICK else 5) and attempts < 8:
        attempts += 1
        scen = os.path.join(fx.tmp, 'cycles.toml')
        with open(scen, 'w') as f:
            f.write(text_of('scenario', 'cycles', n))
        card = fx.spawn([SIMCARD, '--vpcd', VPCD, '--scenario', scen, '-q'])
        try:
            runs.append(bench('cycles', n, '--link', 'pcsc', '--reader', 'Virtual PCD'))
        except RuntimeError as e:  # e.g. the card not ready for the replay: measured again
            log('run discarded:', e)
        finally:
            card.terminate()
            card.wait(10)
            time.sleep(1.0)  # pcscd notices the removal before the next card comes
    results['cycles_pcsc'] = runs
    ratios = sorted(r['ratio'] for r in runs)
    rows.append(('proactive cycle, pcscd + vpcd (µs/cycle, median of %d × %d)' % (len(runs), n),
                 median_of(runs, 'gateway_us_per_cycle'), median_of(runs, 'bare_us_per_cycle'),
                 median_of(runs, 'ratio'),
                 'ratios %.2f..%.2f; bare %.0f APDU/s, gateway %.0f APDU/s' % (
                     ratios[0], ratios[-1], median_of(runs, 'bare_apdu_per_s'), median_of(runs, 'gateway_apdu_per_s'))))


# ---- 2. notification latency -----------------------------------------------------------------
def latency():
    n = 500 if QUICK else 2000
    for delay in (1000, 0):
        runs = [bench('latency', n, '--card-delay-us', delay) for _ in range(3)]
        results[f'latency_card_delay_{delay}us'] = runs
        g = statistics.median(r['gateway_us']['median'] for r in runs)
        b = statistics.median(r['bare_us']['median'] for r in runs)
        g90 = statistics.median(r['gateway_us']['p90'] for r in runs)
        b90 = statistics.median(r['bare_us']['p90'] for r in runs)
        bad = sum(r['corrupted'] for r in runs)
        what = 'card 1 ms per APDU' if delay else 'card answering at once (daemon flat out)'
        rows.append((f'notification latency SEND DATA → DM Client, {what} (µs, median; 3 × {n})', g, b, g / b,
                     'p90 %.0f vs %.0f µs; %d corrupted' % (g90, b90, bad)))


# ---- 3. idle memory, start to TERMINAL PROFILE -----------------------------------------------
def sim_config(tmp, extra=''):
    path = os.path.join(tmp, 'gw.toml')
    with open(path, 'w') as f:
        f.write(f'[card]\nlink = "sim"\n{extra}\n[debug]\nsocket = "{tmp}/ctl.sock"\n')
    return path


def idle_memory():
    tmp = tempfile.mkdtemp(prefix='dmsc-bench-')
    try:
        gw = subprocess.Popen([GATEWAYD, '-c', sim_config(tmp)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        time.sleep(3)  # the built-in scenario is over in milliseconds; let it settle
        r = proc_resources(gw.pid)
        gw.terminate()
        gw.wait(10)
        # Baseline: a process of the same libraries doing nothing (dmsc-ctl, blocked reading).
        sleeper = subprocess.Popen(['sleep', '30'])
        time.sleep(0.5)
        s = proc_resources(sleeper.pid)
        sleeper.kill()
        sleeper.wait()
        results['idle'] = {'gatewayd': r, 'sleep': s}
        rows.append(('idle RSS, sim card settled (kB)', r['rss_kb'], s['rss_kb'], r['rss_kb'] / s['rss_kb'],
                     'baseline: sleep(1); %d fds, %d threads' % (r['fds'], r['threads'])))
        rows.append(('idle private memory (smaps_rollup, kB)', r.get('private_kb', 0), s.get('private_kb', 0),
                     r.get('private_kb', 0) / max(1, s.get('private_kb', 1)), 'Private_Clean + Private_Dirty'))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def first_line(args, needle, timeout=10):
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in p.stdout:
            if needle in line:
                return (time.monotonic() - t0) * 1000
            if time.monotonic() - t0 > timeout:
                break
        return float('nan')
    finally:
        p.kill()
        p.wait()


def startup():
    tmp = tempfile.mkdtemp(prefix='dmsc-bench-')
    try:
        cfg = sim_config(tmp)
        n = 5 if QUICK else 15
        gw = [first_line([GATEWAYD, '-c', cfg, '--log-level', 'info'], 'TERMINAL PROFILE sent')
              for _ in range(n)]
        trivial = [first_line(['/bin/echo', 'ready'], 'ready') for _ in range(n)]
        results['startup_ms'] = {'gatewayd': gw, 'echo': trivial}
        g, t = statistics.median(gw), statistics.median(trivial)
        rows.append(('start → TERMINAL PROFILE, sim (ms, median of %d)' % n, g, t, g / t,
                     'baseline: /bin/echo start → its line'))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- 4. soak ---------------------------------------------------------------------------------
class Sink:
    """DM Client for the soak: accepts, reads each connection to EOF, checks the bytes."""

    def __init__(self, port, expected):
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(('127.0.0.1', port))
        self.srv.listen(64)
        self.expected = expected
        self.ok = self.bad = 0
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self.read, args=(c,), daemon=True).start()

    def read(self, c):
        data = b''
        with c:
            while True:
                try:
                    chunk = c.recv(4096)
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
        if data == self.expected:
            self.ok += 1
        else:
            self.bad += 1


def soak(fx):
    n = 1000 if QUICK else 10000
    scen = os.path.join(fx.tmp, 'notify.toml')
    with open(scen, 'w') as f:
        f.write(text_of('scenario', 'notify', n))
    p0 = bytes.fromhex(text_of('package0').strip())  # what the simulated card sends
    sink = Sink(1100, p0)
    cfg = os.path.join(fx.tmp, 'soak.toml')
    with open(cfg, 'w') as f:
        f.write('[card]\nlink = "pcsc"\nreader = "Virtual PCD"\npoll_interval_ms = 0\n\n'
                '[[application]]\nname = "DM Client"\ntype = 0x07\nport = 1100\n\n'
                '[debug]\nsocket = "/run/dmsc-gateway/ctl.sock"\n')
    card_log = os.path.join(fx.tmp, 'soak-card.log')
    with open(card_log, 'w') as out:
        card = fx.spawn([SIMCARD, '--vpcd', VPCD, '--scenario', scen, '-q',
                         '--verdict-file', os.path.join(fx.tmp, 'soak-verdict.json')], stdout=out, stderr=out)
    gw = fx.spawn([GATEWAYD, '-c', cfg, '--log-level', 'warn'], stdout=subprocess.DEVNULL,
                  stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    def sample():  # the least of a few samples: a channel's socket may be open at any instant
        rs = []
        for _ in range(8):
            rs.append(proc_resources(gw.pid))
            time.sleep(0.03)
        return {k: min(r[k] for r in rs) for k in rs[0]}
    wait_for(lambda: sink.ok + sink.bad >= 50, 60)
    start = sample()
    start_at = sink.ok + sink.bad
    wait_for(lambda: sink.ok + sink.bad >= n, 1200, step=0.5)
    elapsed = time.monotonic() - t0
    time.sleep(1)
    end = sample()
    alive = gw.poll() is None
    gw.terminate()
    gw.wait(10)
    card.terminate()
    card.wait(10)
    with open(os.path.join(fx.tmp, 'soak-verdict.json')) as f:
        v = json.load(f)
    sink.srv.close()
    results['soak'] = {'cycles': n, 'delivered_ok': sink.ok, 'delivered_bad': sink.bad, 'seconds': elapsed,
                       'start': start, 'start_after_cycles': start_at, 'end': end, 'alive': alive,
                       'card_passed': v.get('passed'), 'card_runs': v.get('runs_completed')}
    rows.append(('soak %d notifications, pcscd + vpcd: RSS kB end / start' % n, end['rss_kb'], start['rss_kb'],
                 end['rss_kb'] / start['rss_kb'],
                 'fds %d → %d, threads %d → %d, %d ok / %d bad, card %s, %.0f s' % (
                     start['fds'], end['fds'], start['threads'], end['threads'], sink.ok, sink.bad,
                     'passed' if v.get('passed') else 'FAILED', elapsed)))
    rows.append(('soak: private memory kB end / start', end.get('private_kb', 0), start.get('private_kb', 0),
                 end.get('private_kb', 0) / max(1, start.get('private_kb', 1)), 'after %d cycles' % start_at))


# ---- 5. SCWS bridge throughput vs the APDU-count bound (issue 5) ------------------------------
def ctl_request(sock_path, cmd):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.settimeout(10)
        c.connect(sock_path)
        c.sendall((json.dumps({'cmd': cmd}) + '\n').encode())
        data = b''
        while not data.endswith(b'\n'):
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data)


def scws_throughput(fx=None):
    """HTTP POST /echo of S bytes to the simulated card's SCWS through dmsc-gatewayd (scws.toml;
    UICC server mode on 127.0.0.1:3516), on the sim link or (fx) through pcscd + vpcd: the time
    from connect to the last byte of the echo, against the bound the APDUs it needed set on the
    same link: APDUs used (from `stats`) / the bare APDU rate of that link measured in this run
    (dmsc-bench cycles)."""
    size = (64 if QUICK else 256) * 1024
    scen = os.path.abspath(os.path.join(HERE, '..', 'gateway', 'sim', 'scenarios', 'scws.toml'))
    if fx is None:
        link = 'sim'
        bare = bench('cycles', 5000 if QUICK else 20000)['bare_apdu_per_s']
        card_cfg = f'link = "sim"\nscenario = "{scen}"\n'
    else:
        link = 'pcscd + vpcd'
        if not results.get('cycles_pcsc'):
            return
        bare = median_of(results['cycles_pcsc'], 'bare_apdu_per_s')
        card_cfg = 'link = "pcsc"\nreader = "Virtual PCD"\n'
        time.sleep(1.0)
    tmp = tempfile.mkdtemp(prefix='dmsc-bench-scws-')
    runs = []
    card = None
    try:
        if fx is not None:
            card = fx.spawn([SIMCARD, '--vpcd', VPCD, '--scenario', scen, '-q'])
        cfg = os.path.join(tmp, 'gw.toml')
        with open(cfg, 'w') as f:
            f.write(f'[card]\n{card_cfg}poll_interval_ms = 0\n'
                    f'[debug]\nsocket = "{tmp}/ctl.sock"\n[log]\nlevel = "warn"\n')
        gw = subprocess.Popen([GATEWAYD, '-c', cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def listening():
                try:
                    r = ctl_request(f'{tmp}/ctl.sock', 'channels')
                except OSError:
                    return False
                return any(l.get('port') == 3516 for l in r.get('listeners', []))
            if not wait_for(listening, 10):
                log('SCWS benchmark: the SCWS never listened on 3516; skipped')
                return
            body = os.urandom(size)
            for _ in range(3):
                before = ctl_request(f'{tmp}/ctl.sock', 'stats')['apdus']['total']
                t0 = time.perf_counter()
                with socket.create_connection(('127.0.0.1', 3516), timeout=60) as c:
                    c.sendall(b'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n'
                              b'Connection: close\r\n\r\n' % size + body)
                    answer = b''
                    while True:
                        chunk = c.recv(65536)
                        if not chunk:
                            break
                        answer += chunk
                elapsed = time.perf_counter() - t0
                time.sleep(0.3)  # the card's CLOSE CHANNEL / back to LISTEN
                after = ctl_request(f'{tmp}/ctl.sock', 'stats')['apdus']['total']
                ok = answer.endswith(body) and answer.startswith(b'HTTP/1.1 200')
                apdus = after - before
                bound = apdus / bare
                runs.append({'bytes_each_way': size, 'seconds': elapsed, 'apdus': apdus, 'bound_seconds': bound,
                             'ratio': elapsed / bound, 'echo_ok': ok,
                             'bytes_per_apdu': 2 * size / max(1, apdus), 'mib_per_s': 2 * size / elapsed / 2**20})
        finally:
            gw.terminate()
            gw.wait(10)
    finally:
        if card is not None:
            card.terminate()
            card.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    results['scws_throughput_' + ('sim' if fx is None else 'pcsc')] = {'bare_apdu_per_s': bare, 'runs': runs}
    if runs:
        r = sorted(runs, key=lambda x: x['ratio'])[len(runs) // 2]
        rows.append((f'SCWS bridge, HTTP POST /echo {size // 1024} KiB each way, {link} (ms)', r['seconds'] * 1000,
                     r['bound_seconds'] * 1000, r['ratio'],
                     '%d APDUs (%.0f bytes/APDU), bound = APDUs / bare %.0f APDU/s; %.2f MiB/s; echo %s' % (
                         r['apdus'], r['bytes_per_apdu'], bare, r['mib_per_s'],
                         'intact' if all(x['echo_ok'] for x in runs) else 'CORRUPTED')))


def table():
    w = max(len(r[0]) for r in rows)
    print(f'{"benchmark":<{w}}  {"gateway":>10}  {"baseline":>10}  {"ratio":>7}  note')
    for name, g, b, ratio, note in rows:
        print(f'{name:<{w}}  {g:>10.1f}  {b:>10.1f}  {ratio:>7.2f}  {note}')


def main():
    pcsc = os.geteuid() == 0 and shutil.which('pcscd') and os.path.exists(fixture.VPCD_CONF)
    if pcsc:
        fixture.enter_namespace()  # re-executes here inside a private mount + net namespace
        subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    # PC/SC first: the TCP connections of the other benchmarks leave ports in TIME_WAIT, and
    # vpcd must bind 35963/35964.
    if pcsc:
        with fixture.Fixture() as fx:
            fx.start_pcscd()
            log('cycles (pcscd + vpcd)')
            cycles_pcsc(fx)
            log('soak')
            soak(fx)
            log('SCWS bridge throughput (pcscd + vpcd)')
            scws_throughput(fx)
    else:
        log('not root or no pcscd/vpcd: PC/SC benchmarks skipped')
    log('cycles (sim)')
    cycles_sim()
    log('latency')
    latency()
    log('idle memory')
    idle_memory()
    log('start to TERMINAL PROFILE')
    startup()
    log('SCWS bridge throughput')
    scws_throughput()
    table()
    if '--json' in sys.argv:
        with open(sys.argv[sys.argv.index('--json') + 1], 'w') as f:
            json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
