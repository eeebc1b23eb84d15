#!/usr/bin/env python3
"""tests/ops/test_install.py — `meson install` into a DESTDIR:
  1. the file list: binaries, /etc/dmsc-gateway/gateway.toml, the systemd unit, the init
     script, the sysusers.d entry, the udev rules, the three man pages, the docs — each where
     the build's prefix and options say, with the right modes, nothing outside the prefix
     (and sysconfdir);
  2. no path of the build host (source or build directory) in any installed text file; the
     unit and the init script run ${bindir}/dmsc-gatewayd with ${sysconfdir}/dmsc-gateway/gateway.toml;
  3. the installed example configuration passes the installed daemon's --check-config;
  4. the installed unit passes `systemd-analyze verify` (with the DESTDIR prefix mounted in
     place in a private mount namespace, so ExecStart resolves) and `systemd-analyze
     security` reports its exposure (printed; must stay ≤ the threshold below);
  5. a distribution layout, configured (not built) in a scratch directory with
     --prefix=/usr --sysconfdir=/etc -Dinitscript=openrc -Dudevrulesdir=no: `meson introspect
     --installed` puts everything where a Debian package wants it, the init script gets the
     openrc-run interpreter, no udev rules are installed.
usage: test_install.py BUILD_DIR SOURCE_DIR
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opslib import check, finish  # noqa: E402

EXPOSURE_THRESHOLD = 3.5  # systemd-analyze security: "OK" is < 5; the unit scores 2.8 on systemd 252


def options(build):
    out = subprocess.run(['meson', 'introspect', build, '--buildoptions'], capture_output=True, text=True,
                         check=True).stdout
    return {o['name']: o['value'] for o in json.loads(out)}


def pc_dir(package, variable, define, fallback):
    """What packaging/meson.build does: pkg-config with our prefix defined, else the fallback."""
    r = subprocess.run(['pkg-config', f'--define-variable={define}', f'--variable={variable}', package],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else fallback


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    build, source = (os.path.abspath(p) for p in sys.argv[1:3])
    opts = options(build)
    prefix = opts['prefix']
    j = lambda *p: os.path.normpath(os.path.join(prefix, *p))  # noqa: E731 - absolute parts win
    bindir, sysconfdir, mandir, datadir = j(opts['bindir']), j(opts['sysconfdir']), j(opts['mandir']), j(opts['datadir'])
    unitdir = opts['systemdsystemunitdir'] or pc_dir('systemd', 'systemdsystemunitdir', f'rootprefix={prefix}',
                                                     j('lib/systemd/system'))
    sysusersdir = opts['sysusersdir'] or pc_dir('systemd', 'sysusersdir', f'prefix={prefix}', j('lib/sysusers.d'))
    udevdir = opts['udevrulesdir'] or (
        os.path.join(pc_dir('udev', 'udevdir', f'prefix={prefix}', j('lib/udev')), 'rules.d') if prefix == '/usr'
        else j('lib/udev/rules.d'))
    expected = {
        j(bindir, 'dmsc-gatewayd'): 0o755, j(bindir, 'dmsc-ctl'): 0o755, j(bindir, 'dmsc-simcard'): 0o755,
        j(sysconfdir, 'dmsc-gateway', 'gateway.toml'): 0o644,
        j(mandir, 'man8', 'dmsc-gatewayd.8'): 0o644, j(mandir, 'man1', 'dmsc-ctl.1'): 0o644,
        j(mandir, 'man5', 'gateway.toml.5'): 0o644,
        j(datadir, 'doc', 'dmsc-gateway', 'README.md'): 0o644,
        j(datadir, 'doc', 'dmsc-gateway', 'operations.md'): 0o644,
        j(datadir, 'doc', 'dmsc-gateway', 'configuration.md'): 0o644,
        j(datadir, 'doc', 'dmsc-gateway', 'debug-socket.md'): 0o644,
    }
    if unitdir != 'no':
        expected[j(unitdir, 'dmsc-gateway.service')] = 0o644
    if sysusersdir != 'no':
        expected[j(sysusersdir, 'dmsc-gateway.conf')] = 0o644
    if udevdir != 'no':
        expected[j(udevdir, '60-dmsc-gateway.rules')] = 0o644
    if opts['initscript'] != 'none':
        expected[j(sysconfdir, 'init.d', 'dmsc-gateway')] = 0o755

    dest = tempfile.mkdtemp(prefix='dmsc-destdir-')
    try:
        r = subprocess.run(['meson', 'install', '-C', build, '--no-rebuild', '--destdir', dest, '--quiet'],
                           capture_output=True, text=True, timeout=300)
        check(r.returncode == 0, 'meson install --destdir succeeded' + ('' if r.returncode == 0 else ': ' + r.stderr[-500:]))
        installed = set()
        for root, _, files in os.walk(dest):
            for f in files:
                installed.add('/' + os.path.relpath(os.path.join(root, f), dest))
        print('installed:', *sorted(installed), sep='\n  ')

        # 1. The list and the modes.
        for path, mode in sorted(expected.items()):
            full = dest + path
            if not check(path in installed, f'installed {path}'):
                continue
            got = stat.S_IMODE(os.stat(full).st_mode)
            check(got & 0o777 == mode, f'  mode {oct(mode)} (is {oct(got)})')
        roots = (prefix.rstrip('/') + '/', sysconfdir.rstrip('/') + '/')
        stray = [p for p in installed if not p.startswith(roots)]
        check(not stray, f'nothing installed outside {roots}: {stray}')

        # 2. No host paths; the unit and the init script point at the installed files.
        leaks = []
        for p in installed:
            try:
                with open(dest + p, 'rb') as f:
                    data = f.read()
            except OSError:
                continue
            if b'\0' in data[:4096]:
                continue  # binaries may name their build tree in debug info
            if source.encode() in data or build.encode() in data:
                leaks.append(p)
        check(not leaks, f'no build-host path in installed text files: {leaks}')
        daemon = j(bindir, 'dmsc-gatewayd')
        conf = j(sysconfdir, 'dmsc-gateway', 'gateway.toml')
        if unitdir != 'no':
            unit = open(dest + j(unitdir, 'dmsc-gateway.service')).read()
            check(f'ExecStart={daemon} --config {conf}\n' in unit, f'unit: ExecStart={daemon} --config {conf}')
        if opts['initscript'] != 'none':
            script = open(dest + j(sysconfdir, 'init.d', 'dmsc-gateway')).read()
            check(f'DAEMON={daemon}\n' in script and f'CONFIG={conf}\n' in script,
                  'init script: DAEMON and CONFIG are the installed paths')

        # 3. The installed example passes the installed daemon's check.
        r = subprocess.run([dest + daemon, '-c', dest + conf, '--check-config'], capture_output=True, text=True,
                           timeout=30)
        check(r.returncode == 0, f'installed gateway.toml passes --check-config (exit {r.returncode}) {r.stderr.strip()[:300]}')
        check('[daemon]' in r.stdout and 'user = "dmsc-gateway"' in r.stdout,
              'the effective configuration runs as dmsc-gateway')

        # 4. systemd-analyze.
        if unitdir != 'no':
            systemd_checks(dest, prefix, j(unitdir, 'dmsc-gateway.service'))
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    distribution_layout(source)
    finish()


def distribution_layout(source):
    scratch = tempfile.mkdtemp(prefix='dmsc-layout-')
    try:
        r = subprocess.run(['meson', 'setup', scratch, source, '--prefix=/usr', '--sysconfdir=/etc',
                            '-Dinitscript=openrc', '-Dudevrulesdir=no', '-Dtests=disabled'],
                           capture_output=True, text=True, timeout=300)
        if not check(r.returncode == 0, 'meson setup --prefix=/usr (distribution layout)'):
            print(r.stdout[-1500:], r.stderr[-1500:])
            return
        out = subprocess.run(['meson', 'introspect', scratch, '--installed'], capture_output=True, text=True,
                             check=True).stdout
        targets = set(json.loads(out).values())
        print('distribution layout:', *sorted(targets), sep='\n  ')
        unitdir = pc_dir('systemd', 'systemdsystemunitdir', 'rootprefix=/usr', '/usr/lib/systemd/system')
        sysusersdir = pc_dir('systemd', 'sysusersdir', 'prefix=/usr', '/usr/lib/sysusers.d')
        for path in ('/usr/bin/dmsc-gatewayd', '/usr/bin/dmsc-ctl', '/etc/dmsc-gateway/gateway.toml',
                     '/etc/init.d/dmsc-gateway', unitdir + '/dmsc-gateway.service',
                     sysusersdir + '/dmsc-gateway.conf', '/usr/share/man/man8/dmsc-gatewayd.8',
                     '/usr/share/man/man5/gateway.toml.5', '/usr/share/doc/dmsc-gateway/operations.md'):
            check(path in targets, f'distribution layout: {path}')
        check(unitdir.startswith('/usr/'), f'the unit goes under /usr ({unitdir})')
        check(not any(t.endswith('.rules') for t in targets), '-Dudevrulesdir=no: no udev rules')
        init = os.path.join(scratch, 'packaging', 'dmsc-gateway.init')
        head = open(init).read().splitlines()
        check(head[0] == '#!/sbin/openrc-run', f'-Dinitscript=openrc: interpreter {head[0]}')
        r = subprocess.run(['sh', '-n', init], capture_output=True, text=True)
        check(r.returncode == 0, 'the OpenRC variant passes sh -n')
        if shutil.which('shellcheck'):
            r = subprocess.run(['shellcheck', '-s', 'sh', init], capture_output=True, text=True)
            check(r.returncode == 0, 'the OpenRC variant passes shellcheck -s sh ' + r.stdout[-500:])
        unit = open(os.path.join(scratch, 'packaging', 'dmsc-gateway.service')).read()
        check('ExecStart=/usr/bin/dmsc-gatewayd --config /etc/dmsc-gateway/gateway.toml\n' in unit,
              'distribution unit: ExecStart=/usr/bin/dmsc-gatewayd --config /etc/dmsc-gateway/gateway.toml')
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def systemd_checks(dest, prefix, unit):
    if not shutil.which('systemd-analyze'):
        print('SKIP systemd-analyze: not installed (package systemd)')
        return
    if os.geteuid() != 0 or subprocess.run(['unshare', '-m', 'true'], capture_output=True).returncode != 0:
        print('SKIP systemd-analyze verify: needs root and unshare -m to mount the DESTDIR prefix in place')
    else:
        # In a private mount namespace the DESTDIR's prefix is bind-mounted on the prefix, so
        # ExecStart= names an existing executable, as it will on the target.
        script = f'mount --make-rprivate / && mkdir -p {prefix} && mount --bind {dest}{prefix} {prefix} && ' \
                 f'exec systemd-analyze verify --man=no {dest}{unit}'
        r = subprocess.run(['unshare', '-m', 'sh', '-c', script], capture_output=True, text=True, timeout=60)
        out = (r.stdout + r.stderr).strip()
        check(r.returncode == 0 and not out, f'systemd-analyze verify: exit {r.returncode} {out[:500]}')
    r = subprocess.run(['systemd-analyze', 'security', '--offline=yes', '--no-pager', dest + unit],
                       capture_output=True, text=True, timeout=60)
    line = [x for x in (r.stdout + r.stderr).splitlines() if 'Overall exposure level' in x]
    print('systemd-analyze security:', line[0] if line else (r.stdout + r.stderr)[-300:])
    score = None
    if line:
        try:
            score = float(line[0].split(':', 1)[1].split()[0])
        except (ValueError, IndexError):
            pass
    check(score is not None and score <= EXPOSURE_THRESHOLD,
          f'exposure level {score} <= {EXPOSURE_THRESHOLD}')


if __name__ == '__main__':
    sys.exit(main())
