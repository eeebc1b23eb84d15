#!/usr/bin/env python3
"""dmsc-ctl events / timers / event / sms-pp through the real binaries: dmsc-gatewayd with the
simulated card (a scenario that registers events, starts a timer and asks for a poll interval),
its debug socket in a temp dir. Checks the live state (--json and readable), the event filter
seen from outside (filtered / queued / one-shot user activity), error messages that name the
key, and an SMS-PP data download whose answer dmsc-ctl waits for.
Usage: test_ctl_events.py DMSC_GATEWAYD DMSC_CTL"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctl_helper import SimGateway, check, finish, wait_for  # noqa: E402

gatewayd, ctl = sys.argv[1], sys.argv[2]

SCENARIO = '''
[scenario]
name = "ctl-events"

[[step]]
on = "profile"
command = "set_up_event_list"
events = ["location-status", "user-activity", "data-available"]
expect_result = "00"

[[step]]
on = "response"
command = "timer_management"
timer = 2
action = "start"
seconds = 600
expect_result = "00"

[[step]]
on = "response"
command = "poll_interval"
seconds = 30
expect_result = "00"

[[step]]
name = "the location the platform reported"
on = "event:location-status"

[[step]]
name = "the SMS-PP data download"
on = "envelope"
'''


with SimGateway(gatewayd, ctl, SCENARIO, prefix='dmsc-ctl-events-') as gw:
    ctl_run, ctl_json = gw.ctl_run, gw.ctl_json

    def event_entry(code):
        e = ctl_json('events') or {}
        return next((x for x in e.get('events', []) if x['code'] == code), {})

    # The scenario's first three steps ran: list registered, timer started, poll interval.
    ready = wait_for(lambda: (ctl_json('timers') or {}).get('polling', {}).get('interval_ms') == 30000)
    check(bool(ready), 'the card set its poll interval (30 s)')

    events = ctl_json('events') or {}
    check(events.get('registered') == ['03', '04', '09'], f'events --json registered: {events.get("registered")}')
    names = {e['code']: e for e in events.get('events', [])}
    check(names.get('03', {}).get('registered') is True and names.get('0A', {}).get('registered') is False,
          'events: per-event registered flags')
    check(names.get('03', {}).get('name', '').lower().startswith('location'), f'events: names ({names.get("03")})')
    p = ctl_run('events')
    check(p.returncode == 0 and 'REGISTERED' in p.stdout and 'FILTERED' in p.stdout and
          'registered:         03, 04, 09' in p.stdout, f'events readable:\n{p.stdout}{p.stderr}')

    timers = ctl_json('timers') or {}
    t2 = next((t for t in timers.get('timers', []) if t['id'] == 2), {})
    check(t2.get('running') is True and t2.get('started_with') == '0:10:00', f'timers: timer 2 ({t2})')
    check(t2.get('remaining', '9') <= '0:10:00', f'timers: remaining {t2.get("remaining")}')
    check(sum(1 for t in timers.get('timers', []) if t.get('running')) == 1, 'timers: only timer 2 runs')
    polling = timers.get('polling', {})
    nxt = polling.get('next_status_in_ms')
    check(polling.get('enabled') is True and nxt is not None and 0 <= nxt <= 30000, f'timers: polling {polling}')
    p = ctl_run('timers')
    check(p.returncode == 0 and '0:10:00' in p.stdout and 'polling' in p.stdout, f'timers readable:\n{p.stdout}')

    # The filter seen from outside: language is not in the card's list.
    p = ctl_run('--json', 'event', 'language', 'language=en')
    r = json.loads(p.stdout) if p.returncode == 0 else {}
    check(r.get('result') == 'filtered' and r.get('queued') is False, f'event language: {p.stdout}{p.stderr}')
    check(event_entry('07').get('filtered') == 1 and event_entry('07').get('sent') == 0,
          f'events: language counted as filtered ({event_entry("07")})')

    p = ctl_run('event', 'location-status', 'state=normal', 'mcc=262', 'mnc=01', 'lac=42', 'cell_id=7')
    check(p.returncode == 0 and 'queued' in p.stdout, f'event location-status: {p.stdout}{p.stderr}')
    check(bool(wait_for(lambda: event_entry('03').get('sent') == 1)), 'events: location status sent once')

    # User activity is reported once, then leaves the list (TS 102 223 7.5.5).
    r1 = ctl_json('event', 'user-activity') or {}
    r2 = ctl_json('event', 'user-activity') or {}
    check(r1.get('result') == 'queued' and r2.get('result') == 'filtered', f'user activity once: {r1} {r2}')
    check((ctl_json('events') or {}).get('registered') == ['03', '09'], 'user activity left the list')

    # Errors name the event and the key; exit 1.
    p = ctl_run('event', 'location-status', 'state=normal', 'mcc=1a1', 'mnc=01', 'lac=1', 'cell_id=1')
    check(p.returncode == 1 and 'mcc' in p.stderr and '1a1' in p.stderr, f'bad mcc: {p.returncode} {p.stderr}')
    p = ctl_run('event', 'nosuch-event')
    check(p.returncode == 1 and 'location-status' in p.stderr, f'unknown event lists the names: {p.stderr}')
    p = ctl_run('event', 'language', 'language=en', 'lang=en')
    check(p.returncode == 1 and '"lang"' in p.stderr, f'unknown key: {p.stderr}')

    # SMS-PP data download: dmsc-ctl waits for the card's answer.
    tpdu = '040391214300169930925161958002' + '0102'
    p = ctl_run('--json', 'sms-pp', f'tpdu={tpdu}', 'address=912143')
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    final = lines[-1] if lines else {}
    check(p.returncode == 0 and final.get('state') == 'done' and final.get('sw') == '90 00',
          f'sms-pp --json: exit {p.returncode}, {p.stdout}{p.stderr}')
    check('SMS-PP' in final.get('kind', ''), f'sms-pp kind: {final.get("kind")}')
    p = ctl_run('sms-pp', f'tpdu={tpdu}')
    check(p.returncode == 0 and 'done' in p.stdout and '90 00' in p.stdout, f'sms-pp readable: {p.stdout}{p.stderr}')
    p = ctl_run('sms-pp', 'tpdu=zz')
    check(p.returncode == 1 and 'hex' in p.stderr, f'sms-pp bad hex: {p.stderr}')
    p = ctl_run('sms-pp')
    check(p.returncode == 1 and 'tpdu' in p.stderr, f'sms-pp without tpdu: {p.stderr}')
    p = ctl_run('sms-pp', 'tpdu=' + '00' * 250)
    check(p.returncode == 1 and '255' in p.stderr, f'sms-pp too long: {p.stderr}')
    p = ctl_run('call', 'envelope', 'envelope=999999')
    check(p.returncode == 1 and 'no tracked ENVELOPE' in p.stderr, f'envelope unknown: {p.stderr}')

    status = ctl_json('status') or {}
    check(gw.running() and status.get('card', {}).get('state') == 'powered', 'daemon still running')

sys.exit(finish())
