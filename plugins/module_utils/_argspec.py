# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""Argument specs shared by the modules, as objects that merge (never copied dicts).

The doc fragments in plugins/doc_fragments/ document exactly these options.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.module_utils.common.parameters import env_fallback


class ArgumentSpec:
    """An argument spec plus its cross-option rules; ``merge`` combines specs, ``to_kwargs`` feeds AnsibleModule."""

    RULES = ('mutually_exclusive', 'required_together', 'required_one_of', 'required_if', 'required_by')

    def __init__(self, argument_spec=None, **rules):
        self.argument_spec = copy.deepcopy(argument_spec or {})
        self.rules = dict((name, list(rules.get(name) or [])) for name in self.RULES)
        if isinstance(rules.get('required_by'), dict):
            self.rules['required_by'] = dict(rules['required_by'])

    def merge(self, *others):
        """A new spec holding this one and ``others``; a later option of the same name wins."""
        merged = ArgumentSpec(self.argument_spec, **self.rules)
        for other in others:
            merged.argument_spec.update(copy.deepcopy(other.argument_spec))
            for name in self.RULES:
                if name == 'required_by':
                    merged.rules[name] = dict(merged.rules[name] or {}, **(other.rules[name] or {}))
                else:
                    merged.rules[name] = merged.rules[name] + other.rules[name]
        return merged

    def to_kwargs(self):
        kwargs = dict(argument_spec=copy.deepcopy(self.argument_spec))
        for name, value in self.rules.items():
            if value:
                kwargs[name] = copy.deepcopy(value)
        return kwargs


def connection_spec(prefix, api_version_default=None):
    """Connection options of one product; ``prefix`` (SBC or SDM) names the environment variables."""

    def env(name):
        return (env_fallback, ['%s_%s' % (prefix, name)])

    return ArgumentSpec(dict(
        host=dict(type='str', fallback=env('HOST')),
        username=dict(type='str', fallback=env('USERNAME')),
        password=dict(type='str', no_log=True, fallback=env('PASSWORD')),
        validate_certs=dict(type='bool', default=True, fallback=env('VALIDATE_CERTS')),
        ca_path=dict(type='path', fallback=env('CA_PATH')),
        timeout=dict(type='float', default=30.0, fallback=env('TIMEOUT')),
        api_version=dict(type='str', default=api_version_default, fallback=env('API_VERSION')),
    ))


#: Where the lease record is kept (doc fragment oracle_comms.provisioning.lease): the lock modules and the modules that
#: work under their lock.
LEASE_SPEC = ArgumentSpec(dict(
    lease_dir=dict(type='path', fallback=(env_fallback, ['ORACLE_COMMS_LEASE_DIR'])),
    lease_backend=dict(type='str', default='file', choices=['file', 'etcd'], fallback=(env_fallback, ['ORACLE_COMMS_LEASE_BACKEND'])),
    lease_ttl=dict(type='float', default=15.0, fallback=(env_fallback, ['ORACLE_COMMS_LEASE_TTL'])),
    lease_etcd_endpoints=dict(type='list', elements='str', fallback=(env_fallback, ['ORACLE_COMMS_ETCD_ENDPOINTS'])),
    lease_etcd_ca_path=dict(type='path', fallback=(env_fallback, ['ORACLE_COMMS_ETCD_CA_PATH'])),
    lease_etcd_client_cert=dict(type='path', fallback=(env_fallback, ['ORACLE_COMMS_ETCD_CLIENT_CERT'])),
    lease_etcd_client_key=dict(type='path', no_log=False, fallback=(env_fallback, ['ORACLE_COMMS_ETCD_CLIENT_KEY'])),
    lease_etcd_username=dict(type='str', fallback=(env_fallback, ['ORACLE_COMMS_ETCD_USERNAME'])),
    lease_etcd_password=dict(type='str', no_log=True, fallback=(env_fallback, ['ORACLE_COMMS_ETCD_PASSWORD'])),
    lease_etcd_allow_http=dict(type='bool', default=False, fallback=(env_fallback, ['ORACLE_COMMS_ETCD_ALLOW_HTTP'])),
    lease_etcd_store_token=dict(type='bool', default=False, fallback=(env_fallback, ['ORACLE_COMMS_ETCD_STORE_TOKEN'])),
), required_together=[('lease_etcd_client_cert', 'lease_etcd_client_key'), ('lease_etcd_username', 'lease_etcd_password')])

LOCK_SPEC = ArgumentSpec(dict(
    state=dict(type='str', default='locked', choices=['locked', 'unlocked']),
    wait_timeout=dict(type='float', default=0.0),
    release_on_exit=dict(type='bool', default=True, fallback=(env_fallback, ['ORACLE_COMMS_RELEASE_ON_EXIT'])),
)).merge(LEASE_SPEC)

