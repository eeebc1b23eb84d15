#!/usr/bin/env python3
"""tests/ops/test_privdrop_pcsc.py — the privilege drop with a real card link: dmsc-gatewayd
started as root with [daemon] user = "dmsctest" and card.link = "pcsc" reaches the card
through a real pcscd + vpcd (tests/e2e/fixture.py's private namespace) after the switch —
pcscd serves the unprivileged daemon — and the debug socket shows the card powered while
/proc says the daemon runs as the user. Exit 77 without root/unshare/pcscd/vpcd.
usage: test_privdrop_pcsc.py DMSC_GATEWAYD
"""
import os
import pwd
import subprocess
import sys

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(os.path.dirname(here), 'e2e'))
import fixture  # noqa: E402
from opslib import Daemon, check, finish, proc_status, request, wait_for  # noqa: E402

USER = 'dmsctest'
SOCKET = '/run/dmsc-gateway/ctl.sock'  # a private tmpfs inside the fixture's namespace


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    gatewayd = sys.argv[1]
    fixture.enter_namespace()  # skips (77) without root / unshare / pcscd / vpcd
    created = False
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(['useradd', '--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent',
                        '--shell', '/usr/sbin/nologin', USER], check=True)
        created = True
    try:
        with fixture.Fixture() as fx:
            fx.start_pcscd()
            fx.start_mini_card()
            os.chmod(fx.tmp, 0o755)
            config = os.path.join(fx.tmp, 'gateway.toml')
            with open(config, 'w') as f:
                f.write(f'[daemon]\nuser = "{USER}"\n[card]\nlink = "pcsc"\nreader = "Virtual PCD"\n'
                        f'[debug]\nsocket = "{SOCKET}"\n')
            os.chmod(config, 0o644)
            user = pwd.getpwnam(USER)
            with Daemon(gatewayd, config, os.path.join(fx.tmp, 'gw.log')) as d:
                check(d.wait_log(f'running as user {USER}'), 'switched to ' + USER)
                check(d.wait_log('card ready', 20), 'the card is reached through pcscd after the switch')
                st = proc_status(d.proc.pid)
                check(st.get('Uid', '').split() == [str(user.pw_uid)] * 4, f'Uid {st.get("Uid")}')
                reply = wait_for(lambda: (request(SOCKET, {'cmd': 'status'}).get('card') or {}).get('state') ==
                                 'powered', 10)
                check(bool(reply), 'status: card powered')
                check(d.stop() == 0, 'clean stop')
                print(d.text()[-1500:])
    finally:
        if created:
            subprocess.run(['userdel', USER], check=False)
    finish()


if __name__ == '__main__':
    sys.exit(main())
