"""config_element, config_commit and config_element_info in real plays against the emulator over HTTPS, under every
switch for the answers Oracle documents in more than one way or leaves open (tests/integration/playbooks/oracle_shapes/).

Each answer shape is a switch of the emulator (docs/emulator.md); the counts asserted are the emulator's request
counters, so they say exactly which requests the modules sent.
"""

import pytest

pytestmark = pytest.mark.integration

ELEMENTS = 'configuration/configElements'
POST, PUT, DELETE = ('%s /rest/{v}/%s' % (method, ELEMENTS) for method in ('POST', 'PUT', 'DELETE'))
SAVE_VERIFY, ACTIVATE = 'PUT /rest/{v}/configuration/management', 'POST /rest/{v}/configuration/management'
METADATA = 'GET /rest/{v}/configuration/elementTypes/metadata'
STATUS = 'GET /rest/{v}/admin/asyncstatus'
CHANGING = (POST, PUT, DELETE, SAVE_VERIFY, ACTIVATE)

#: One run per switch value of each answer the modules parse, and one with every non-default value at once.
SWITCHES = [
    {},
    {'sbc.metadata_shape': 'attribute'},
    {'sbc.keyed_missing': '404'},
    {'sbc.values': 'canonical'},
    {'sbc.change_answer': 'empty'},
    {'sbc.post_status': '201'},
    {'sbc.page_size': '1'},
    {'sbc.async_link': 'per_job'},
    {'sbc.async_link': 'per_job', 'sbc.link_host': 'other'},
    {'sbc.async_link': 'per_job', 'sbc.link_host': 'relative'},
    {'sbc.link_host': 'other', 'sbc.page_size': '1'},
    {'sbc.message_shape': 'reasonPhrase'},
    {'sbc.metadata_shape': 'attribute', 'sbc.keyed_missing': '404', 'sbc.values': 'canonical', 'sbc.change_answer': 'empty',
     'sbc.post_status': '201', 'sbc.page_size': '1', 'sbc.async_link': 'per_job', 'sbc.link_host': 'other'},
]
IDS = ['defaults'] + ['+'.join('%s=%s' % (k.split('.', 1)[1], v) for k, v in s.items()) for s in SWITCHES[1:-1]] + ['all-at-once']


def routes(emulator):
    return emulator.stats('sbc1')['by_route']


def changing(emulator):
    """The changing requests the SBC received since the counters were zeroed, by route."""
    return dict((route, count) for route, count in routes(emulator).items() if route in CHANGING)


def run(ansible, playbook, **kwargs):
    play = ansible.run('oracle_shapes/%s' % playbook, **kwargs)
    assert play.returncode == 0, play
    return play


@pytest.mark.parametrize('keys', [[], ['identifier']], ids=['keys-from-metadata', 'key_attributes'])
@pytest.mark.parametrize('switches', SWITCHES, ids=IDS)
def test_add_rerun_check_update_read_delete_under_every_answer_shape(ansible, emulator, switches, keys):
    emulator.set_switches(switches)
    given = {'key_attributes': keys}

    # add: one POST each, one commit of three steps
    run(ansible, 'apply.yml', extra_vars=dict(given, description='first'))
    assert changing(emulator) == {POST: 2, SAVE_VERIFY: 2, ACTIVATE: 1}
    missing_404 = switches.get('sbc.keyed_missing') == '404'
    if keys:
        # key_attributes spare the metadata read; only a 404 to the read of a missing element asks whether the type exists
        assert routes(emulator).get(METADATA, 0) == (2 if missing_404 else 0)
    # the only 404s are the reads of the two missing elements: every poll found its job on this SBC
    assert emulator.stats('sbc1')['by_status'].get('404') == (2 if missing_404 else None)
    assert routes(emulator)[STATUS] >= 3

    # the same again: whatever spelling the SBC answers with, nothing to send and nothing to commit
    emulator.reset_stats()
    run(ansible, 'apply.yml', extra_vars=dict(given, description='first', expect_realm=False, expect_sip=False, expect_commit=False))
    assert changing(emulator) == {}

    # check mode predicts the update and sends nothing that changes
    emulator.reset_stats()
    run(ansible, 'apply.yml', check=True, extra_vars=dict(given, description='second', expect_sip=False, expect_commit=False))
    assert changing(emulator) == {}

    # the update: one PUT (the SIP interface is as asked), one commit
    emulator.reset_stats()
    run(ansible, 'apply.yml', extra_vars=dict(given, description='second', expect_sip=False))
    assert changing(emulator) == {PUT: 1, SAVE_VERIFY: 2, ACTIVATE: 1}

    # read by key, by another attribute (all pages), and a missing one
    emulator.reset_stats()
    run(ansible, 'info.yml')
    assert changing(emulator) == {}

    # delete both, the second delete of the realm finds nothing to do
    emulator.reset_stats()
    run(ansible, 'delete.yml', extra_vars=given)
    assert changing(emulator) == {DELETE: 2, SAVE_VERIFY: 2, ACTIVATE: 1}


@pytest.mark.parametrize('switches', [
    {},
    {'sbc.async_link': 'per_job', 'sbc.link_host': 'other'},
    {'sbc.link_host': 'relative'},
], ids=['shared-link', 'per-job-link-on-another-host', 'relative-link'])
@pytest.mark.parametrize('where, words', [
    ('errorMessage', 'verify failed (emulated failure)'),
    ('additionalInfo', 'verify failed: realm-config core: network-interfaces M00:0 does not exist (emulated failure)'),
    ('absent', 'carries no words of why'),
])
def test_a_failed_verify_fails_the_commit_with_the_sbc_words(ansible, emulator, where, words, switches):
    emulator.set_switches(dict(switches, **{'sbc.async_result': 'verify_fail', 'sbc.async_error': where}))
    play = run(ansible, 'verify_fails.yml')
    assert 'COMMIT config_failed | the verify of the configuration on SBC' in play.stdout, play
    assert words in play.stdout, play
    assert 'no reason given' not in play.stdout
    # save, then the failed verify; activate never starts
    assert changing(emulator) == {PUT: 1, SAVE_VERIFY: 2}


@pytest.mark.parametrize('shape', ['none'])
def test_metadata_in_no_readable_shape_fails_only_without_key_attributes(ansible, emulator, shape):
    emulator.set_switches({'sbc.metadata_shape': shape})
    run(ansible, 'no_metadata.yml')
    # the failed task sent nothing but its metadata read; the others needed no metadata
    assert routes(emulator)[METADATA] == 1
    assert changing(emulator) == {POST: 1, DELETE: 1}


@pytest.mark.parametrize('mode', ['type_only', 'attributes'])
def test_an_absent_singleton_is_made_by_a_post_of_its_type_then_a_put(ansible, emulator, mode):
    """Oracle: a singleton is created by a POST of its type alone, then set by a PUT. Whether the SBC keeps attributes sent in
    the POST or not, the element ends as asked: one POST (type only), one PUT, and the re-run sends nothing."""
    emulator.set_switches({'sbc.singleton_post': mode})
    play = ansible.run('oracle_shapes/singleton.yml', verbosity=1)
    assert play.returncode == 0, play
    counts = routes(emulator)
    assert counts.get(POST) == 1 and counts.get(PUT) == 1 and counts.get(DELETE) == 1, counts
    assert 'other values than asked' not in play.output, play
