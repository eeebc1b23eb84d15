#!/usr/bin/env python3
"""make_config_corpus.py OUTDIR FILE...: the seed corpus of fuzz_config — every .toml FILE as
is, and every fenced block of every .md FILE that has a TOML table header ([card],
[[application]] ...), one corpus file each."""
import pathlib
import re
import sys

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
n = 0
for name in sys.argv[2:]:
    p = pathlib.Path(name)
    text = p.read_text()
    if p.suffix == '.md':
        pieces = [b for b in re.findall(r'```[a-z]*\n(.*?)```', text, re.S)
                  if re.search(r'^\[\[?[a-z.]+\]\]?\s*$', b, re.M)]
    else:
        pieces = [text]
    for piece in pieces:
        n += 1
        (out / f'c{n:03d}-{p.stem}').write_text(piece)
print(f'{n} configuration seeds written to {out}')
