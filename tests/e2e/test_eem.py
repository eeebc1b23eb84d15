#!/usr/bin/env python3
"""tests/e2e/test_eem.py — TCP/IP to a USB UICC over CDC EEM, for real (docs/usb.md):
dmsc-gatewayd ([eem] enabled, card.link = "sim") creates its TAP and bridges it over the EEM
"USB pipe" (a unix socket) to dmsc-usbsim, the IP side of a simulated USB UICC that runs in its
own network namespace (`ip netns`) with its own TAP, address and a PSK-TLS server on 443.
  0. the card gets its IPv4 address from the gateway's DHCP server ([eem] dhcp) with a real
     client, busybox udhcpc, run on the card's TAP in the namespace (mode "static": the card has
     a fixed address and the gateway's DHCP server is off); the TAP and the card also get IPv6
     ULA addresses (eem.address6 / uicc_address6);
  1. `localuicc` resolves to the card's address (the gateway's hosts line), IPv4 and IPv6;
  2. an HTTPS client on the terminal side (openssl s_client, PSK) reaches
     https://localuicc:443/OMA/DM and gets the simulated DM_SC Server's answer, over IPv4 and
     over IPv6;
  3. the card's side connects to the DM Client's registered port on the terminal's EEM
     address and delivers a Package#0, byte for byte;
  4. `dmsc-ctl status` shows the interfaces and EEM counters (frames both ways, the card's
     Echo answered with an Echo Response);
  5. on SIGTERM the gateway removes its TAP and its hosts line.
The test runs inside `unshare --mount --net` with a private copy of /etc/hosts bind-mounted
over it, so the machine's /etc/hosts and network are untouched (checked at the end).
usage: test_eem.py DMSC_GATEWAYD DMSC_USBSIM DMSC_CTL [dhcp|static]
Exit 77 (skipped) without root, /dev/net/tun, unshare, ip netns or openssl (dhcp: busybox).
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
MARK = 'DMSC_EEM_INNER'
TERMINAL = '192.168.212.1'
UICC = '192.168.212.2'
DM_PORT = 1100
PSK_ID = 'dmsc-e2e'
TERMINAL6 = 'fd5c:d3a1:1cc0::1'
UICC6 = 'fd5c:d3a1:1cc0::2'
LEASE = 600

UDHCPC_SCRIPT = """#!/bin/sh
# busybox udhcpc calls this with $1 = deconfig | bound | renew | nak and the lease in the env.
env | grep -E '^(ip|mask|subnet|serverid|lease|router|dns|hostname|interface)=' | sort > "$0.$1"
case "$1" in
    bound|renew) ip addr add "$ip/$mask" dev "$interface" ;;
