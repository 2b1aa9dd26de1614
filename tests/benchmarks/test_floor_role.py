"""benchmarks.plays.floor_role: the floor copy of a role keeps no task of the collection, wherever the role puts it."""

import pytest
import yaml

from benchmarks import plays
from tests.collection_path import REPO_ROOT


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding='utf-8')


def actions(tasks):
    found = []
    for task in tasks or []:
        found += [key for key in task if key not in ('name', 'block', 'rescue', 'always', 'register', 'when', 'module_defaults')]
        for key in ('block', 'rescue', 'always'):
            found += actions(task.get(key))
    return found


def test_the_collections_role_has_every_lock_task_replaced(tmp_path):
    floor = tmp_path / 'floor'
    replaced = plays.floor_role(REPO_ROOT / 'roles' / 'lock_session', floor)
    assert replaced >= 4  # take and give back, for each product
    task_files = [path for path in floor.rglob('*.yml') if path.relative_to(floor).parts[0] not in ('defaults', 'vars', 'meta')]
    assert len(task_files) >= 3
    for path in task_files:
        assert [action for action in actions(yaml.safe_load(path.read_text())) if action.startswith('oracle_comms.provisioning.')] == [], path


def test_tasks_in_blocks_handlers_and_other_directories_are_replaced(tmp_path):
    role = tmp_path / 'role'
    write(role / 'tasks' / 'main.yml', [{'name': 'Outer', 'block': [{'name': 'Take', 'oracle_comms.provisioning.device_lock': {}, 'register': 'took',
                                                                     'until': 'took is succeeded', 'retries': 3}],
                                         'always': [{'name': 'Give', 'oracle_comms.provisioning.config_lock': {'state': 'unlocked'}}]}])
    write(role / 'handlers' / 'main.yml', [{'name': 'Late', 'oracle_comms.provisioning.device_lock': {'state': 'unlocked'}}])
    write(role / 'tasks' / 'other.yaml', [{'name': 'Spelled .yaml', 'oracle_comms.provisioning.config_lock': {}}])
    write(role / 'scope' / 'tasks' / 'more.yml', [{'name': 'Deep', 'rescue': [{'name': 'R', 'oracle_comms.provisioning.config_lock': {}}]}])
    write(role / 'tasks' / 'forms.yml', [{'name': 'Old form', 'action': {'module': 'oracle_comms.provisioning.config_lock', 'state': 'locked'}},
                                         {'name': 'Local', 'local_action': 'oracle_comms.provisioning.device_lock state=unlocked'},
                                         {'name': 'Args', 'action': 'oracle_comms.provisioning.config_lock', 'args': {'state': 'locked'},
                                          'register': 'r'}])
    write(role / 'defaults' / 'main.yml', {'oracle_comms.provisioning.config_lock': 'not a task'})
    assert plays.floor_role(role, tmp_path / 'floor') == 8
    main = yaml.safe_load((tmp_path / 'floor' / 'tasks' / 'main.yml').read_text())
    take = main[0]['block'][0]
    assert take['ansible.builtin.set_fact']['took']['locked'] is True
    assert not set(take) & {'register', 'until', 'retries', 'oracle_comms.provisioning.device_lock'}
    assert actions(main[0]['always']) == ['ansible.builtin.debug']
    forms = yaml.safe_load((tmp_path / 'floor' / 'tasks' / 'forms.yml').read_text())
    assert [sorted(task) for task in forms] == [['ansible.builtin.debug', 'name'], ['ansible.builtin.debug', 'name'], ['ansible.builtin.set_fact', 'name']]
    assert yaml.safe_load((tmp_path / 'floor' / 'defaults' / 'main.yml').read_text()) == {'oracle_comms.provisioning.config_lock': 'not a task'}


def test_a_role_without_lock_tasks_is_refused(tmp_path):
    write(tmp_path / 'role' / 'tasks' / 'main.yml', [{'name': 'Nothing', 'ansible.builtin.debug': {'msg': 'x'}}])
    with pytest.raises(RuntimeError, match='has the role changed shape'):
        plays.floor_role(tmp_path / 'role', tmp_path / 'floor')
