# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""Option handling shared by the modules: checks that turn bad input into one actionable line, before any traffic."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import math
import os
import re

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._endpoint import canonical_id, parse_host, shown
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import REASON_BAD_INPUT, OracleError

#: The documented HTTPS ports of the REST APIs (the SBC's http-server default; the SDM's installer default).
SBC_PORT = 443
SDM_PORT = 8443

#: ASCII digits only: a Unicode digit would pass ``\d`` and end up in every URL.
_VERSION_RE = re.compile(r'^v\d+\.\d+\Z', re.ASCII)
_CONTROL_RE = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029]')

#: (low, low included, high) of each number of seconds: finite, and bounded so that no deadline overflows a clock.
TIMEOUT_RANGE = (0.0, False, 3600.0)
WAIT_TIMEOUT_RANGE = (0.0, True, 86400.0)
#: 1 s, not more: lab SBCs and the emulator's short-token tests use lifetimes of a few seconds.
TOKEN_LIFETIME_RANGE = (1.0, True, 86400.0)


class Connection:
    """Validated connection settings of one device.

    ``wait_timeout`` and ``token_lifetime`` are the checked floats, or None where the task has no such option.
    """

    def __init__(self, endpoint, username, password, validate_certs, ca_path, timeout, api_version, wait_timeout=None,
                 token_lifetime=None):
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.api_version = api_version
        self.wait_timeout = wait_timeout
        self.token_lifetime = token_lifetime


def _bad(msg):
    return OracleError(msg, REASON_BAD_INPUT)


def seconds(value, option, bounds, env=None):
    """``value`` as a finite float within ``bounds`` (low, low included, high); OracleError(bad_input) naming ``option`` if not.

    Accepts int, float and numeric text (Ansible hands over floats; a keeper or a test may not); refuses
    booleans, nan, infinities and numbers too large for a float.
    """
    low, low_included, high = bounds
    where = ' (or %s)' % env if env else ''
    wanted = '%s %s and at most %s seconds' % ('at least' if low_included else 'more than', _number_text(low), _number_text(high))
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError(value)
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise _bad('%s must be a number, %s, not %s; set %s%s' % (option, wanted, shown(value, 40), option, where))
    if not math.isfinite(number) or number < low or (number == low and not low_included) or number > high:
        raise _bad('%s must be %s, not %s; set %s%s' % (option, wanted, shown(value, 40), option, where))
    return number


def _number_text(number):
    return '%d' % number if number == int(number) else '%s' % number


def _present(params, name, prefix):
    value = params.get(name)
    if value is None or value == '':
        raise _bad('%s is not set: give the %s option or set %s_%s in the environment' % (name, name, prefix, name.upper()))
    if not isinstance(value, str):
        raise _bad('%s must be text, not %s; give it as a string' % (name, type(value).__name__))
    return value


def connection_from_params(params, prefix, default_port, redactor):
    """Check every connection and timing option of a ``prefix`` (SBC or SDM) task before any traffic, and return them.

    Checks: ``host`` (see _endpoint.parse_host), ``username`` and ``password`` set (``username`` without control
    characters), ``api_version`` of the form v1.2 in ASCII digits, ``timeout`` finite in (0, 3600],
    ``wait_timeout`` finite in [0, 86400] and ``token_lifetime`` finite in [1, 86400] where the task has them,
    and ``ca_path`` a readable file where certificates are checked. Every problem is an OracleError(bad_input)
    that names the option (and its environment variable, where it has one).
    """
    if params.get('password'):
        redactor.add(params['password'])
    host = _present(params, 'host', prefix)
    username = _present(params, 'username', prefix)
    password = _present(params, 'password', prefix)
    endpoint = parse_host(host, default_port)
    if _CONTROL_RE.search(username):
        raise _bad('username %s contains control characters; give the user name alone' % shown(username))
    api_version = params.get('api_version') or None
    if api_version is not None and (not isinstance(api_version, str) or not _VERSION_RE.match(api_version)):
        raise _bad('api_version %s is not of the form v1.2 (ASCII digits, nothing around it); use one the device lists, or set '
                   '%s_API_VERSION' % (shown(api_version, 40), prefix))
    timeout = seconds(params.get('timeout'), 'timeout', TIMEOUT_RANGE, '%s_TIMEOUT' % prefix)
    wait_timeout = None
    if params.get('wait_timeout') is not None:
        wait_timeout = seconds(params['wait_timeout'], 'wait_timeout', WAIT_TIMEOUT_RANGE)
    token_lifetime = None
    if params.get('token_lifetime') is not None:
        token_lifetime = seconds(params['token_lifetime'], 'token_lifetime', TOKEN_LIFETIME_RANGE, '%s_TOKEN_LIFETIME' % prefix)
    validate_certs = params.get('validate_certs', True)
    ca_path = params.get('ca_path')
    if ca_path and validate_certs:
        if not isinstance(ca_path, str) or not os.path.isfile(ca_path) or not os.access(ca_path, os.R_OK):
            raise _bad('ca_path %s is not a readable file: point it at the PEM file of the CA that signed the %s certificate, or set '
                       '%s_CA_PATH' % (shown(ca_path), prefix, prefix))
    return Connection(endpoint, username, password, validate_certs, ca_path, timeout, api_version, wait_timeout, token_lifetime)


