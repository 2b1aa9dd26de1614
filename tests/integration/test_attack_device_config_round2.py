"""Second round of attacks on the SDM provisioning modules (device_config_element, device_config_push,
device_config_element_info): etcd lease backend, nested sessions, handlers, many elements, odd values, faults of the
SDM mid-run, the device lock taken away mid-run, async pushes.

Real plays against the emulator (playbooks/attack_device_config2/). Tests whose docstring starts with ``FINDING`` found
a broken promise (named there); the others passed when written and stay as regressions.
"""

import json

import pytest
import requests

from tests.integration.ansible_runner_util import assert_no_secret  # noqa: F401  (kept for the -vvvv scans)

pytestmark = pytest.mark.integration

D = 'attack_device_config2/'
STEPS = D + 'steps.yml'
PUSH_ROUTE = 'POST /rest/{v}/inventory/deviceMgmt/devices/{id}/action'


class Outcome:
    def __init__(self, play, data):
        self.play = play
        self.data = data or {}
        self.steps = dict((item['name'], item['r']) for item in self.data.get('outcomes', []))

    def __getitem__(self, name):
        assert name in self.steps, 'step %r never ran: %r' % (name, self)
        return self.steps[name]

    def __repr__(self):
        short = dict((name, dict((k, v) for k, v in result.items() if k not in ('invocation', 'exception', 'results')))
                     for name, result in self.steps.items() if isinstance(result, dict))
        return 'Outcome(rc=%s; %s)\n--- failures: %s\n--- stderr\n%s' % (
            self.play.returncode, json.dumps(short, sort_keys=True)[:5000], ' | '.join(self.play.failures())[:3000],
            self.play.stderr[-1500:])


def run_play(ansible, playbook, extra=None, host='localhost', **kwargs):
    out_dir = ansible.workdir / 'out'
    out_dir.mkdir(parents=True, exist_ok=True)
    extra_vars = {'out_dir': str(out_dir)}
    extra_vars.update(extra or {})
    play = ansible.run(playbook, extra_vars=extra_vars, **kwargs)
    path = out_dir / ('%s.json' % host)
    data = json.loads(path.read_text()) if path.exists() else None
    if path.exists():
        path.unlink()
    return Outcome(play, data)


def run_steps(ansible, steps, lock=('ID1',), unlock=True, extra=None, playbook=STEPS, **kwargs):
    extra_vars = {'lock': list(lock), 'unlock': unlock, 'steps': list(steps)}
    extra_vars.update(extra or {})
    return run_play(ansible, playbook, extra=extra_vars, **kwargs)


def realm(name, **attributes):
    return dict({'id': name}, **attributes)


def element(kind='realmConfig', **attributes):
    return {'elementTypePath': kind, 'attributes': [{'name': k, 'value': v} for k, v in attributes.items()]}


def device_elements(emulator, device='ID1', kind=None):
    elements = emulator.control('GET', '/sdm/sdm1/devices/%s/config' % device)['elements']
    return [e for e in elements if kind is None or e['elementTypePath'] == kind]


def attrs(item):
    return dict((a['name'], a['value']) for a in item['attributes'])


def device_element(emulator, kind, key_name, key_value, device='ID1'):
    for item in device_elements(emulator, device, kind):
        if attrs(item).get(key_name) == key_value:
            return item
    return None


def staged(emulator, device='ID1'):
    return emulator.control('GET', '/sdm/sdm1/devices/%s/changes' % device)


def events(emulator, event, device='ID1'):
    return [e for e in emulator.audit('sdm1') if e['event'] == event and e['resource'] == 'config:%s' % device]


def pushes(emulator, device='ID1'):
    return events(emulator, 'push', device)


def one_line_failure(result, reason=None):
    assert result.get('failed'), result
    if reason is not None:
        assert result.get('reason') == reason, result
    msg = result.get('msg', '')
    assert msg and '\n' not in msg.strip() and 'Traceback' not in msg, result
    assert result.get('reason'), 'no reason: %r' % result
    return msg


def assert_clean(emulator):
    assert emulator.sdm_locks() == {}, 'devices left locked: %r' % emulator.sdm_locks()
    assert not emulator.sbc_lock_state()['held'], emulator.sbc_lock_state()


def fault(**kw):
    return {'kind': 'control', 'name': kw.pop('name', 'fault'), 'path': '/faults', 'body': dict({'instance': 'sdm1'}, **kw)}


def control(path, body=None, name='control', method='POST'):
    return {'kind': 'control', 'name': name, 'path': path, 'body': body or {}, 'method': method}
