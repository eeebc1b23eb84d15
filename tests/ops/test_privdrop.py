#!/usr/bin/env python3
"""tests/ops/test_privdrop.py — [daemon] user/group/keep_capabilities with the real daemon
started as root (simulated card):
  1. after start-up it runs as the configured system user: real/effective/saved/fs uid and
     gid in /proc/PID/status, no root group, no capabilities; the debug socket it created as
     root belongs to that user and debug.group, mode 0660, and answers root and a member of
     that group (kernel groups) while a non-member is refused; reload (SIGHUP) and a clean
     stop (socket removed) still work unprivileged;
  2. keep_capabilities = ["CAP_NET_ADMIN"] leaves exactly CAP_NET_ADMIN permitted+effective;
  3. started by another unprivileged user it refuses to run (exit 1, says why); a missing
     account is a configuration error (exit 2) naming daemon.user.
A system user and group are created for the test (useradd -r / groupadd -r) when absent and
removed afterwards. usage: test_privdrop.py DMSC_GATEWAYD. Exit 77 when not root.
"""
import os
import pwd
import grp
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opslib import Daemon, check, finish, proc_status, request, request_as, skip  # noqa: E402

USER = 'dmsctest'
CTL_GROUP = 'dmsctestctl'
OUTSIDER = 4242  # no account: a uid/gid nobody uses


def ensure_accounts():
    created = []
    try:
        grp.getgrnam(CTL_GROUP)
    except KeyError:
        subprocess.run(['groupadd', '--system', CTL_GROUP], check=True)
        created.append(('group', CTL_GROUP))
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(['useradd', '--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent',
                        '--shell', '/usr/sbin/nologin', USER], check=True)
        created.append(('user', USER))
    return created


def remove_accounts(created):
    for kind, name in reversed(created):
        subprocess.run(['userdel' if kind == 'user' else 'groupdel', name], check=False)


def write_config(tmp, name, extra_daemon='', socket_dir='run'):
    path = os.path.join(tmp, name)
    sock = os.path.join(tmp, socket_dir, 'ctl.sock')
    with open(path, 'w') as f:
        f.write(f'''[daemon]
user = "{USER}"
{extra_daemon}
[card]
link = "sim"

[debug]
socket = "{sock}"
group = "{CTL_GROUP}"
''')
    os.chmod(path, 0o644)  # readable after the switch: SIGHUP re-reads it
    return path, sock


