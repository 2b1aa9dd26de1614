"""The plays the benchmarks run, written out as YAML next to their output so that anyone can read what ran.

Ours use the collection's modules (and role) with the connection from the ``SBC_*`` / ``SDM_*``
environment, as a user's play would. The baselines are what users write today: ``ansible.builtin.uri``
tasks (token or login, lock with ``until``/``retries``/``delay``, unlock), and ``ansible.builtin.debug``
tasks, which cost what Ansible itself costs per task.
"""

import pathlib
import shutil

import yaml

COLLECTION = 'oracle_comms.provisioning'
SDM_API = 'v1.3'
SBC_API = 'v1.2'
ENV = "{{ lookup('ansible.builtin.env', '%s') }}"


def write_yaml(path, data):
    """Write ``data`` as YAML (a document start, block style, keys in the order given); return the path."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('---\n' + yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=160), encoding='utf-8')
    return path


def play(name, tasks, hosts='localhost', play_vars=None):
    entry = {'name': name, 'hosts': hosts, 'gather_facts': False}
    if play_vars:
        entry['vars'] = play_vars
    entry['tasks'] = tasks
    return [entry]


# --------------------------------------------------------------------------------------------- per task

def ours_pairs(product, pairs, device_id='ID1'):
    """``pairs`` lock + unlock task pairs with config_lock (sbc) or device_lock (sdm)."""
    tasks = []
    for index in range(1, pairs + 1):
        for state in ('locked', 'unlocked'):
            if product == 'sbc':
                tasks.append({'name': '%s %d' % (state, index), COLLECTION + '.config_lock': {'state': state}})
            else:
                tasks.append({'name': '%s %d' % (state, index), COLLECTION + '.device_lock': {'state': state, 'device_id': [device_id]}})
    return play('%d %s lock+unlock pairs with %s' % (pairs, product.upper(), 'config_lock' if product == 'sbc' else 'device_lock'), tasks)


def debug_tasks(count):
    """``count`` debug tasks: Ansible's own cost per task."""
    tasks = [{'name': 'debug %d' % index, 'ansible.builtin.debug': {'msg': 'task %d' % index}} for index in range(1, count + 1)]
    return play('%d debug tasks' % count, tasks)


def _uri(url, **options):
    args = {'url': url, 'method': 'POST', 'ca_path': '{{ ca_path }}'}
    args.update(options)
    return {'ansible.builtin.uri': args}


def uri_pairs(product, pairs, device_id='ID1'):
    """What users hand-write today: ``uri`` token/login, lock retried with until/retries/delay, unlock (and logout)."""
    tasks = []
    if product == 'sbc':
        play_vars = {'base': 'https://%s/rest/%s' % (ENV % 'SBC_HOST', SBC_API), 'ca_path': ENV % 'SBC_CA_PATH',
                     'user': ENV % 'SBC_USERNAME', 'password': ENV % 'SBC_PASSWORD'}
        bearer = "Bearer {{ token_answer.content | regex_search('<accessToken>([^<]+)</accessToken>', '\\1') | first }}"
        for index in range(1, pairs + 1):
            tasks.append(dict({'name': 'token %d' % index, 'register': 'token_answer', 'no_log': True},
                              **_uri('{{ base }}/auth/token', url_username='{{ user }}', url_password='{{ password }}',
                                     force_basic_auth=True, return_content=True)))
            tasks.append(dict({'name': 'lock %d' % index, 'register': 'lock_answer', 'until': 'lock_answer.status == 204',
                               'retries': 60, 'delay': 1, 'no_log': True},
                              **_uri('{{ base }}/configuration/lock', headers={'Authorization': bearer}, status_code=[204, 423])))
            tasks.append(dict({'name': 'unlock %d' % index, 'no_log': True},
                              **_uri('{{ base }}/configuration/unlock', headers={'Authorization': bearer}, status_code=[204])))
        return play('%d SBC token+lock+unlock triples with uri' % pairs, tasks, play_vars=play_vars)
    play_vars = {'base': 'https://%s/rest/%s' % (ENV % 'SDM_HOST', SDM_API), 'ca_path': ENV % 'SDM_CA_PATH',
                 'user': ENV % 'SDM_USERNAME', 'password': ENV % 'SDM_PASSWORD'}
    cookie = {'Cookie': 'JSESSIONID={{ login_answer.cookies.JSESSIONID }}'}
    action = '{{ base }}/inventory/deviceMgmt/devices/%s/action' % device_id
    for index in range(1, pairs + 1):
        tasks.append(dict({'name': 'login %d' % index, 'register': 'login_answer', 'no_log': True},
                          **_uri('{{ base }}/admin/login', body_format='json', body={'userName': '{{ user }}', 'password': '{{ password }}'})))
        tasks.append(dict({'name': 'lock %d' % index, 'register': 'lock_answer', 'until': 'lock_answer.status in [200, 204]',
                           'retries': 60, 'delay': 1, 'no_log': True},
                          **_uri(action, body_format='json', body={'type': 'Lock'}, headers=cookie, status_code=[200, 204, 400, 409, 423])))
        tasks.append(dict({'name': 'unlock %d' % index, 'no_log': True},
                          **_uri(action, body_format='json', body={'type': 'Unlock'}, headers=cookie, status_code=[200, 204])))
        tasks.append(dict({'name': 'logout %d' % index, 'no_log': True},
                          **_uri('{{ base }}/admin/logout', headers=cookie, status_code=[200, 204])))
    return play('%d SDM login+lock+unlock+logout with uri' % pairs, tasks, play_vars=play_vars)