def device_ids_from_params(params):
    """The SDM device ids a ``device_lock`` task names in ``device_id``, checked before any traffic.

    Returns a list of canonical ids (each stripped and checked by _endpoint.canonical_id), duplicates
    dropped, in the order given; an empty list when ``device_id`` is not given (the task names ``device``
    or ``group`` instead). Raises OracleError(bad_input) naming ``device_id`` when the list is empty or
    any item is empty or not an SDM id: one bad item fails the task, none is skipped.
    """
    items = params.get('device_id')
    if items is None:
        return []
    if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple)):
        items = [items]
    if not items:
        raise _bad('device_id is empty: give one or more SDM device ids, e.g. ID18')
    device_ids = []
    for index, item in enumerate(items):
        option = 'device_id' if len(items) == 1 else 'device_id item %d' % (index + 1)
        device_id = canonical_id(item, option)
        if device_id not in device_ids:
            device_ids.append(device_id)
    return device_ids


def group_from_params(params):
    """``(nf_id, group_id)`` of a ``device_lock`` task's ``group``, each canonical (see device_ids_from_params), or None.

    Raises OracleError(bad_input) naming ``group.nf_id`` or ``group.group_id`` when either is missing or not an SDM id.
    """
    group = params.get('group')
    if not group:
        return None
    if not isinstance(group, dict):
        raise _bad('group must be a dictionary with nf_id and group_id, e.g. {nf_id: ID101, group_id: ID201}')
    return tuple(canonical_id('' if group.get(name) is None else group[name], 'group.%s' % name) for name in ('nf_id', 'group_id'))


#: Seconds a guard or a run's liveness outlives its holder in a shared lease record (etcd leases are whole seconds).
LEASE_TTL_RANGE = (2.0, True, 3600.0)
LEASE_BACKENDS = ('file', 'etcd')


def _loopback(host):
    if host.lower() == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _readable(value, option, env):
    if not isinstance(value, str) or not os.path.isfile(value) or not os.access(value, os.R_OK):
        raise _bad('%s %s is not a readable file; point it at the PEM file, or set %s' % (option, shown(value), env))
    return value


class LeaseOptions:
    """Where the lease record is kept: ``backend`` (file or etcd) and, for etcd, the checked endpoints, TTL, TLS and sign-in.

    Every problem is OracleError(bad_input) naming the option, before any traffic. ``https://`` endpoints by default;
    ``http://`` only on a loopback address or with ``lease_etcd_allow_http``.
    """

    def __init__(self, params, redactor=None):
        self.backend = params.get('lease_backend') or 'file'
        if self.backend not in LEASE_BACKENDS:
            raise _bad('lease_backend must be file or etcd, not %s; set lease_backend (or ORACLE_COMMS_LEASE_BACKEND)' % shown(self.backend, 20))
        ttl = params.get('lease_ttl')
        self.ttl = seconds(15.0 if ttl is None else ttl, 'lease_ttl', LEASE_TTL_RANGE, 'ORACLE_COMMS_LEASE_TTL')
        self.endpoints = []
        self.ca_path = params.get('lease_etcd_ca_path') or None
        self.client_cert = params.get('lease_etcd_client_cert') or None
        self.client_key = params.get('lease_etcd_client_key') or None
        self.username = params.get('lease_etcd_username') or None
        self.password = params.get('lease_etcd_password') or None
        #: the SBC token goes into etcd too (other controllers can then adopt or give back a dead run's SBC lock)
        self.store_token = bool(params.get('lease_etcd_store_token'))
        if self.password and redactor is not None:
            redactor.add(self.password)
        if self.backend != 'etcd':
            return
        endpoints = params.get('lease_etcd_endpoints')
        if isinstance(endpoints, str):
            endpoints = endpoints.split(',')
        endpoints = [item.strip() for item in (endpoints or []) if isinstance(item, str) and item.strip()]
        if not endpoints:
            raise _bad('lease_etcd_endpoints is not set: give the etcd client URLs (https://etcd1:2379, ...) or set '
                       'ORACLE_COMMS_ETCD_ENDPOINTS (comma-separated)')
        allow_http = bool(params.get('lease_etcd_allow_http'))
        for url in endpoints:
            self.endpoints.append(self._endpoint(url, allow_http))
        if self.ca_path:
            _readable(self.ca_path, 'lease_etcd_ca_path', 'ORACLE_COMMS_ETCD_CA_PATH')
        if bool(self.client_cert) != bool(self.client_key):
            raise _bad('lease_etcd_client_cert and lease_etcd_client_key go together: give both or neither')
        if self.client_cert:
            _readable(self.client_cert, 'lease_etcd_client_cert', 'ORACLE_COMMS_ETCD_CLIENT_CERT')
            _readable(self.client_key, 'lease_etcd_client_key', 'ORACLE_COMMS_ETCD_CLIENT_KEY')
        if bool(self.username) != bool(self.password):
            raise _bad('lease_etcd_username and lease_etcd_password go together: give both or neither')
        if self.username and _CONTROL_RE.search(self.username):
            raise _bad('lease_etcd_username contains control characters; give the user name alone')

    @staticmethod
    def _endpoint(url, allow_http):
        match = re.match(r'\A(https?)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})/?\Z', url)
        if not match or not 0 < int(match.group(3)) < 65536:
            raise _bad('lease_etcd_endpoints item %s is not a URL of the form https://host:2379; fix it in lease_etcd_endpoints '
                       '(or ORACLE_COMMS_ETCD_ENDPOINTS)' % shown(url, 80))
        scheme, host = match.group(1), match.group(2).strip('[]')
        if scheme == 'http' and not allow_http and not _loopback(host):
            raise _bad('lease_etcd_endpoints item %s is plain http to another host: use https, or set lease_etcd_allow_http '
                       '(ORACLE_COMMS_ETCD_ALLOW_HTTP) if the network is trusted' % shown(url, 80))
        return '%s://%s:%s' % (scheme, match.group(2), match.group(3))


