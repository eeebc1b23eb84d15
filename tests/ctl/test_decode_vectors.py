#!/usr/bin/env python3
"""dmsc-ctl decode over every public conformance vector, through the real binary: each must
decode (exit 0, "ok": true) to the right kind, with the command number / type / qualifier and
device identities the vector states; APDU-wrapped forms of the same bytes must decode too.
Usage: test_decode_vectors.py DMSC_CTL VECTORS_DIR"""
import json
import pathlib
import subprocess
import sys

ctl, vectors = sys.argv[1], pathlib.Path(sys.argv[2])
symbols = json.loads((vectors / 'symbol_values.json').read_text())
def sym(x):
    """A symbolic constant of the vectors (STK_*) as its number; numbers pass through."""
    return symbols[x] if isinstance(x, str) else x

KIND = {'proactive_command': 'proactive_command', 'terminal_response': 'terminal_response',
        'envelope': 'envelope'}

cases = []  # (name, hex, expected kind, checks {json path: value})
for v in json.loads((vectors / 'cat_conformance_vectors.json').read_text()):
    checks = {}
    e = v['expect']
    if v['kind'] == 'proactive_command' and 'qualifier' in e:
        checks['command.qualifier'] = sym(e['qualifier'])
    if v['kind'] == 'terminal_response':
        r = e['response']
        checks['command.number'] = r['number']
        checks['command.type'] = symbols[r['type']]
        checks['command.qualifier'] = sym(r['qualifier'])
        checks['device_identities.source'] = symbols[r['src']]
        checks['device_identities.destination'] = symbols[r['dst']]
        checks['result.general'] = symbols[r['result']['type']]
    if v['kind'] == 'envelope':
        checks['ber_tag'] = '%02X' % symbols[e['envelope']['type']]
    cases.append((v['name'], v['hex'], KIND[v['kind']], checks))
for v in json.loads((vectors / 'resolved_vectors.json').read_text()):
    e = v['expect']
    checks = {}
    for key, path in (('command_number', 'command.number'), ('command_type', 'command.type'),
                      ('qualifier', 'command.qualifier'), ('source_device', 'device_identities.source'),
                      ('destination_device', 'device_identities.destination')):
        if key in e:
            checks[path] = e[key]
    cases.append((v['name'], v['hex'], KIND[v['kind']], checks))

# The same bytes as APDU exchanges: FETCH response, TERMINAL RESPONSE and ENVELOPE commands.
apdu_cases = []
for name, hexs, kind, _ in cases:
    n = len(hexs) // 2
    if n > 255:
        continue
    if kind == 'proactive_command':
        apdu_cases.append((name, '801200%04X' % n + hexs + '9000', 'FETCH'))
    elif kind == 'terminal_response':
        apdu_cases.append((name, '80140000%02X' % n + hexs + '9000', 'TERMINAL RESPONSE'))
    else:
        apdu_cases.append((name, '80C20000%02X' % n + hexs + '9000', 'ENVELOPE'))

def run(lines):
    p = subprocess.run([ctl, '--json', 'decode', '-'], input='\n'.join(lines) + '\n',
                       capture_output=True, text=True, timeout=120)
    out = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    if len(out) != len(lines):
        print(p.stderr)
        sys.exit(f'dmsc-ctl printed {len(out)} objects for {len(lines)} inputs')
    return p.returncode, out

def get(obj, path):
    for part in path.split('.'):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj

passed = failed = 0
rc, out = run([c[1] for c in cases])
for (name, hexs, kind, checks), j in zip(cases, out):
    problems = []
    if not j.get('ok'):
        problems.append(f'not decoded: {j.get("error")}')
    else:
        if j['kind'] != kind:
            problems.append(f'kind {j["kind"]} != {kind}')
        if not j['tlvs']:
            problems.append('no TLVs listed')
        for path, want in checks.items():
            got = get(j, path)
            if got != want:
                problems.append(f'{path} = {got!r}, expected {want!r}')
    if problems:
        failed += 1
        print(f'FAIL {name}: ' + '; '.join(problems))
    else:
        passed += 1
if failed == 0 and rc != 0:
    print(f'FAIL: exit code {rc} although every vector decoded')
    failed += 1

rc, out = run([c[1] for c in apdu_cases])
for (name, hexs, title), j in zip(apdu_cases, out):
    ok = j.get('ok') and j['kind'] == 'apdu_exchange' and j.get('title') == title \
        and j.get('status_word') == '9000' and len(j.get('parts', [])) == 1 and 'notes' not in j
    if ok:
        passed += 1
    else:
        failed += 1
        print(f'FAIL {name} as APDU: {json.dumps(j)[:300]}')

print(f'{passed} passed, {failed} failed')
sys.exit(1 if failed else 0)
