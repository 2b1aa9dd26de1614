"""The body of config_element_info with a stand-in SBC: a read by the key where the filters name it, else all, filtered here."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_info_task import read_elements
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from tests.unit.plugins.module_utils.config_task_fakes import Config, Host, Task

ELEMENTS = [{'identifier': 'core', 'trust': 'low'}, {'identifier': 'edge', 'trust': 'none'}]


def test_filters_naming_every_key_read_one_element():
    config = Config(ELEMENTS)
    task = Task(config)
    result = read_elements({'element_type': 'realm-config', 'filters': {'identifier': 'edge'}}, Host(), None, task)
    assert result == dict(changed=False, element_type='realm-config', elements=[ELEMENTS[1]], key_attributes=['identifier'])
    assert ('find', {'identifier': 'edge'}) in config.calls and task.made == 'config_element_info' and task.closed


def test_other_filters_read_all_and_compare_as_the_metadata_says():
    config = Config(ELEMENTS)
    result = read_elements({'element_type': 'realm-config', 'filters': {'trust': 'LOW'}}, Host(), None, Task(config))
    assert result['elements'] == [ELEMENTS[0]] and ('every', 'realm-config') in config.calls


def test_a_filter_on_no_attribute_of_the_type_is_bad_input():
    with pytest.raises(OracleError) as caught:
        read_elements({'element_type': 'realm-config', 'filters': {'colour': 'red'}}, Host(), None, Task(Config(ELEMENTS)))
    assert caught.value.reason == 'bad_input' and 'realm-config has no attribute colour' in caught.value.msg
