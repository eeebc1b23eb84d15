#!/usr/bin/env python3
"""The wap-push+udp delivery through Wireshark's own WSP dissector: dmsc-gatewayd with the
simulated card (built-in default scenario: the Package#0 over a Terminal Server Mode channel)
delivers to wap-push+udp://127.0.0.1:PORT; the datagram received there is written into a pcap
as UDP to port 2948 (the registered connectionless WAP push port, seed 004 Appendix E.1) and
tshark must decode a WSP Push with content type application/vnd.syncml.notification, the
X-Wap-Application-Id x-wap-application:syncml.dm, and the Package#0 as the body, nothing
malformed. Exit 77 (skipped) when tshark is not installed.
Usage: test_tshark_wsp.py DMSC_GATEWAYD"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile

gatewayd = sys.argv[1]
tshark = shutil.which('tshark')
if not tshark:
    print('tshark not installed (tools/setup-debian.sh installs it); skipping')
    sys.exit(77)

PACKAGE0 = bytes(16) + bytes.fromhex('03080000000001') + bytes([11]) + b'DMSC-Server'


def checksum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def pcap_udp(payload, dport=2948):
    """A pcap (LINKTYPE_RAW = 101) with one IPv4/UDP packet 127.0.0.1 -> 127.0.0.1:dport."""
    udp = struct.pack('!HHHH', 40000, dport, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes([127, 0, 0, 1]),
                     bytes([127, 0, 0, 1]))
    ip = ip[:10] + struct.pack('!H', checksum(ip)) + ip[12:]
    packet = ip + udp
    return (struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101) +
            struct.pack('<IIII', 0, 0, len(packet), len(packet)) + packet)


failures = []
sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink.bind(('127.0.0.1', 0))
sink.settimeout(15)
port = sink.getsockname()[1]
with tempfile.TemporaryDirectory(prefix='dmsc-wsp-') as tmp:
    conf = os.path.join(tmp, 'gateway.toml')
    with open(conf, 'w') as f:
        f.write(f'''[card]
link = "sim"
poll_interval_ms = 0

[[application]]
name = "DM Client"
port = 1100
deliver = "wap-push+udp://127.0.0.1:{port}"

[debug]
socket = ""
''')
    log = open(os.path.join(tmp, 'gatewayd.log'), 'w+')
    daemon = subprocess.Popen([gatewayd, '-c', conf], stdout=log, stderr=subprocess.STDOUT)
    try:
        datagram, _ = sink.recvfrom(65536)
    except socket.timeout:
        datagram = b''
    finally:
        daemon.terminate()
        daemon.wait(10)
    if not datagram:
        log.seek(0)
        print('no datagram; gateway log:\n' + log.read()[-3000:])
        sys.exit(1)
    print('datagram:', datagram.hex().upper())
    pcap = os.path.join(tmp, 'wsp.pcap')
    with open(pcap, 'wb') as f:
        f.write(pcap_udp(datagram))
    out = subprocess.run([tshark, '-r', pcap, '-V'], capture_output=True, text=True, timeout=60).stdout
    wsp = out[out.find('Wireless Session Protocol'):]
    print(wsp)
    for want in ('PDU Type: Push (0x06)', 'Headers Length: 3',
                 'Content-Type: application/vnd.syncml.notification',
                 'X-Wap-Application-Id: x-wap-application:syncml.dm',
                 f'application/vnd.syncml.notification ({len(PACKAGE0)} bytes)'):
        if want not in wsp:
            failures.append(f'tshark does not show {want!r}')
    if 'Malformed' in out or 'Expert Info' in out:
        failures.append('tshark reports a malformed packet')
    if datagram[6:] != PACKAGE0:
        failures.append(f'body {datagram[6:].hex().upper()} is not the Package#0 {PACKAGE0.hex().upper()}')
sink.close()
for f in failures:
    print('FAIL', f)
print('PASSED' if not failures else f'FAILED: {len(failures)}')
sys.exit(1 if failures else 0)