class LockOptions:
    """Everything one lock task was asked, validated: the typed input of the lock logic.

    ``params`` keeps the validated parameters it was made from, so that a keeper can make the same options
    again (through the same function) from what reaches it on its pipe.
    """

    product = None

    def __init__(self, params, connection):
        self.params = dict(params)
        self.connection = connection
        self.state = params.get('state') or 'locked'
        if self.state not in ('locked', 'unlocked'):
            raise _bad('state must be locked or unlocked, not %s' % shown(self.state, 20))
        self.wait_timeout = connection.wait_timeout or 0.0
        self.lease_dir = params.get('lease_dir')
        self.release_on_exit = bool(params.get('release_on_exit', True))
        self.lease = LeaseOptions(params, getattr(self, '_redactor', None))

    @property
    def endpoint(self):
        return self.connection.endpoint

    @property
    def username(self):
        return self.connection.username

    def but(self, **changes):
        """The same options with some parameters changed (validated again)."""
        return type(self)(dict(self.params, **changes), self._redactor)


class SbcLockOptions(LockOptions):
    """The options of a ``config_lock`` task."""

    product = 'sbc'

    def __init__(self, params, redactor):
        self._redactor = redactor
        super(SbcLockOptions, self).__init__(params, connection_from_params(params, 'SBC', SBC_PORT, redactor))
        self.token = params.get('token') or None
        if self.token:
            redactor.add(self.token)
        self.token_lifetime = self.connection.token_lifetime or 600.0
        self.return_token = bool(params.get('return_token', False))


class SdmLockOptions(LockOptions):
    """The options of a ``device_lock`` task: one of device ids, device names or a device group."""

    product = 'sdm'

    def __init__(self, params, redactor):
        self._redactor = redactor
        super(SdmLockOptions, self).__init__(params, connection_from_params(params, 'SDM', SDM_PORT, redactor))
        self.device_ids = device_ids_from_params(params)
        self.devices = list(params.get('device') or [])
        self.group = group_from_params(params)
        if not (self.device_ids or self.devices or self.group):
            raise _bad('give one of device_id, device or group: which SDM devices to lock')


class SdmTaskOptions(LockOptions):
    """The options of a task that works under a device lock (``device_config_*``): the SDM connection, the lease options,
    and at most one device, by ``device_id`` or ``device`` (none: the one device this run holds on that SDM)."""

    product = 'sdm'

    def __init__(self, params, redactor):
        self._redactor = redactor
        params = dict(params, state='locked', wait_timeout=0.0)
        super(SdmTaskOptions, self).__init__(params, connection_from_params(params, 'SDM', SDM_PORT, redactor))
        self.device_ids = device_ids_from_params(params) if params.get('device_id') is not None else []
        self.devices = [params['device']] if params.get('device') else []
        if self.device_ids and self.devices:
            raise _bad('give device_id or device, not both')
        self.group = None