def empty_play():
    """No task at all: what starting ansible-playbook costs."""
    return play('no task', [])


# --------------------------------------------------------------------------------------------- provisioning

PROVISIONING_TYPE = 'mediaPolicy'


def provisioning_names(count):
    """The key (``name``) of each of the ``count`` mediaPolicy elements the element plays stage or find."""
    return ['bench-policy-%d' % index for index in range(1, count + 1)]


def provisioning_play(variant, count, device_id='ID1'):
    """One device_lock lock, ``count`` tasks of ``variant``, one device_lock unlock (``lock-only``: no task between).

    ``debug``: debug tasks; ``element-add`` / ``element-noop``: device_config_element of ``count`` distinct mediaPolicy
    names (the harness seeds them on the device for ``element-noop``); ``info``: device_config_element_info reads;
    ``push``: device_config_push with only_if_changed false and nothing staged (a full push each time).
    """
    target = {'device_id': [device_id]}
    tasks = [{'name': 'lock %s' % device_id, COLLECTION + '.device_lock': dict(target, state='locked')}]
    names = provisioning_names(count)
    for index in range(1, count + 1):
        if variant == 'lock-only':
            break
        if variant == 'debug':
            tasks.append({'name': 'debug %d' % index, 'ansible.builtin.debug': {'msg': 'task %d' % index}})
        elif variant in ('element-add', 'element-noop'):
            tasks.append({'name': 'element %d' % index, COLLECTION + '.device_config_element': {
                'device_id': device_id, 'element_type': PROVISIONING_TYPE, 'attributes': {'name': names[index - 1]}}})
        elif variant == 'info':
            tasks.append({'name': 'info %d' % index, COLLECTION + '.device_config_element_info': {
                'device_id': device_id, 'element_type': PROVISIONING_TYPE}})
        elif variant == 'push':
            tasks.append({'name': 'push %d' % index, COLLECTION + '.device_config_push': {
                'device_id': device_id, 'only_if_changed': False}})
        else:
            raise ValueError('unknown provisioning variant %r' % variant)
    tasks.append({'name': 'unlock %s' % device_id, COLLECTION + '.device_lock': dict(target, state='unlocked')})
    return play('%s: device_lock, %d tasks, unlock' % (variant, 0 if variant == 'lock-only' else count), tasks)


LIST_TYPE = 'realm-config'
LIST_VARIANTS = ('lock-only', 'elements', 'element', 'uri')


