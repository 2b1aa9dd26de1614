"""The tasks file of a lock session: resolved from the playbook's directory, refused when it would end the play under the lock."""

import os

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._session_tasks import SessionTasksError, session_tasks


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize('name', ['acquire.yml', 'release.yml', 'main.yml', 'tasks/main.yml', 'session.yml'])
def test_a_relative_name_is_the_users_file_beside_the_playbook_whatever_it_is_called(tmp_path, name):
    expected = write(tmp_path / name, '- ansible.builtin.debug: msg=mine\n')
    assert session_tasks(name, str(tmp_path)) == str(expected)


def test_an_absolute_name_and_a_home_relative_one_are_taken_as_given(tmp_path, monkeypatch):
    target = write(tmp_path / 'elsewhere' / 'x.yml', '- ansible.builtin.debug: msg=x\n')
    assert session_tasks(str(target), '/nonexistent') == str(target)
    monkeypatch.setenv('HOME', str(tmp_path))
    assert session_tasks('~/elsewhere/x.yml', '/nonexistent') == str(target)


@pytest.mark.parametrize('name', ['missing.yml', '', '   ', None, 'subdir'])
def test_no_such_file_fails_before_anything_is_locked(tmp_path, name):
    (tmp_path / 'subdir').mkdir()
    with pytest.raises(SessionTasksError) as err:
        session_tasks(name, str(tmp_path))
    assert 'lock_session_tasks' in str(err.value) and '\n' not in str(err.value)


@pytest.mark.parametrize('meta', ['end_host', 'end_batch', 'end_play'])
@pytest.mark.parametrize('form', ['meta: {meta}', 'ansible.builtin.meta: {meta}', 'ansible.legacy.meta: "{meta}"'])
def test_a_meta_that_ends_the_host_is_refused_with_its_file_and_line(tmp_path, meta, form):
    path = write(tmp_path / 't.yml', '- ansible.builtin.debug: msg=one\n- name: stop here\n  %s\n' % form.format(meta=meta))
    with pytest.raises(SessionTasksError) as err:
        session_tasks('t.yml', str(tmp_path))
    assert '%s line 2 uses meta: %s' % (path, meta) in str(err.value) and 'nothing was locked' in str(err.value)


def test_end_role_and_other_metas_are_allowed(tmp_path):
    write(tmp_path / 't.yml', '- meta: end_role\n- meta: flush_handlers\n- meta: clear_host_errors\n- meta: refresh_inventory\n')
    assert session_tasks('t.yml', str(tmp_path)).endswith('t.yml')


@pytest.mark.parametrize('nesting', ['block', 'rescue', 'always'])
def test_a_meta_inside_a_block_is_found(tmp_path, nesting):
    write(tmp_path / 't.yml', '- block:\n    - ansible.builtin.debug: msg=x\n  %s:\n    - block:\n        - meta: end_play\n' % nesting
          if nesting != 'block' else '- block:\n    - block:\n        - meta: end_play\n')
    with pytest.raises(SessionTasksError):
        session_tasks('t.yml', str(tmp_path))


@pytest.mark.parametrize('include', ['include_tasks: {f}', 'ansible.builtin.import_tasks: {f}', 'include_tasks:\n    file: {f}'])
def test_a_meta_in_a_file_included_by_a_literal_name_is_found(tmp_path, include):
    inner = write(tmp_path / 'sub' / 'inner.yml', '- meta: end_host\n')
    write(tmp_path / 'sub' / 'outer.yml', '- %s\n' % include.format(f='inner.yml'))
    write(tmp_path / 't.yml', '- %s\n' % include.format(f='sub/outer.yml'))
    with pytest.raises(SessionTasksError) as err:
        session_tasks('t.yml', str(tmp_path))
    assert str(inner) in str(err.value)


def test_templated_includes_and_loops_of_includes_are_left_to_ansible_and_yaml_errors_refused(tmp_path):
    write(tmp_path / 'inner.yml', '- meta: end_host\n')
    write(tmp_path / 'self.yml', '- include_tasks: self.yml\n- include_tasks: "{{ name }}.yml"\n')
    assert session_tasks('self.yml', str(tmp_path)).endswith('self.yml')  # no endless recursion, no guess at templates
    write(tmp_path / 'bad.yml', '- this: [is not\n')
    with pytest.raises(SessionTasksError) as err:
        session_tasks('bad.yml', str(tmp_path))
    assert 'is not valid YAML' in str(err.value) and 'nothing was locked' in str(err.value)
    write(tmp_path / 'tagged.yml', '- !unsafe "{{ x }}"\n- meta: noop\n')
    assert os.path.isfile(session_tasks('tagged.yml', str(tmp_path)))


@pytest.mark.parametrize('text', [
    '- action: meta end_host\n',
    '- local_action: ansible.builtin.meta end_play\n',
    '- action:\n    module: meta\n    _raw_params: end_batch\n',
    '- &ending\n  meta: noop\n- name: harmless\n  ansible.builtin.debug: msg=x\n- <<: {meta: end_host}\n  name: built from a mapping\n',
    '- x: &stop {meta: end_play}\n  ansible.builtin.debug: msg=x\n- <<: *stop\n  name: built from an anchor\n',
], ids=['action', 'local_action', 'action-mapping', 'merge-mapping', 'merge-anchor'])
def test_every_spelling_of_an_ending_meta_is_refused(tmp_path, text):
    write(tmp_path / 't.yml', text)
    with pytest.raises(SessionTasksError):
        session_tasks('t.yml', str(tmp_path))


@pytest.mark.parametrize('where', ['beside', 'tasks-beside', 'playbook', 'playbook-tasks'])
def test_every_place_ansible_may_find_an_included_file_is_read(tmp_path, where):
    """Ansible looks for a relative include in several places, in an order that differs between include and import:
    whichever holds a file that ends the host is refused, whatever the others hold."""
    playbook = tmp_path / 'play'
    write(playbook / 'work' / 'change.yml', '- ansible.builtin.include_tasks: helper.yml\n')
    for place in ('beside', 'tasks-beside', 'playbook', 'playbook-tasks'):
        path = {'beside': playbook / 'work' / 'helper.yml', 'tasks-beside': playbook / 'work' / 'tasks' / 'helper.yml',
                'playbook': playbook / 'helper.yml', 'playbook-tasks': playbook / 'tasks' / 'helper.yml'}[place]
        write(path, '- meta: end_host\n' if place == where else '- ansible.builtin.debug: msg=harmless\n')
    with pytest.raises(SessionTasksError):
        session_tasks('work/change.yml', str(playbook))


@pytest.mark.parametrize('text', [
    '- meta: {_raw_params: end_host}\n',
    '- meta:\n  args: {_raw_params: end_host}\n',
    '- include_tasks: file=ending.yml\n',
    '- include_tasks: {_raw_params: ending.yml}\n',
    '- import_tasks:\n  args: {file: ending.yml}\n',
    '- ansible.builtin.include_tasks:\n    file: ending.yml\n    apply: {tags: [x]}\n',
], ids=['meta-raw-params', 'meta-args', 'include-key-value', 'include-raw-params', 'import-args-file', 'include-file-apply'])
def test_every_free_form_and_argument_spelling_is_read(tmp_path, text):
    write(tmp_path / 'ending.yml', '- meta: end_host\n')
    write(tmp_path / 't.yml', text)
    with pytest.raises(SessionTasksError):
        session_tasks('t.yml', str(tmp_path))
