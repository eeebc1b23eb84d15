#!/usr/bin/env python3
"""The pcap trace through Wireshark's own dissectors: `dmsc-ctl pcap` writes a TERMINAL PROFILE,
FETCH -> OPEN CHANNEL (Terminal Server Mode), TERMINAL RESPONSE and ENVELOPE (Data available)
exchange with the same code the daemon's trace.pcap sink uses; tshark must decode every one
(INS, BER tag, result, transport level) and report nothing malformed.
Exit 77 (skipped) when tshark is not installed.
Usage: test_tshark_pcap.py DMSC_CTL"""
import os
import shutil
import subprocess
import sys
import tempfile

ctl = sys.argv[1]
tshark = shutil.which('tshark')
if not tshark:
    print('tshark not installed (tools/setup-debian.sh installs it); skipping')
    sys.exit(77)

EXCHANGES = [
    # C-APDU, R-APDU
    ('8010000003FFFFFF', '9114'),                                          # TERMINAL PROFILE
    ('8012000014', 'D01281030140018202818239020578 3C0305044C 9000'),        # FETCH -> OPEN CHANNEL
    ('801400000C810301400182028281830100', '9000'),                        # TERMINAL RESPONSE '00'
    ('80C2000010D60E99010982028281B8028100B7010500', '9000'),              # ENVELOPE, case 4 (Le)
    ('801400000F81030140018202828183023A10', '9000'),                      # TR '3A'/'10' (BIP error)
]
EXPECTED = [
    # ins, BER tag, result, BIP cause, transport type, port
    ('0x10', '', '', '', '', ''),
    ('0x12', '0xd0', '', '', '0x05', '1100'),
    ('0x14', '', '0x00', '', '', ''),
    ('0xc2', '0xd6', '', '', '', ''),
    ('0x14', '', '0x3a', '0x10', '', ''),
]
FIELDS = ['gsm_sim.apdu.ins', 'gsm_sim.cat.ber_tlv_tag', 'etsi_cat.comp_tlv.result',
          'etsi_cat.comp_tlv.result.bip', 'etsi_cat.comp_tlv.transport.ptype',
          'etsi_cat.comp_tlv.transport.port']

failures = []
with tempfile.TemporaryDirectory() as tmp:
    pcap = os.path.join(tmp, 'trace.pcap')
    text = ''.join(f'{c} {r}\n' for c, r in EXCHANGES)
    p = subprocess.run([ctl, 'pcap', pcap, '-'], input=text, capture_output=True, text=True)
    if p.returncode != 0:
        print(f'dmsc-ctl pcap failed ({p.returncode}): {p.stderr}')
        sys.exit(1)

    def run(*args):
        r = subprocess.run([tshark, '-n', '-r', pcap, *args], capture_output=True, text=True)
        if r.returncode != 0:
            print(f'tshark {" ".join(args)} failed ({r.returncode}): {r.stderr}')
            sys.exit(1)
        return r.stdout

    rows = run('-T', 'fields', *sum((['-e', f] for f in FIELDS), [])).splitlines()
    if len(rows) != len(EXPECTED):
        failures.append(f'{len(rows)} packets decoded, expected {len(EXPECTED)}:\n' + '\n'.join(rows))
    for i, (row, want) in enumerate(zip(rows, EXPECTED)):
        got = tuple(row.split('\t'))
        got = got + ('',) * (len(want) - len(got))
        for name, g, w in zip(FIELDS, got, want):
            if w and g != w:
                failures.append(f'packet {i + 1} ({EXCHANGES[i][0][:10]}): {name} = {g!r}, expected {w!r}')

    malformed = run('-Y', '_ws.malformed or _ws.expert.severity >= "error"')
    if malformed.strip():
        failures.append('tshark reports malformed or erroneous packets:\n' + malformed)
    verbose = run('-V')
    if 'Malformed' in verbose:
        failures.append('"Malformed" in the verbose decode')
    summary = run()
    for needle in ('TERMINAL PROFILE', 'FETCH', 'OPEN CHANNEL', 'TERMINAL RESPONSE', 'ENVELOPE'):
        if needle not in summary:
            failures.append(f'{needle!r} missing from the packet list:\n{summary}')

if failures:
    print('\n'.join(failures))
    sys.exit(1)
print(f'{len(EXPECTED)} exchanges decoded by {tshark}, nothing malformed')
