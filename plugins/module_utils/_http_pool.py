# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The urllib3 and requests parts under HttpClient: our connection, pool and adapter classes, bound to a request's deadline.

Why private parts: urllib3 offers no hook to bound the opening of a connection by a deadline set per request
(``HTTPConnection._new_conn``), to silence its InsecureRequestWarning for one pool only
(``HTTPSConnectionPool._validate_conn``), or to choose the pool classes of a pool manager
(``PoolManager.pool_classes_by_scheme``); requests offers none to keep its certifi bundle out of a connection
(``HTTPAdapter.cert_verify``). Each override calls the original and changes one thing. These hooks have the
meaning relied on here in urllib3 2.0.0 to 2.8.0 and requests 2.28.0 to 2.34.2 (read in their sources;
requirements.txt asks for urllib3 >= 2.0 and requests >= 2.28, and the tests run with the versions
requirements-dev.txt pins): the unit tests of HttpClient (connection reuse, deadlines, warnings, proxies) fail
where a release changes them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ssl
import warnings

try:
    import requests.adapters
    import urllib3
    import urllib3.connection
    import urllib3.exceptions
    HAS_REQUESTS = True
except ImportError:  # pragma: no cover - HttpClient reports it as a clear error
    HAS_REQUESTS = False

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._http_deadline import time_left


if HAS_REQUESTS:
    class NoTimeLeft(urllib3.exceptions.ConnectTimeoutError):
        """The request's time was up before a connection to try it (again) was opened."""

    class HttpsConnection(urllib3.connection.HTTPSConnection):
        """Opens no connection once the request's time is up, and waits for one no longer than the time left."""

        def _new_conn(self):
            left = time_left()
            if left is not None:
                if left <= 0:
                    raise NoTimeLeft(self, 'the time for this request was up before connecting')
                if self.timeout is None or self.timeout > left:
                    self.timeout = left
            return super(HttpsConnection, self)._new_conn()

    class HttpsPool(urllib3.HTTPSConnectionPool):
        """Our connections; without urllib3's InsecureRequestWarning where ``validate_certs: false`` asked for no checks."""

        ConnectionCls = HttpsConnection

        def _validate_conn(self, conn):
            context = self.conn_kw.get('ssl_context')
            if context is None or context.verify_mode != ssl.CERT_NONE:
                return super(HttpsPool, self)._validate_conn(conn)
            # the user turned checks off on purpose; the warning would only clutter the task output
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', urllib3.exceptions.InsecureRequestWarning)
                return super(HttpsPool, self)._validate_conn(conn)

    POOL_CLASSES = {'http': urllib3.HTTPConnectionPool, 'https': HttpsPool}

    class TlsAdapter(requests.adapters.HTTPAdapter):
        """Connections that use our SSLContext as it is (no CA bundle of ``requests`` or certifi) and our pool classes."""

        def __init__(self, context, **kwargs):
            self._context = context
            super(TlsAdapter, self).__init__(**kwargs)

        def init_poolmanager(self, *args, **kwargs):
            kwargs['ssl_context'] = self._context
            super(TlsAdapter, self).init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = POOL_CLASSES

        def proxy_manager_for(self, proxy, **proxy_kwargs):
            proxy_kwargs['ssl_context'] = self._context
            manager = super(TlsAdapter, self).proxy_manager_for(proxy, **proxy_kwargs)
            manager.pool_classes_by_scheme = POOL_CLASSES
            return manager

        def cert_verify(self, conn, url, verify, cert):
            # requests would set ca_certs to its certifi bundle and urllib3 would load it into the context on
            # every connection: the context alone decides what is trusted.
            conn.cert_reqs = 'CERT_REQUIRED' if verify else 'CERT_NONE'
            conn.ca_certs = None
            conn.ca_cert_dir = None
else:
    # importable without requests (ansible-test's import check, a controller without it): HttpClient
    # reports the missing library before anything here is used
    NoTimeLeft = HttpsConnection = HttpsPool = TlsAdapter = None
