import json, os
import pytest
pytestmark = pytest.mark.integration

def run(ansible, tmp_path, steps, lock=True, commit=False, **kwargs):
    rf = tmp_path / 'r.json'
    play = ansible.run('attack_config_elements/steps.yml', extra_vars={'steps': steps, 'result_file': str(rf), 'lock': lock, 'commit': commit}, **kwargs)
    return json.loads(rf.read_text()), play

def test_explore(ansible, emulator, tmp_path):
    steps = json.loads(os.environ['STEPS'])
    if os.environ.get('SW'):
        emulator.set_switches(json.loads(os.environ['SW']))
    if os.environ.get('FAULT'):
        emulator.arm_fault(**json.loads(os.environ['FAULT']))
    out, play = run(ansible, tmp_path, steps, commit=bool(os.environ.get('COMMIT')), diff=bool(os.environ.get('DIFF')), verbosity=int(os.environ.get('VV', '0')))
    open('/tmp/explore.json', 'w').write(json.dumps({'out': out, 'stats': emulator.stats('sbc1')['by_route'], 'rc': play.returncode, 'realms': emulator.sbc_elements(os.environ.get('ET','realm-config')), 'lockstate': emulator.sbc_lock_state()}, indent=1))
    open('/tmp/explore.txt', 'w').write(play.stdout + play.stderr)