def list_realms(count):
    """The ``count`` realm-config elements the list row adds: identifier ``bench-00``... and an addr-prefix each."""
    return [{'identifier': 'bench-%02d' % index, 'addr-prefix': '10.%d.%d.0/24' % (index // 256, index % 256)} for index in range(count)]


def realm_body(realm):
    """The configElement XML a uri task POSTs for ``realm`` (what config_element and config_elements send)."""
    attributes = ''.join('<attribute><name>%s</name><value>%s</value></attribute>' % item for item in realm.items())
    return '<configElement><elementType>%s</elementType>%s</configElement>' % (LIST_TYPE, attributes)


def list_play(variant, realms):
    """One config_lock lock, the realms added as ``variant`` says, one config_lock unlock (``lock-only``: nothing between).

    ``elements``: one config_elements task (state merged) with every realm; ``element``: a config_element task per realm;
    ``uri``: an ``ansible.builtin.uri`` POST per realm with the lock's token, read from the lease record by the
    ``oracle_comms.provisioning.lease`` lookup (its documented use; templated per task).
    """
    tasks = [{'name': 'lock', COLLECTION + '.config_lock': {'state': 'locked'}, 'register': 'sbc_lock'}]
    play_vars = None
    if variant == 'elements':
        tasks.append({'name': '%d realms' % len(realms), COLLECTION + '.config_elements': {
            'element_type': LIST_TYPE, 'state': 'merged', 'config': [dict(realm) for realm in realms]}})
    elif variant == 'element':
        tasks += [{'name': 'realm %s' % realm['identifier'], COLLECTION + '.config_element': {'element_type': LIST_TYPE, 'attributes': dict(realm)}}
                  for realm in realms]
    elif variant == 'uri':
        play_vars = {'sbc': "{{ lookup('%s.lease', sbc_lock.lease_file) }}" % COLLECTION, 'ca_path': ENV % 'SBC_CA_PATH'}
        headers = {'Authorization': 'Bearer {{ sbc.token }}', 'Content-Type': 'application/xml', 'Accept': 'application/xml'}
        tasks += [dict({'name': 'realm %s' % realm['identifier'], 'no_log': True}, **_uri(
            '{{ sbc.base_url }}/configuration/configElements', headers=dict(headers), body_format='raw', body=realm_body(realm),
            status_code=[200, 201])) for realm in realms]
    elif variant != 'lock-only':
        raise ValueError('unknown list variant %r' % variant)
    tasks.append({'name': 'unlock', COLLECTION + '.config_lock': {'state': 'unlocked'}})
    return play('%s: config_lock, %d realms, unlock' % (variant, 0 if variant == 'lock-only' else len(realms)), tasks, play_vars=play_vars)


# --------------------------------------------------------------------------------------------- scale

def inventory(device_ids):
    """One inventory host per SDM device, ``device_id`` as a host var."""
    hosts = dict(('dev-%04d' % index, {'device_id': device_id}) for index, device_id in enumerate(device_ids, 1))
    return {'all': {'hosts': hosts}}


def role_play(role, tasks_file, wait_timeout):
    """Every host: the lock_session role (or its floor copy) around an empty task list."""
    return play('lock_session around nothing, per device', [{
        'name': 'Lock, run nothing, unlock',
        'ansible.builtin.include_role': {'name': role},
        'vars': {'lock_session_target': 'sdm', 'lock_session_device_ids': ['{{ device_id }}'],
                 'lock_session_tasks': str(tasks_file), 'lock_session_wait_timeout': wait_timeout},
    }], hosts='all')


def module_play(tasks_file, wait_timeout, floor=False):
    """Every host: device_lock lock, an empty task list, device_lock unlock (``floor``: debug in place of each lock task)."""
    def lock_task(state):
        if floor:
            return {'name': 'device_lock %s (debug)' % state, 'ansible.builtin.debug': {'msg': '{{ device_id }} %s' % state}}
        args = {'state': state, 'device_id': ['{{ device_id }}'], 'wait_timeout': wait_timeout}
        return {'name': 'device_lock %s' % state, COLLECTION + '.device_lock': args}
    tasks = [lock_task('locked'), {'name': 'Run nothing', 'ansible.builtin.include_tasks': str(tasks_file)}, lock_task('unlocked')]
    return play('device_lock around nothing, per device' + (' (debug floor)' if floor else ''), tasks, hosts='all')


#: The registered result a lock task of the floor role "returns": a lock taken on no device (the role opens and
#: closes its session record on it, as on a real one, and has nothing to give back).
FLOOR_RESULT = {'changed': False, 'failed': False, 'locked': True, 'endpoint': 'floor', 'lease_file': '', 'taken': True,
                'device_ids': [], 'taken_ids': []}
#: Keys of a task that hold more tasks.
_TASK_LISTS = ('block', 'rescue', 'always')
#: The role's files that are not task lists.
_NOT_TASKS = ('defaults', 'vars', 'meta')


def _task_files(role):
    """Every YAML file of ``role`` that holds tasks (tasks/, handlers/, any included directory), sorted."""
    role = pathlib.Path(role)
    return sorted(path for pattern in ('*.yml', '*.yaml') for path in role.rglob(pattern) if path.relative_to(role).parts[0] not in _NOT_TASKS)


#: The collection's module names, which a role may also give short (``collections:`` keyword).
_MODULES = frozenset(path.stem for path in (pathlib.Path(__file__).resolve().parents[1] / 'plugins' / 'modules').glob('*.py')
                     if not path.stem.startswith('_')) | {'config_lock', 'device_lock'}
#: Keys of a task that pull in more tasks from a file, and those that pull in a role.
_INCLUDES = ('import_tasks', 'include_tasks', 'ansible.builtin.import_tasks', 'ansible.builtin.include_tasks')
_ROLES = ('import_role', 'include_role', 'ansible.builtin.import_role', 'ansible.builtin.include_role')


def _is_ours(key):
    return key.startswith(COLLECTION + '.') or key in _MODULES


def _our_actions(task):
    """The keys of ``task`` that run one of the collection's actions, in the task's own or the ``action:`` form."""
    found = [key for key in task if _is_ours(key)]
    for key in ('action', 'local_action'):
        value = task.get(key)
        module = value.get('module') if isinstance(value, dict) else value.split()[0] if isinstance(value, str) and value.split() else ''
        if isinstance(module, str) and _is_ours(module):
            found.append(key)
    return found


def _replace_actions(tasks):
    """Put ``debug`` in place of every task of the collection in ``tasks``, blocks included; return how many."""
    replaced = 0
    for task in tasks if isinstance(tasks, list) else []:
        if not isinstance(task, dict):
            continue
        for key in _TASK_LISTS:
            replaced += _replace_actions(task.get(key))
        for module in _our_actions(task):
            del task[module]
            task.pop('args', None)  # the module's arguments, when given as the args keyword
            if 'register' in task and any(key == 'loop' or key.startswith('with_') for key in task):
                raise RuntimeError('a looped lock task that registers its result (%s) has no floor of the same shape' % task.get('name'))
            if 'register' in task:
                # what the role reads of a lock task's result, from an in-process task of the same cost
                task['ansible.builtin.set_fact'] = {task.pop('register'): dict(FLOOR_RESULT, msg='in place of %s' % module)}
                for key in ('until', 'retries', 'delay'):
                    task.pop(key, None)
            else:
                task['ansible.builtin.debug'] = {'msg': 'in place of %s' % module}
            replaced += 1
    return replaced


def _actions_left(tasks):
    """The collection's actions still in ``tasks`` (blocks included)."""
    left = []
    for task in tasks if isinstance(tasks, list) else []:
        if isinstance(task, dict):
            left += _our_actions(task)
            for key in _TASK_LISTS:
                left += _actions_left(task.get(key))
    return left


def _outside_references(tasks, path, role, files):
    """What ``tasks`` (of the file ``path`` in ``role``) pull in that the floor cannot vouch for: a literal tasks file that
    is not one of ``files`` (another extension, a vars file, a file outside the role), or a role of the collection."""
    found = []
    for task in tasks if isinstance(tasks, list) else []:
        if not isinstance(task, dict):
            continue
        for key in _TASK_LISTS:
            found += _outside_references(task.get(key), path, role, files)
        for key in _INCLUDES:
            value = task.get(key)
            target = value.get('file') if isinstance(value, dict) else value
            if isinstance(target, str) and '{{' not in target:
                candidates = [(path.parent / target).resolve(), (role / 'tasks' / target).resolve()]
                if not any(candidate in files for candidate in candidates):
                    found.append('%s %s' % (key, target))
        for key in _ROLES:
            value = task.get(key)
            name = value.get('name') if isinstance(value, dict) else value
            # a role of the role's own directory ({{ role_path }}/...) is in the copy; the collection's would be the real one
            if isinstance(name, str) and (name.startswith(COLLECTION + '.') or ('{{' in name and not name.startswith('{{ role_path }}'))):
                found.append('%s %s' % (key, name))
    return found


def floor_role(source, destination):
    """Copy the role at ``source`` to ``destination`` with an in-process task in place of every task of the
    collection, in every task file and block; return how many were replaced. A task that registers its result
    becomes ``set_fact`` of that name to ``FLOOR_RESULT`` (without its retries), any other ``debug``.

    Everything else (argument validation, includes, block/rescue/always, registers, conditions, retries) stays
    as it is, so the copy costs what the role costs Ansible, without the locks: the floor of the role. The copy
    is read back and refused if any of the collection's actions is left in it, or if it pulls in tasks from a file
    the copy did not rewrite or a role of the collection, so that a role that moves its lock tasks somewhere new
    cannot leave a floor that still locks. (The plays of the floor must also send no request: the benchmarks check.)
    """
    destination = pathlib.Path(destination)
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(source, destination)
    replaced = 0
    for path in _task_files(destination):
        tasks = yaml.safe_load(path.read_text(encoding='utf-8'))
        count = _replace_actions(tasks)
        if count:
            write_yaml(path, tasks)
            replaced += count
    files = [path.resolve() for path in _task_files(destination)]
    left = {}
    for path in _task_files(destination):
        tasks = yaml.safe_load(path.read_text(encoding='utf-8'))
        found = _actions_left(tasks) + _outside_references(tasks, path.resolve(), destination.resolve(), files)
        if found:
            left[str(path)] = found
    if left or not replaced:
        raise RuntimeError('the floor copy of %s still holds lock tasks (%s) or none were found: has the role changed shape?'
                           % (source, left or 'none replaced'))
    return replaced


# --------------------------------------------------------------------------------------------- one task, many devices

def fanout_play(product_ids):
    """One device_lock task for all ``product_ids``, then one to unlock them."""
    return play('%d devices in one device_lock task' % len(product_ids), [
        {'name': 'lock %d devices' % len(product_ids), COLLECTION + '.device_lock': {'device_id': list(product_ids)}},
        {'name': 'unlock %d devices' % len(product_ids), COLLECTION + '.device_lock': {'device_id': list(product_ids), 'state': 'unlocked'}},
    ])


# --------------------------------------------------------------------------------------------- hand-over and round trips

def _lock_task(product, state, device_id, wait_timeout=None):
    if product == 'sbc':
        args = {'state': state}
        module = 'config_lock'
    else:
        args = {'state': state, 'device_id': [device_id]}
        module = 'device_lock'
    if wait_timeout is not None:
        args['wait_timeout'] = wait_timeout
    return {'name': '%s %s' % (state, product), COLLECTION + '.' + module: args}


def holder_play(product, device_id, marker):
    """Take the lock, wait for ``marker`` to appear, give it back."""
    return play('hold the %s lock until %s exists' % (product.upper(), marker), [
        _lock_task(product, 'locked', device_id),
        {'name': 'hold', 'ansible.builtin.wait_for': {'path': str(marker), 'timeout': 600, 'sleep': 1}},
        _lock_task(product, 'unlocked', device_id),
    ])


def waiter_play(product, device_id, wait_timeout):
    """Wait for the lock, and give it back as soon as it is ours."""
    return play('wait for the %s lock, then give it back' % product.upper(), [
        _lock_task(product, 'locked', device_id, wait_timeout),
        _lock_task(product, 'unlocked', device_id),
    ])


def roundtrip_play(product, device_id, marker_after_lock, marker_after_relock):
    """Lock; pause; lock again (held: nothing to send); pause; unlock. The harness reads the emulator's counters in the pauses."""
    return play('%s round trips per operation' % product.upper(), [
        _lock_task(product, 'locked', device_id),
        {'name': 'pause after acquire', 'ansible.builtin.wait_for': {'path': str(marker_after_lock), 'timeout': 120, 'sleep': 1}},
        _lock_task(product, 'locked', device_id),
        {'name': 'pause after re-acquire', 'ansible.builtin.wait_for': {'path': str(marker_after_relock), 'timeout': 120, 'sleep': 1}},
        _lock_task(product, 'unlocked', device_id),
    ])


# --------------------------------------------------------------------------------------------- a role session at a distance

SESSION_REALMS = 3


def session_realms(product, count=SESSION_REALMS):
    """The realms a session adds: ``wan-0``... with an address prefix each (SBC attribute names, or the SDM's)."""
    if product == 'sbc':
        return [{'identifier': 'wan-%d' % index, 'addr-prefix': '192.0.2.%d/32' % index} for index in range(count)]
    return [{'id': 'wan-%d' % index, 'addrPrefix': '192.0.2.%d/32' % index} for index in range(count)]


def session_tasks(product, count=SESSION_REALMS, floor=False):
    """The tasks a lock_session runs: ``count`` element tasks then the commit (SBC: config_commit; SDM: the push);
    ``floor``: ``debug`` in their place."""
    if product == 'sbc':
        tasks = [{'name': 'realm %s' % realm['identifier'], COLLECTION + '.config_element': {'element_type': LIST_TYPE, 'attributes': realm}}
                 for realm in session_realms(product, count)]
        tasks.append({'name': 'save, verify, activate', COLLECTION + '.config_commit': {}})
    else:
        tasks = [{'name': 'realm %s' % realm['id'], COLLECTION + '.device_config_element': {'element_type': 'realmConfig', 'attributes': realm}}
                 for realm in session_realms(product, count)]
        tasks.append({'name': 'push', COLLECTION + '.device_config_push': {}})
    if floor:
        tasks = [{'name': task['name'], 'ansible.builtin.debug': {'msg': 'in place of a task'}} for task in tasks]
    return tasks


def session_play(product, tasks_file, role='oracle_comms.provisioning.lock_session', device_id='ID1'):
    """One ``lock_session`` (``role``: the role or its floor copy) of ``product`` around the tasks of ``tasks_file``."""
    role_vars = {'lock_session_target': product, 'lock_session_tasks': str(tasks_file), 'lock_session_wait_timeout': 60}
    if product == 'sdm':
        role_vars['lock_session_device_ids'] = [device_id]
    return play('a %s lock session around %s' % (product.upper(), pathlib.Path(str(tasks_file)).name), [
        {'name': 'the session', 'ansible.builtin.include_role': {'name': role}, 'vars': role_vars}])


def uri_session_play(count=SESSION_REALMS):
    """The SBC session as users write it with ``uri``: token, lock, a POST per realm, save / verify / activate (each
    followed by its async status until it succeeds), unlock. One task per request, as Ansible runs them."""
    play_vars = {'base': 'https://%s/rest/%s' % (ENV % 'SBC_HOST', SBC_API), 'ca_path': ENV % 'SBC_CA_PATH',
                 'user': ENV % 'SBC_USERNAME', 'password': ENV % 'SBC_PASSWORD',
                 'bearer': "Bearer {{ token_answer.content | regex_search('<accessToken>([^<]+)</accessToken>', '\\1') | first }}"}
    headers = {'Authorization': '{{ bearer }}'}
    tasks = [dict({'name': 'token', 'register': 'token_answer', 'no_log': True},
                  **_uri('{{ base }}/auth/token', url_username='{{ user }}', url_password='{{ password }}', force_basic_auth=True,
                         return_content=True)),
             dict({'name': 'lock', 'no_log': True}, **_uri('{{ base }}/configuration/lock', headers=headers, status_code=[204]))]
    for realm in session_realms('sbc', count):
        tasks.append(dict({'name': 'realm %s' % realm['identifier'], 'no_log': True}, **_uri(
            '{{ base }}/configuration/configElements', headers=dict(headers, **{'Content-Type': 'application/xml'}), body_format='raw',
            body=realm_body(realm), status_code=[200, 201])))
    for method, action in (('PUT', 'save'), ('PUT', 'verify'), ('POST', 'activate')):
        tasks.append(dict({'name': action, 'no_log': True}, **_uri('{{ base }}/configuration/management?action=%s' % action, method=method,
                                                                   headers=headers, status_code=[200, 202])))
        tasks.append(dict({'name': '%s done' % action, 'register': 'job', 'no_log': True, 'retries': 60, 'delay': 1,
                           'until': "job.content is search('<status>success</status>')"},
                          **_uri('{{ base }}/admin/asyncstatus', method='GET', headers=headers, return_content=True)))
    tasks.append(dict({'name': 'unlock', 'no_log': True}, **_uri('{{ base }}/configuration/unlock', headers=headers, status_code=[204])))
    return play('the SBC session with uri: token, lock, %d realms, commit, unlock' % count, tasks, play_vars=play_vars)