SBC_SPEC = connection_spec('SBC').merge(LOCK_SPEC, ArgumentSpec(dict(
    token=dict(type='str', no_log=True),
    token_lifetime=dict(type='float', default=600.0, no_log=False, fallback=(env_fallback, ['SBC_TOKEN_LIFETIME'])),
    return_token=dict(type='bool', default=False),
)))

SDM_SPEC = connection_spec('SDM', api_version_default='v1.3').merge(LOCK_SPEC, ArgumentSpec(
    dict(
        device_id=dict(type='list', elements='str'),
        device=dict(type='list', elements='str'),
        group=dict(type='dict', options=dict(
            nf_id=dict(type='str', required=True),
            group_id=dict(type='str', required=True),
        )),
    ),
    mutually_exclusive=[('device_id', 'device', 'group')],
    required_one_of=[('device_id', 'device', 'group')],
))

# -- the configuration modules (config_element, config_commit, config_element_info) -------------------

_CONFIG_BASE_SPEC = connection_spec('SBC').merge(LEASE_SPEC, ArgumentSpec(dict(
    token_lifetime=dict(type='float', default=600.0, no_log=False, fallback=(env_fallback, ['SBC_TOKEN_LIFETIME'])),
)))

CONFIG_ELEMENT_SPEC = _CONFIG_BASE_SPEC.merge(ArgumentSpec(dict(
    element_type=dict(type='str', required=True),
    attributes=dict(type='dict', default={}),
    key_attributes=dict(type='list', elements='str', no_log=False),
    state=dict(type='str', default='present', choices=['present', 'absent']),
)))

#: The resource-module states of config_elements (ansible.netcommon's names and meanings).
CONFIG_ELEMENTS_STATES = ['merged', 'replaced', 'overridden', 'deleted', 'gathered', 'rendered', 'parsed']

#: The options of a list of elements in one task (config_elements and device_config_elements).
_LIST_SPEC = ArgumentSpec(dict(
    element_type=dict(type='str', required=True),
    config=dict(type='list', elements='dict'),
    key_attributes=dict(type='list', elements='str', no_log=False),
    state=dict(type='str', default='merged', choices=CONFIG_ELEMENTS_STATES),
    running_config=dict(type='str'),
), required_if=[('state', 'parsed', ('running_config',)), ('state', 'rendered', ('config',))])

CONFIG_ELEMENTS_SPEC = _CONFIG_BASE_SPEC.merge(_LIST_SPEC)

CONFIG_COMMIT_SPEC = _CONFIG_BASE_SPEC.merge(ArgumentSpec(dict(
    steps=dict(type='list', elements='str', default=['save', 'verify', 'activate'], choices=['save', 'verify', 'activate']),
    only_if_changed=dict(type='bool', default=True),
    async_timeout=dict(type='float', default=300.0),
)))

CONFIG_ELEMENT_INFO_SPEC = _CONFIG_BASE_SPEC.merge(ArgumentSpec(dict(
    element_type=dict(type='str', required=True),
    filters=dict(type='dict', default={}),
)))


# -- the SDM provisioning modules (device_config_element, device_config_element_info, device_config_push) -----

_DEVICE_CONFIG_BASE_SPEC = connection_spec('SDM', api_version_default='v1.3').merge(LEASE_SPEC, ArgumentSpec(
    dict(
        device_id=dict(type='str'),
        device=dict(type='str'),
    ),
    mutually_exclusive=[('device_id', 'device')],
))

DEVICE_CONFIG_ELEMENT_SPEC = _DEVICE_CONFIG_BASE_SPEC.merge(ArgumentSpec(dict(
    element_type=dict(type='str', required=True),
    attributes=dict(type='dict', default={}),
    key_attributes=dict(type='list', elements='str', no_log=False),
    state=dict(type='str', default='present', choices=['present', 'absent']),
)))

DEVICE_CONFIG_ELEMENTS_SPEC = _DEVICE_CONFIG_BASE_SPEC.merge(_LIST_SPEC)

DEVICE_CONFIG_PUSH_SPEC = _DEVICE_CONFIG_BASE_SPEC.merge(ArgumentSpec(dict(
    state=dict(type='str', default='pushed', choices=['pushed', 'discarded']),
    push_type=dict(type='str', default='save_activate', choices=['save_activate', 'save', 'activate']),
    only_if_changed=dict(type='bool', default=True),
    include_foreign_changes=dict(type='bool', default=False),
    push_timeout=dict(type='float', default=600.0),
)))

DEVICE_CONFIG_ELEMENT_INFO_SPEC = _DEVICE_CONFIG_BASE_SPEC.merge(ArgumentSpec(dict(
    element_type=dict(type='str', required=True),
    filters=dict(type='dict', default={}),
)))