def ids(status, key):
    return [int(x) for x in status.get(key, '').split()]


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    gatewayd = sys.argv[1]
    if os.geteuid() != 0:
        skip('needs root (starts the daemon as root, creates a system user)')
    for tool in ('useradd', 'groupadd', 'userdel', 'groupdel'):
        if not shutil.which(tool):
            skip(f'{tool} not installed')
    created = ensure_accounts()
    tmp = tempfile.mkdtemp(prefix='dmsc-privdrop-')
    os.chmod(tmp, 0o755)  # the peers below must reach the socket's directory
    try:
        run(gatewayd, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_accounts(created)
    finish()


def run(gatewayd, tmp):
    user = pwd.getpwnam(USER)
    ctl_gid = grp.getgrnam(CTL_GROUP).gr_gid

    # 1. The switch, the socket, the peers.
    config, sock = write_config(tmp, 'gateway.toml')
    with Daemon(gatewayd, config, os.path.join(tmp, 'gw.log')) as d:
        check(d.wait_log(f'running as user {USER} (uid {user.pw_uid})'), 'the daemon logs the switch to ' + USER)
        check(d.wait_log('card ready'), 'the card link came up after the switch')
        st = proc_status(d.proc.pid)
        print('  /proc status:', {k: st.get(k) for k in ('Uid', 'Gid', 'Groups', 'CapPrm', 'CapEff', 'CapBnd')})
        check(ids(st, 'Uid') == [user.pw_uid] * 4, f'Uid real/effective/saved/fs = {user.pw_uid}: {st.get("Uid")}')
        check(ids(st, 'Gid') == [user.pw_gid] * 4, f'Gid real/effective/saved/fs = {user.pw_gid}: {st.get("Gid")}')
        check(0 not in ids(st, 'Groups') and user.pw_gid in ids(st, 'Groups'),
              f'supplementary groups without root, with {user.pw_gid}: {st.get("Groups")}')
        check(int(st.get('CapEff', '1'), 16) == 0 and int(st.get('CapPrm', '1'), 16) == 0,
              'no capability left (CapEff, CapPrm = 0)')
        s = os.stat(sock)
        check(s.st_uid == user.pw_uid and s.st_gid == ctl_gid, f'socket owned by {USER}:{CTL_GROUP}')
        check((s.st_mode & 0o7777) == 0o660, f'socket mode 0660 (is {oct(s.st_mode & 0o7777)})')
        check(os.stat(os.path.dirname(sock)).st_uid == user.pw_uid,
              'the socket directory the daemon created is handed to the user')

        reply = request(sock, {'cmd': 'status', 'id': 1})
        check(reply.get('ok') is True and reply.get('id') == 1, f'root is answered: {str(reply)[:80]}')
        member = request_as(sock, {'cmd': 'status'}, OUTSIDER, OUTSIDER, [OUTSIDER, ctl_gid])
        check(member.get('ok') is True, f'a member of {CTL_GROUP} (supplementary) is answered: {str(member)[:80]}')
        outsider = request_as(sock, {'cmd': 'status'}, OUTSIDER, OUTSIDER, [OUTSIDER])
        check(outsider.get('_errno') == 'EACCES' or outsider.get('ok') is False,
              f'a non-member is refused: {outsider}')
        as_daemon_user = request_as(sock, {'cmd': 'status'}, user.pw_uid, user.pw_gid, [user.pw_gid])
        check(as_daemon_user.get('ok') is True, f'the daemon\'s own user is answered: {str(as_daemon_user)[:80]}')

        # Still working unprivileged: reload re-reads the file, status still answers.
        d.proc.send_signal(1)  # SIGHUP
        check(d.wait_log('reloaded ' + config), 'SIGHUP reload works after the switch')
        check(request(sock, {'cmd': 'stats'}).get('ok') is True, 'the debug socket answers after the reload')
        rc = d.stop()
        check(rc == 0, f'clean stop, exit 0 (got {rc})')
        check(not os.path.exists(sock), 'the socket file is removed at stop by the unprivileged daemon')
        errors = [line for line in d.text().splitlines() if line.split()[1:2] in (['error'], ['warn'])]
        check(not errors, f'no error or warning in the log: {errors[:3]}')

    # 2. keep_capabilities.
    config, sock = write_config(tmp, 'caps.toml', 'keep_capabilities = ["CAP_NET_ADMIN"]', 'run-caps')
    with Daemon(gatewayd, config, os.path.join(tmp, 'caps.log')) as d:
        check(d.wait_log('keeping CAP_NET_ADMIN'), 'the daemon logs the kept capability')
        st = proc_status(d.proc.pid)
        cap_net_admin = 1 << 12
        check(int(st.get('CapEff', '0'), 16) == cap_net_admin and int(st.get('CapPrm', '0'), 16) == cap_net_admin,
              f'exactly CAP_NET_ADMIN kept: CapEff {st.get("CapEff")} CapPrm {st.get("CapPrm")}')
        check(int(st.get('CapInh', '1'), 16) == 0 and int(st.get('CapAmb', '0'), 16) == 0,
              'nothing inheritable or ambient (launched applications get none)')
        check(ids(st, 'Uid') == [user.pw_uid] * 4, 'and it runs as the user')
        check(request(sock, {'cmd': 'status'}).get('ok') is True, 'debug socket answers')

    # 3. Refusals.
    config, _ = write_config(tmp, 'other.toml', '', 'run-other')

    def become_outsider():
        os.setgroups([])
        os.setresgid(OUTSIDER, OUTSIDER, OUTSIDER)
        os.setresuid(OUTSIDER, OUTSIDER, OUTSIDER)
    os.chmod(tmp, 0o777)  # the outsider must be able to create its socket directory
    with Daemon(gatewayd, config, os.path.join(tmp, 'other.log'), preexec_fn=become_outsider) as d:
        rc = d.proc.wait(15)
        check(rc == 1, f'started by uid {OUTSIDER}: exit 1 (got {rc})')
        check('cannot switch' in d.text(), 'and says it cannot switch: ' + d.text().strip().splitlines()[-2][:120]
              if d.text().strip() else 'no output')
    os.chmod(tmp, 0o755)
    missing = os.path.join(tmp, 'missing.toml')
    with open(missing, 'w') as f:
        f.write('[daemon]\nuser = "dmsc-no-such-user"\n[card]\nlink = "sim"\n[debug]\nsocket = ""\n')
    r = subprocess.run([gatewayd, '-c', missing], capture_output=True, text=True, timeout=15)
    check(r.returncode == 2, f'a missing user: exit 2 (got {r.returncode})')
    check('daemon.user: no user "dmsc-no-such-user"' in r.stderr, 'names daemon.user: ' + r.stderr.strip()[:160])
    r = subprocess.run([gatewayd, '-c', missing, '--check-config'], capture_output=True, text=True, timeout=15)
    check(r.returncode == 0 and 'warning' in r.stderr and 'daemon.user' in r.stderr,
          '--check-config passes and warns about the missing account')


if __name__ == '__main__':
    sys.exit(main())
