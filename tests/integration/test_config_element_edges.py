"""Reproducers of an adversarial pass over the configuration modules, as real plays against the emulator
(tests/integration/playbooks/oracle_shapes/): answers at the edges of what Oracle documents."""

import pytest

from tests.integration.test_config_element_oracle import CHANGING, METADATA, PUT, routes

pytestmark = pytest.mark.integration


@pytest.mark.parametrize('missing', ['empty', '404'])
def test_an_unknown_type_named_with_key_attributes_is_not_found_never_absent(ansible, emulator, missing):
    emulator.set_switches({'sbc.keyed_missing': missing})
    play = ansible.run('oracle_shapes/unknown_type.yml')
    assert play.returncode == 0, play
    assert not [route for route in CHANGING if routes(emulator).get(route)]


def test_a_respelled_value_under_unreadable_metadata_is_settled_by_the_sbc_answer(ansible, emulator):
    emulator.set_switches({'sbc.values': 'canonical', 'sbc.metadata_shape': 'none'})
    play = ansible.run('oracle_shapes/unreadable_metadata_values.yml')
    assert play.returncode == 0, play
    # without the metadata the values are compared as text: one PUT, which the SBC answers unchanged; nothing committed
    assert {route: count for route, count in routes(emulator).items() if route in CHANGING} == {PUT: 1}
    assert routes(emulator)[METADATA] == 2  # the task's look for the value type, and the info task's
