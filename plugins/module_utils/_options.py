# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""Option handling shared by the modules: checks that turn bad input into one actionable line."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http import REASON_BAD_INPUT, OracleError, parse_host

_VERSION_RE = re.compile(r'^v\d+\.\d+$')


class Connection:
    """Validated connection settings of one device."""

    def __init__(self, endpoint, username, password, validate_certs, ca_path, timeout, api_version):
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.api_version = api_version


def connection_from_params(params, prefix, default_port, redactor):
    """Check the connection options of a ``prefix`` (SBC or SDM) task before any traffic, and return them.

    Every problem is an OracleError(bad_input) that names the option and its environment variable.
    """
    if params.get('password'):
        redactor.add(params['password'])
    for name in ('host', 'username', 'password'):
        if not params.get(name):
            raise OracleError('%s is not set: give the %s option or set %s_%s in the environment' % (name, name, prefix, name.upper()),
                              REASON_BAD_INPUT)
    endpoint = parse_host(params['host'], default_port)
    ca_path = params.get('ca_path')
    if ca_path and params.get('validate_certs', True):
        if not os.path.isfile(ca_path) or not os.access(ca_path, os.R_OK):
            raise OracleError('ca_path %s is not a readable file: point it at the PEM file of the CA that signed the %s certificate'
                              % (ca_path, prefix), REASON_BAD_INPUT)
    timeout = params.get('timeout')
    if timeout is None or timeout <= 0:
        raise OracleError('timeout must be a positive number of seconds, not %r' % (timeout,), REASON_BAD_INPUT)
    if params.get('wait_timeout') is not None and params['wait_timeout'] < 0:
        raise OracleError('wait_timeout must be 0 or more seconds, not %r' % (params['wait_timeout'],), REASON_BAD_INPUT)
    api_version = params.get('api_version') or None
    if api_version and not _VERSION_RE.match(api_version):
        raise OracleError('api_version %r is not of the form v1.2; use one the device lists' % api_version, REASON_BAD_INPUT)
    return Connection(endpoint, params['username'], params['password'], params.get('validate_certs', True), ca_path, timeout, api_version)
