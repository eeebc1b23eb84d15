#!/usr/bin/env python3
"""dmsc-ctl channels / apps against a real dmsc-gatewayd with the simulated card: the card opens
a Terminal Server Mode channel to a stand-in DM Client (which keeps the connection open) and a
UICC server mode channel a local client then connects to. Checks the fields of both commands,
readable and --json: each channel's mode, state, endpoint, local and peer socket addresses, the
listener, and the registered application with its deliver endpoint and launch command.
Usage: test_ctl_channels.py DMSC_GATEWAYD DMSC_CTL"""
import json
import os
import socket
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctl_helper import SimGateway, check, finish, free_port, wait_for  # noqa: E402

gatewayd, ctl = sys.argv[1], sys.argv[2]

dm_port, server_port = free_port(), free_port()
dm = socket.socket()
dm.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
dm.bind(('127.0.0.1', dm_port))
dm.listen(1)
held = []
threading.Thread(target=lambda: held.append(dm.accept()), daemon=True).start()

SCENARIO = f'''[[step]]
on = "profile"
command = "set_up_event_list"
events = ["data-available", "channel-status"]

[[step]]
on = "terminal-applications"
command = "open_channel"
mode = "terminal-server"
port = "registered"
expect_result = "00"

[[step]]
on = "response"
command = "send_data"
payload = "dm12-package0"
expect_result = "00"

[[step]]
on = "response"
command = "open_channel"
mode = "uicc-server"
port = {server_port}
buffer_size = 1000
expect_result = "00"
'''

APPLICATION = f'''
[[application]]
name = "DM Client"
port = 1100
deliver = "tcp://127.0.0.1:{dm_port}"
launch = "/usr/bin/dm-client --notify"
'''

client = None
with SimGateway(gatewayd, ctl, SCENARIO, card='poll_interval_ms = 0', extra=APPLICATION,
                prefix='dmsc-ctl-ch-') as gw:
    def channels():
        return gw.ctl_json('channels')

    try:
        reply = wait_for(lambda: (lambda c: c if c and len(c['channels']) == 2 else None)(channels()))
        if check(reply is not None, f'two channels open (last reply {channels()})'):
            client = socket.create_connection(('127.0.0.1', server_port))
            reply = wait_for(lambda: (lambda c: c if c and c['channels'][1]['state'] == 'established' else None)(
                channels()))
            check(reply is not None, 'the UICC server channel took the local client')
        if reply:
            tsm, srv = reply['channels']
            check(tsm['mode'] == 'Terminal Server Mode' and tsm['state'] == 'established',
                  f'channel 1 is an established Terminal Server Mode channel: {tsm}')
            check(tsm['endpoint'] == f'tcp://127.0.0.1:{dm_port}' and tsm['application'] == 'DM Client',
                  f'channel 1 endpoint and application: {tsm}')
            check(tsm['peer'] == f'127.0.0.1:{dm_port}', f'channel 1 peer is the DM Client: {tsm["peer"]}')
            check(tsm['local'].startswith('127.0.0.1:') and tsm['local'] != tsm['peer'],
                  f'channel 1 local address: {tsm["local"]}')
            check(tsm['bytes_sent'] == 35 and tsm['status'] == '8100', f'channel 1 counters and status: {tsm}')
            check(srv['mode'] == 'UICC server mode' and srv['port'] == server_port and srv['status'] == '8200',
                  f'channel 2 is the UICC server channel, TCP ESTABLISHED: {srv}')
            check(srv['local'] == f'127.0.0.1:{server_port}', f'channel 2 local: {srv["local"]}')
            check(srv['peer'] == '127.0.0.1:%d' % client.getsockname()[1], f'channel 2 peer is the client: {srv["peer"]}')
            check(reply['listeners'] == [{'port': server_port, 'local': f'127.0.0.1:{server_port}', 'accepted': 1,
                                          'refused': 0}], f'listeners: {reply["listeners"]}')

        # The readable form names the same fields.
        p = gw.ctl_run('channels')
        check(p.returncode == 0, f'dmsc-ctl channels exit {p.returncode}: {p.stderr}')
        for word in ('LOCAL', 'PEER', 'Terminal Server Mode', 'UICC server mode', f'127.0.0.1:{server_port}',
                     f'127.0.0.1:{dm_port}', 'listeners'):
            check(word.lower() in p.stdout.lower(), f'readable channels shows {word!r}')

        p = gw.ctl_run('--json', 'apps')
        if check(p.returncode == 0, f'dmsc-ctl --json apps exit {p.returncode}: {p.stderr}'):
            apps = json.loads(p.stdout)
            check(apps['apps'] == [{'name': 'DM Client', 'type': '07', 'port': 1100, 'coding': 'gsm7',
                                    'deliver': f'tcp://127.0.0.1:{dm_port}',
                                    'launch': '/usr/bin/dm-client --notify', 'registered': True}],
                  f'apps: {apps["apps"]}')
            check(apps['registration']['state'] == 'accepted', f'registration: {apps["registration"]}')
        p = gw.ctl_run('apps')
        check(p.returncode == 0 and 'DM Client' in p.stdout and 'accepted' in p.stdout
              and f'tcp://127.0.0.1:{dm_port}' in p.stdout, f'readable apps:\n{p.stdout}')
    finally:
        if client:
            client.close()
dm.close()

sys.exit(finish())