esac
exit 0
"""

failures = []


def check(ok, what):
    print(('ok   ' if ok else 'FAIL ') + what, flush=True)
    if not ok:
        failures.append(what)


def skip(why):
    print('SKIP:', why, flush=True)
    sys.exit(SKIP)


def wait_for(predicate, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def run(*cmd, **kw):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=30, **kw)


def outer():
    if os.geteuid() != 0:
        skip('needs root (TAP interfaces, network namespaces, a bind mount over /etc/hosts)')
    if not os.path.exists('/dev/net/tun'):
        skip('/dev/net/tun is missing (no tun module): TAP interfaces cannot be made')
    for tool in ('unshare', 'ip', 'mount', 'openssl') + (('busybox',) if mode() == 'dhcp' else ()):
        if not shutil.which(tool):
            skip(f'{tool} not installed')
    with open('/etc/hosts', 'rb') as f:
        before = hashlib.sha256(f.read()).hexdigest()
    env = dict(os.environ, **{MARK: '1'})
    r = subprocess.run(['unshare', '--mount', '--net', '--propagation', 'private', sys.executable,
                        os.path.abspath(__file__)] + sys.argv[1:], env=env, timeout=150)
    with open('/etc/hosts', 'rb') as f:
        after = hashlib.sha256(f.read()).hexdigest()
    if r.returncode in (0, 1):
        print(('ok   ' if before == after else 'FAIL ') + 'the machine\'s /etc/hosts is unchanged', flush=True)
        if before != after:
            return 1
    return r.returncode


def mode():
    return sys.argv[4] if len(sys.argv) > 4 else 'dhcp'


def inner(gatewayd, usbsim, ctl, test_mode='dhcp'):
    dhcp = test_mode == 'dhcp'
    ipv6 = os.path.exists('/proc/sys/net/ipv6')
    tmp = tempfile.mkdtemp(prefix='dmsc-eem-')
    procs = []
    ns = f'dmsc-eem-{os.getpid()}'
    ns_made = False
    try:
        hosts = os.path.join(tmp, 'hosts')
        shutil.copy('/etc/hosts', hosts)
        if run('mount', '--bind', hosts, '/etc/hosts').returncode != 0:
            skip('cannot bind-mount a private /etc/hosts')
        run('ip', 'link', 'set', 'lo', 'up')
        r = run('ip', 'netns', 'add', ns)
        if r.returncode != 0:
            skip('ip netns add failed: ' + r.stderr.strip())
        ns_made = True
        run('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up')

        # The DM Client: listens on the terminal side for the card's Package#0.
        package0 = os.urandom(16) + bytes.fromhex('02C0000000') + os.urandom(2) + b'\x08' + b'e2e-srv1'
        received = []
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(('0.0.0.0', DM_PORT))
        listener.listen(4)
        listener.settimeout(60)

        def dm_client():
            # The simulated ISO card (card.link = "sim") also delivers its Package#0 over BIP
            # from 127.0.0.1; the EEM one comes from the card's own address.
            while True:
                try:
                    conn, peer = listener.accept()
                    data = b''
                    conn.settimeout(10)
                    while True:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    conn.close()
                except OSError:
                    return
                if peer[0] == UICC:
                    received.append((peer, data))
                    return
        threading.Thread(target=dm_client, daemon=True).start()

        psk = os.urandom(16).hex()
        pipe = os.path.join(tmp, 'usb.sock')
        sim_log = open(os.path.join(tmp, 'usbsim.log'), 'w+')
        sim_cmd = ['ip', 'netns', 'exec', ns, usbsim, '--pipe', pipe, '--tap', 'uicc1',
                   '--address', 'dhcp' if dhcp else UICC + '/30', '--psk-identity', PSK_ID, '--psk', psk,
                   '--notify', f'{TERMINAL}:{DM_PORT}', '--package0', package0.hex(), '--echo']
        if ipv6:
            sim_cmd += ['--address6', UICC6 + '/64']
        sim = subprocess.Popen(sim_cmd, stdout=sim_log, stderr=subprocess.STDOUT)
        procs.append(sim)

        def sim_says(prefix):
            sim_log.seek(0)
            return [line.strip() for line in sim_log if line.startswith(prefix)]
        check(bool(wait_for(lambda: sim_says('ready'), 10)), 'dmsc-usbsim is up in namespace ' + ns)

        ctl_sock = os.path.join(tmp, 'ctl.sock')
        conf = os.path.join(tmp, 'gateway.toml')
        with open(conf, 'w') as f:
            f.write(f'''[card]
link = "sim"

[[application]]
name = "DM Client"
type = 0x07
port = {DM_PORT}

[debug]
socket = "{ctl_sock}"

[eem]
enabled = true
tap = "uicc0"
address = "{TERMINAL}/30"
uicc_address = "{UICC}"
pipe = "unix:{pipe}"
hosts_file = "/etc/hosts"
dhcp = {'true' if dhcp else 'false'}
dhcp_lease = {LEASE}
''')
            if ipv6:
                f.write(f'address6 = "{TERMINAL6}/64"\nuicc_address6 = "{UICC6}"\n')
        gw_log = open(os.path.join(tmp, 'gatewayd.log'), 'w+')
        gw = subprocess.Popen([gatewayd, '-c', conf], stdout=gw_log, stderr=subprocess.STDOUT)
        procs.append(gw)

        def status():
            r = run(ctl, '-s', ctl_sock, '--json', 'status')
            if r.returncode != 0:
                return None
            try:
                return json.loads(r.stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                return None

        def eem_connected():
            s = status()
            return s if s and s.get('interfaces', {}).get('eem', {}).get('pipe_state') == 'connected' else None
        st = wait_for(eem_connected, 15, 0.2)
        check(st is not None, 'the gateway made its TAP and connected the EEM pipe')
        if st is None:
            gw_log.seek(0)
            print(gw_log.read())

        # 0. the card's address from the gateway's DHCP server, with a real client
        if dhcp:
            script = os.path.join(tmp, 'udhcpc.sh')
            with open(script, 'w') as f:
                f.write(UDHCPC_SCRIPT)
            os.chmod(script, 0o755)
            mac = run('ip', 'netns', 'exec', ns, 'cat', '/sys/class/net/uicc1/address').stdout.strip()
            r = run('ip', 'netns', 'exec', ns, 'busybox', 'udhcpc', '-i', 'uicc1', '-f', '-q', '-n',
                    '-t', '5', '-T', '2', '-s', script, '-x', 'hostname:uicc-sim')
            print(r.stdout + r.stderr, flush=True)
            check(r.returncode == 0, f'busybox udhcpc on the card\'s TAP got a lease (exit {r.returncode})')
            lease = {}
            if os.path.exists(script + '.bound'):
                with open(script + '.bound') as f:
                    lease = dict(line.strip().split('=', 1) for line in f if '=' in line)
            print('udhcpc bound:', lease, flush=True)
            check(lease.get('ip') == UICC and lease.get('mask') == '30' and lease.get('serverid') == TERMINAL,
                  f'the lease is {UICC}/30 from server {TERMINAL}')
            check(lease.get('lease') == str(LEASE) and 'router' not in lease,
                  f'lease time {LEASE} s (eem.dhcp_lease), no router option')
            r = run('ip', 'netns', 'exec', ns, 'ip', '-4', '-o', 'addr', 'show', 'dev', 'uicc1')
            check(f'{UICC}/30' in r.stdout, f'the card\'s TAP has {UICC}/30 ({r.stdout.strip()})')
            d = (status() or {}).get('interfaces', {}).get('eem', {}).get('dhcp', {})
            print('status dhcp:', json.dumps(d), flush=True)
            dc = d.get('counters', {})
            check(d.get('lease') == 'bound' and d.get('client') == mac and d.get('host_name') == 'uicc-sim',
                  f'status: the lease is bound to the card\'s MAC {mac}, host name uicc-sim')
            check(dc.get('discover', 0) >= 1 and dc.get('offer', 0) >= 1 and dc.get('ack') == 1 and
                  dc.get('nak') == 0 and dc.get('malformed') == 0,
                  f'status: DISCOVER/OFFER/REQUEST/ACK counted ({dc})')
            # udhcpc does not set the broadcast flag: RFC 2131 4.1 unicast to yiaddr at chaddr,
            # which the gateway makes possible with an ARP entry for the unconfigured card.
            gw_log.seek(0)
            sent = [line.strip() for line in gw_log if 'DHCP ACK' in line]
            check(any(f'-> {UICC}:68 (ARP entry set)' in line for line in sent),
                  f'the ACK went unicast to {UICC} at the card\'s MAC ({sent})')
        else:
            d = (status() or {}).get('interfaces', {}).get('eem', {}).get('dhcp', {})
            check(d == {'enabled': False}, f'eem.dhcp = false: no DHCP server ({d})')

        # 1. localuicc
        try:
            addr = socket.gethostbyname('localuicc')
        except OSError as e:
            addr = str(e)
        check(addr == UICC, f'localuicc resolves to the card\'s address ({addr})')

        # 2. HTTPS to the card's server through TAP -> EEM -> TAP
        body = os.urandom(8).hex() * (1 + os.getpid() % 50)
        request = (f'POST /OMA/DM HTTP/1.1\r\nHost: localuicc\r\nContent-Type: application/vnd.syncml.dm+xml\r\n'
                   f'Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}')
        answer = ''
        for _ in range(3):  # ARP on a link that just came up
            r = subprocess.run(['openssl', 's_client', '-connect', 'localuicc:443', '-psk', psk,
                                '-psk_identity', PSK_ID, '-quiet', '-ign_eof'],
                               input=request, capture_output=True, text=True, timeout=30)
            answer = r.stdout
            if 'HTTP/1.1' in answer:
                break
            time.sleep(0.5)
        check(answer.startswith('HTTP/1.1 200 OK'), 'POST https://localuicc:443/OMA/DM answers 200 over PSK-TLS')
        check(f'received {len(body)} bytes' in answer,
              f'the card\'s server got the whole {len(body)}-byte body')
        check(bool(sim_says('http POST /OMA/DM')), 'the card logged the request: ' + ', '.join(sim_says('tls ')))

        # 2b. the same over IPv6 (the ULA pair; link-local names cannot go in /etc/hosts)
        if ipv6:
            try:
                addr6 = socket.getaddrinfo('localuicc', 443, socket.AF_INET6)[0][4][0]
            except OSError as e:
                addr6 = str(e)
            check(addr6 == UICC6, f'localuicc resolves to the card\'s IPv6 address ({addr6})')
            answer6 = ''
            for _ in range(5):  # neighbour discovery on a link that just came up
                r = subprocess.run(['openssl', 's_client', '-6', '-connect', 'localuicc:443', '-psk', psk,
                                    '-psk_identity', PSK_ID, '-quiet', '-ign_eof'],
                                   input=request, capture_output=True, text=True, timeout=30)
                answer6 = r.stdout
                if 'HTTP/1.1' in answer6:
                    break
                time.sleep(0.5)
            check(answer6.startswith('HTTP/1.1 200 OK') and f'received {len(body)} bytes' in answer6,
                  'POST https://localuicc:443/OMA/DM answers 200 over IPv6 through EEM')
            check(bool(sim_says('connection from ' + TERMINAL6)),
                  'the card saw the IPv6 connection from the terminal\'s ULA: ' + ', '.join(sim_says('connection')))
        else:
            print('IPv6 is off in this kernel: the IPv6 checks are skipped', flush=True)

        # 3. Package#0 from the card to the DM Client's port
        wait_for(lambda: received, 30, 0.1)
        peer, data = received[0] if received else (None, b'')
        check(data == package0, f'the DM Client got the card\'s Package#0 ({len(data)} bytes) on port {DM_PORT}')
        check(peer is not None and peer[0] == UICC, f'it came from the card\'s address over EEM ({peer})')

        # 4. status: interfaces and counters
        s = status() or {}
        eem = s.get('interfaces', {}).get('eem', {})
        c = eem.get('counters', {})
        print('status interfaces:', json.dumps(s.get('interfaces')), flush=True)
        check(s.get('interfaces', {}).get('apdu', {}).get('link') == 'sim', 'status shows the APDU interface')
        check(eem.get('tap') == 'uicc0' and eem.get('uicc_address') == UICC, 'status shows the EEM interface')
        check(c.get('frames_out', 0) > 5 and c.get('frames_in', 0) > 5,
              f"EEM frames both ways (out {c.get('frames_out')}, in {c.get('frames_in')})")
        check(c.get('commands_in', {}).get('echo') == 1 and c.get('commands_out', {}).get('echo-response') == 1,
              'the card\'s Echo was answered with an Echo Response')
        check(c.get('errors_in', -1) == 0, 'no EEM errors')

        # 5. stop: TAP and hosts line go away
        gw.send_signal(signal.SIGTERM)
        try:
            rc = gw.wait(timeout=15)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 0, f'dmsc-gatewayd stopped cleanly on SIGTERM ({rc})')
        with open('/etc/hosts') as f:
            check('localuicc' not in f.read(), 'the localuicc lines are gone')
        check(run('ip', 'link', 'show', 'uicc0').returncode != 0, 'the TAP uicc0 is gone')
        check(bool(wait_for(lambda: sim_says('unplugged'), 5)), 'the card saw the unplug')
        if failures:
            for name in ('gatewayd.log', 'usbsim.log'):
                with open(os.path.join(tmp, name)) as f:
                    print(f'--- {name}\n' + f.read()[-4000:])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if ns_made:
            run('ip', 'netns', 'del', ns)
        run('umount', '/etc/hosts')
        shutil.rmtree(tmp, ignore_errors=True)
    print('FAILED: ' + '; '.join(failures) if failures else 'all checks passed', flush=True)
    return 1 if failures else 0


if __name__ == '__main__':
    if len(sys.argv) not in (4, 5) or mode() not in ('dhcp', 'static'):
        print(__doc__)
        sys.exit(2)
    if os.environ.get(MARK) == '1':
        sys.exit(inner(*sys.argv[1:4], mode()))
    sys.exit(outer())
