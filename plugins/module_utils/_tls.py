# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""TLS for the devices: the SSLContext per trust setting, built once per process, and its deadline-bound socket."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import ssl

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http_deadline import ACTIVE, time_left


class _DeadlineSocket(ssl.SSLSocket):
    """A TLS socket on which no handshake, read or write waits past the deadline of the request being made.

    CPython bounds one TLS read or write by the socket timeout as a whole, so setting the time left before
    each one holds against a device that sends its answer a byte at a time. Outside a request it is a
    plain SSLSocket.
    """

    def _bound(self):
        left = time_left()
        if left is not None:
            if left <= 0:
                raise socket.timeout('the time for this request is up')
            self.settimeout(left)

    def do_handshake(self, block=False):
        self._bound()
        return super(_DeadlineSocket, self).do_handshake(block)

    def read(self, len=1024, buffer=None):  # pylint: disable=redefined-builtin  # SSLSocket's own signature
        self._bound()
        got = super(_DeadlineSocket, self).read(len, buffer)
        if got:
            ACTIVE.answered = True
        return got

    def send(self, data, flags=0):
        self._bound()
        return super(_DeadlineSocket, self).send(data, flags)


#: SSL contexts built in this process, by what they trust (see tls_context). Forked workers inherit them.
_CONTEXTS = {}


def tls_context(validate_certs=True, ca_path=None):
    """The SSLContext for these options, built once per process and file version.

    It trusts exactly what the options say: with ``ca_path``, that file only; with ``validate_certs``
    false, nothing is checked; otherwise the trust store OpenSSL is configured with (the system's, or
    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` where set). Neither ``certifi`` nor ``REQUESTS_CA_BUNDLE`` /
    ``CURL_CA_BUNDLE`` take part. Loading a trust store costs a worker up to tens of milliseconds, so a
    context is kept and reused, and a change of the CA file (mtime, size, inode) builds a new one.
    Raises OSError or ssl.SSLError when ``ca_path`` cannot be loaded.
    """
    if not validate_certs:
        key = (False,)
    elif ca_path:
        stat = os.stat(ca_path)
        key = (True, os.path.abspath(ca_path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    else:
        key = (True,)
    context = _CONTEXTS.get(key)
    if context is None:
        if validate_certs:
            context = ssl.create_default_context(cafile=ca_path or None)
        else:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.hostname_checks_common_name = False
        context.sslsocket_class = _DeadlineSocket  # every request's deadline holds on its connections
        _CONTEXTS[key] = context
    return context


def prepare_tls(environ=None):
    """Pay the one-time TLS and resolver set-up in this process, so that processes forked from it do not.

    Called where the action plugins are imported: in ``ansible-playbook``'s own process, before it forks a
    worker per task. A cold worker pays OpenSSL's initialisation, the system trust store and the
    resolver's first lookup on every task (measured: 2-3 ms, about 25 ms, 2-3 ms); a worker forked after
    this call finds them done. Builds the contexts for the CA files named by ``SBC_CA_PATH`` /
    ``SDM_CA_PATH``, and for the system trust store unless both are set (then a task only needs the system
    store if it says so itself, and loading it here would cost every run 25-50 ms for nothing).
    Never fails: what cannot be prepared here is built in the task.
    """
    environ = os.environ if environ is None else environ
    named = [environ.get(name) for name in ('SBC_CA_PATH', 'SDM_CA_PATH')]
    paths = ([] if all(named) else [None]) + [path for path in named if path]
    for path in paths:
        try:
            tls_context(True, path)
        except (OSError, ValueError, ssl.SSLError):
            pass
    try:
        socket.getaddrinfo('localhost', 443, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        pass
