"""Lookups as ansible-core runs them: their options defined from their own DOCUMENTATION."""

import pytest
import yaml
from ansible import constants as C


@pytest.fixture
def lookup():
    """``lookup(module)``: the module's LookupModule, its options known to ansible-core's configuration as the loader makes them."""

    def make(module):
        plugin = module.LookupModule()
        plugin._load_name = 'oracle_comms.provisioning.' + module.__name__.rsplit('.', 1)[-1]
        options = yaml.safe_load(module.DOCUMENTATION).get('options') or {}
        C.config.initialize_plugin_configuration_definitions('lookup', plugin._load_name, options)
        return plugin

    return make
