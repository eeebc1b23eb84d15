#!/usr/bin/env python3
"""Fails if a pure layer (cat/, and later bip/, registry/, eem/ framing) reaches for I/O,
threads, sockets or an edge library. ARCHITECTURE.md: the core takes inputs and returns
effects; gateway/ owns every edge."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else '.')

# layer -> which project folders it may include from
ALLOWED_PROJECT = {
    'cat': {'cat'},
    'registry': {'cat', 'registry'},
    'bip': {'cat', 'registry', 'bip'},
    'eem': {'eem'},
}
FORBIDDEN_SYSTEM = re.compile(
    r'^(boost/|asio|PCSC/|winscard|pcsclite|libusb|nlohmann/|openssl/|toml\+\+/|toml\.h|'
    r'sys/|netinet/|arpa/|unistd\.h|fcntl\.h|poll\.h|pthread|'
    r'thread$|mutex$|condition_variable$|future$|fstream$|iostream$|filesystem$)')
FORBIDDEN_CALLS = re.compile(r'\b(std::thread|fopen|socket\s*\(|std::cout|std::cerr|getenv|'
                             r'std::chrono::(system|steady)_clock::now)\b')
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

problems = []
for layer, allowed in ALLOWED_PROJECT.items():
    for path in sorted((root / layer).glob('**/*')):
        if path.suffix not in ('.hpp', '.cpp', '.h'):
            continue
        for n, line in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
            m = INCLUDE.match(line)
            if m:
                kind, name = m.groups()
                if kind == '"':
                    top = name.split('/')[0] if '/' in name else layer
                    if top not in allowed:
                        problems.append(f'{path}:{n}: {layer}/ may not include "{name}"')
                elif FORBIDDEN_SYSTEM.match(name):
                    problems.append(f'{path}:{n}: {layer}/ is pure; <{name}> is an edge header')
            code = line.split('//')[0]
            if FORBIDDEN_CALLS.search(code):
                problems.append(f'{path}:{n}: {layer}/ is pure; I/O, threads or clock reads: {code.strip()}')

for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f'layering: pure layers clean ({", ".join(ALLOWED_PROJECT)})')
