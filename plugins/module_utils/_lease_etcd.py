# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The etcd backend of the lease record (``_lease.LeaseRecord``): leases shared by every controller of one etcd.

Keys, under one prefix: ``lease/<key>`` the lease (JSON), ``guard/<key>`` the guard of one lock (an etcd lease
with a TTL, so a dead holder cannot wedge it), ``alive/<run>/<scope>`` a run's liveness (an etcd lease with a
TTL, kept alive by the run's keeper). What was taken outlives the liveness key, so the next run can recover an
orphan exactly as with the file backend. Controller-local files (keeper pid files, keeper.log, refresh
requests) stay in a local :class:`LeaseStore`, to which those calls are passed on; it also keeps a copy of each
lease this controller writes (``path`` names it), read by the ``lease`` lookup. etcd is the truth for decisions.

The client is etcd3gw (etcd's JSON gateway over ``requests``), one per endpoint; it has no authentication, no
endpoint failover and no bounded watch, so those are done here on its ``post``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import contextlib
import json
import math
import socket
import threading
import time
import uuid

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import (
    REASON_LEASE,
    REASON_MISSING_LIBRARY,
    OracleError,
)
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease import (
    Lease,
    LeaseRecord,
    Run,
    is_lease_key,
    scope_key,
)

try:
    from etcd3gw.client import Etcd3Client
    from etcd3gw import exceptions as etcd_exceptions
    HAS_ETCD3GW = True
except ImportError:  # pragma: no cover - only the etcd backend needs it
    HAS_ETCD3GW = False

DEFAULT_PREFIX = '/oracle_comms/provisioning/'
#: How often a waiter asks etcd whether a lease changed (one small range request on a kept-alive connection): every
#: POLL_FOR_CHANGE seconds at first, slowing to POLL_FOR_CHANGE_CAP the longer nothing changes, so that many waiters
#: (twenty plays behind one lock) do not keep the controller's cores and etcd busy with their questions.
POLL_FOR_CHANGE = 0.05
POLL_FOR_CHANGE_CAP = 0.25
#: The guard's first retry delay and cap while another controller holds it.
GUARD_RETRY = (0.005, 0.1)
MAX_LEASE_BYTES = 64 * 1024
#: How long a run's liveness lasts from a lock task until its keeper keeps it (a keeper starting on a loaded controller
#: takes seconds); also how long a run without a keeper (release_on_exit: false) counts as alive after its last lock task.
START_GRACE = 60
#: How long the revisions a listing (``names``) saw stand for ``signature`` (a keeper's one look at its leases).
LISTING_FRESH = 0.05
#: A keeper's local marker (``<scope>.lapsed``): the run's liveness lapsed in etcd at the file's mtime.
LAPSED_SUFFIX = '.lapsed'


def _b64(text):
    return base64.b64encode(text.encode('utf-8') if isinstance(text, str) else text).decode('ascii')


def _unb64(text):
    return base64.b64decode(text or '')


def _range_end(prefix):
    raw = bytearray(prefix.encode('utf-8'))
    raw[-1] += 1
    return base64.b64encode(bytes(raw)).decode('ascii')


class _Gateway:
    """etcd's v3 JSON gateway on one or more endpoints: the first that answers serves, the next takes over."""

    def __init__(self, endpoints, ca_path, client_cert, client_key, username, password, timeout):
        if not HAS_ETCD3GW:
            raise OracleError('the etcd lease backend needs the Python library etcd3gw on the controller; install it '
                              '(pip install etcd3gw) or set lease_backend to file', REASON_MISSING_LIBRARY)
        self.endpoints = list(endpoints)
        self._clients = []
        for url in self.endpoints:
            scheme, rest = url.split('://', 1)
            netloc = rest.split('/', 1)[0]
            host, _sep, port = netloc.rpartition(':')
            client = Etcd3Client(host.strip('[]'), int(port), scheme, ca_cert=ca_path, cert_key=client_key,
                                 cert_cert=client_cert, timeout=timeout, api_path='/v3/')
            self._clients.append(client)
        self._username = username
        self._password = password
        self._current = 0
        self.timeout = timeout

    def close(self):
        for client in self._clients:
            client.session.close()

    def _authenticate(self, client, endpoint):
        try:
            answer = client.post(client.get_url('auth/authenticate'), json={'name': self._username, 'password': self._password})
        except (etcd_exceptions.ConnectionFailedError, etcd_exceptions.ConnectionTimeoutError):
            raise  # the next endpoint may answer
        except etcd_exceptions.Etcd3Exception as exc:
            # said as what it is, not as a refusal of the request it was made for
            raise OracleError('etcd at %s did not accept user %s (%s); check lease_etcd_username and lease_etcd_password '
                              '(ORACLE_COMMS_ETCD_USERNAME, ORACLE_COMMS_ETCD_PASSWORD)' % (endpoint, self._username, _etcd_says(exc)),
                              REASON_LEASE)
        client.session.headers['Authorization'] = answer['token']

    def call(self, path, body):
        """POST ``body`` to ``path`` of the first endpoint that answers; OracleError(lease_error) when none does."""
        problems = []
        for attempt in range(len(self._clients)):
            index = (self._current + attempt) % len(self._clients)
            client = self._clients[index]
            try:
                for again in (True, False):
                    if self._username and 'Authorization' not in client.session.headers:
                        self._authenticate(client, self.endpoints[index])
                    try:
                        answer = client.post(client.get_url(path), json=body)
                        break
                    except etcd_exceptions.Etcd3Exception as exc:
                        # an expired auth token: sign in again once
                        if again and self._username and 'token' in str(exc).lower() and not isinstance(
                                exc, (etcd_exceptions.ConnectionFailedError, etcd_exceptions.ConnectionTimeoutError)):
                            client.session.headers.pop('Authorization', None)
                            continue
                        raise
                self._current = index
                return answer
            except (etcd_exceptions.ConnectionFailedError, etcd_exceptions.ConnectionTimeoutError) as exc:
                problems.append('%s: %s' % (self.endpoints[index], _short(exc)))
            except etcd_exceptions.Etcd3Exception as exc:
                raise OracleError('etcd at %s refused %s (%s); check lease_etcd_username/password and the user\'s role'
                                  % (self.endpoints[index], path, _etcd_says(exc)), REASON_LEASE)
            except ValueError as exc:
                raise OracleError('etcd at %s answered %s with something that is not JSON (%s)'
                                  % (self.endpoints[index], path, _short(exc)), REASON_LEASE)
        raise OracleError('etcd cannot be reached (%s); check lease_etcd_endpoints and that etcd runs'
                          % '; '.join(problems), REASON_LEASE)


def _etcd_says(exc):
    """What etcd's gateway said of a refusal (the ``error`` of its JSON answer), else :func:`_short` of ``exc``."""
    try:
        said = json.loads(getattr(exc, 'detail_text', None) or '')
        text = said.get('error') or said.get('message') if isinstance(said, dict) else None
    except ValueError:
        text = None
    if isinstance(text, str) and text.strip():
        return ' '.join(text.split())[:160]
    return _short(exc)


def _short(exc):
    # etcd3gw raises its own error from the requests error: what went wrong is in the chain
    cause, seen = exc, 0
    while cause is not None and seen < 5:
        if type(cause).__name__ in ('SSLError', 'SSLCertVerificationError'):
            return ('TLS: certificate not trusted or not matching (lease_etcd_ca_path), or a client certificate etcd asks for '
                    'missing or refused (lease_etcd_client_cert)')
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    text = ' '.join(str(exc).split())
    if 'SSLError' in text or 'CERTIFICATE' in text.upper():
        return 'TLS: certificate not trusted or not matching (lease_etcd_ca_path)'
    return (text or type(exc).__name__)[:160]


class EtcdLeaseRecord(LeaseRecord):
    """The lease record on etcd (v3 API, etcd 3.4+), shared by every controller that names the same etcd."""

    shared_between_controllers = True

    def __init__(self, endpoints, local, ttl=15, ca_path=None, client_cert=None, client_key=None, username=None,
                 password=None, timeout=5.0, prefix=DEFAULT_PREFIX, warn=None, store_token=False):
        """``endpoints``: checked URLs (_options); ``local``: the LeaseStore for this controller's own files;
        ``ttl``: seconds a guard or a run's liveness outlives its holder; ``store_token``: an SBC lease's token goes into
        etcd too (else only into the local copy). Nothing is sent until first used."""
        self.local = local
        self.store_token = store_token
        self.ttl = max(2, int(math.ceil(ttl)))
        self.prefix = prefix if prefix.endswith('/') else prefix + '/'
        self.gateway = _Gateway(endpoints, ca_path, client_cert, client_key, username, password, timeout)
        self._warn = warn or (lambda message: None)
        self._alive_marked = set()
        #: [etcd lease id, when last kept alive] of the liveness this task put on a lease of its own (START_GRACE)
        self._grace = None
        #: {key: seconds}: how often a waiter of this task asks next whether that lease changed
        self._poll_every = {}
        self._keeper_lease = {}
        self._listed = (None, {})
        #: what the guard's own transaction read, for the first read inside that guard (saves a request per decision)
        self._read_with_guard = {}

    # -- controller-local files: the local store -----------------------------------------------------

    @property
    def directory(self):
        return self.local.directory

    def open_file(self, name, flags, mode=0o600):
        return self.local.open_file(name, flags, mode)

    def touch(self, name):
        return self.local.touch(name)

    def stat(self, name):
        return self.local.stat(name)

    def exists(self, name):
        return self.local.exists(name)

    def unlink(self, name):
        return self.local.unlink(name)

    def rename(self, name, new_name):
        return self.local.rename(name, new_name)

    def gone(self):
        return self.local.gone()

    def now(self):
        return time.time()

    def names(self):
        """The local names, plus ``<key>.json`` for every lease in etcd (so that a keeper finds its run's leases)."""
        answer = self.gateway.call('kv/range', {'key': _b64(self._k('lease/')), 'range_end': _range_end(self._k('lease/')),
                                                'keys_only': True})
        start = len(self._k('lease/'))
        listed = dict((_unb64(kv['key']).decode('utf-8')[start:], int(kv['mod_revision'])) for kv in answer.get('kvs', []))
        # a keeper asks the signature of each right after: one request for all of them
        self._listed = (time.monotonic(), listed)
        local = [name for name in self.local.names() if not (name.endswith('.json') and is_lease_key(name[:-len('.json')]))]
        return local + [key + '.json' for key in listed]

    def close(self):
        self.gateway.close()
        self.local.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- keys -----------------------------------------------------------------------------------------

    def _k(self, name):
        return self.prefix + name

    def path(self, key):
        """The local copy of the lease (what the ``lease`` lookup reads)."""
        return self.local.path(key)

    def etcd_name(self, key):
        return '%s%s' % (self.gateway.endpoints[0].rstrip('/'), self._k('lease/' + key))

    def _alive_prefix(self, run_ident):
        return self._k('alive/%s/' % run_ident)

    def _range(self, name, **extra):
        body = dict({'key': _b64(name)}, **extra)
        return self.gateway.call('kv/range', body).get('kvs', [])

    def grant(self, ttl=None):
        """A new etcd lease of ``ttl`` seconds (default: the record's); its id."""
        answer = self.gateway.call('lease/grant', {'TTL': ttl or self.ttl})
        return answer['ID']

    def refresh(self, lease_id):
        """Keep an etcd lease alive; False once it has expired (its keys are gone)."""
        answer = self.gateway.call('lease/keepalive', {'ID': lease_id})
        return int(answer.get('result', {}).get('TTL', 0) or 0) > 0

    def revoke(self, lease_id):
        try:
            self.gateway.call('kv/lease/revoke', {'ID': lease_id})
        except OracleError:
            pass  # it expires by itself

    # -- leases ---------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def guard(self, key):
        """The exclusive right to decide about ``key`` among every controller of this etcd.

        A key that names no lease (the keepers' own guard) is a local guard. Otherwise a key created only if
        absent (one transaction), attached to an etcd lease kept alive while held: a holder that dies lets go
        within the TTL.
        """
        if not is_lease_key(key):
            with self.local.guard(key):
                yield
            return
        self._keep_grace()
        name = _b64(self._k('guard/' + key))
        lease_id = self.grant()
        me = _b64('%s %s' % (socket.gethostname(), uuid.uuid4().hex))
        txn = {'compare': [{'key': name, 'result': 'EQUAL', 'target': 'CREATE', 'create_revision': '0'}],
               'success': [{'request_put': {'key': name, 'value': me, 'lease': lease_id}},
                           {'request_range': {'key': _b64(self._k('lease/' + key))}}],
               'failure': [{'request_range': {'key': name}}]}
        delay = GUARD_RETRY[0]
        refreshed = time.monotonic()
        try:
            while True:
                answer = self.gateway.call('kv/txn', txn)
                if answer.get('succeeded'):
                    break
                holder = (answer.get('responses') or [{}])[0].get('response_range', {}).get('kvs', [])
                if holder and holder[0].get('value') == me:
                    # our own take, applied although its answer was lost (then asked again, maybe of another endpoint)
                    answer = {'responses': [{}, {'response_range': {'kvs': self._range(self._k('lease/' + key))}}]}
                    break
                time.sleep(delay)
                delay = min(GUARD_RETRY[1], delay * 2)
                if time.monotonic() - refreshed > self.ttl / 3.0:
                    # our own etcd lease must outlive a long wait
                    refreshed = time.monotonic()
                    if not self.refresh(lease_id):
                        lease_id = self.grant()
                        txn['success'][0]['request_put']['lease'] = lease_id
        except BaseException:
            self.revoke(lease_id)
            raise
        responses = answer.get('responses') or [{}, {}]
        self._read_with_guard[key] = responses[-1].get('response_range', {}).get('kvs', [])
        stop = threading.Event()
        keeper = threading.Thread(target=self._keep_guard, args=(lease_id, stop))
        keeper.daemon = True
        keeper.start()
        try:
            yield
        finally:
            self._read_with_guard.pop(key, None)
            stop.set()
            keeper.join()
            self.revoke(lease_id)  # deletes the guard key with it

    def _keep_grace(self):
        """Keep the liveness this task put on a lease of its own alive while the task goes on (a take that waits for
        its next devices comes back here each time it looks again), until the run's keeper has moved it to its own."""
        if self._grace is None or time.monotonic() - self._grace[1] < max(self.ttl, START_GRACE) / 3.0:
            return
        self._grace[1] = time.monotonic()
        try:
            self.refresh(self._grace[0])
        except OracleError:
            pass  # the decision this guard is for fails on its own request

    def _keep_guard(self, lease_id, stop):
        while not stop.wait(self.ttl / 3.0):
            try:
                self.refresh(lease_id)
            except OracleError:
                pass  # the next decision fails on its own request

    def read(self, key, set_aside=True):
        """The lease for ``key``, or None; a value that is not a lease of this key is OracleError(lease_error)."""
        kvs = self._read_with_guard.pop(key, None)
        if kvs is None:
            kvs = self._range(self._k('lease/' + key))
        if not kvs:
            return None
        raw = _unb64(kvs[0].get('value'))
        try:
            if len(raw) > MAX_LEASE_BYTES:
                raise ValueError('larger than %d bytes' % MAX_LEASE_BYTES)
            lease = Lease.from_dict(json.loads(raw.decode('utf-8')))
            if lease.key != key:
                raise ValueError('it describes another lock (%s %s)' % (lease.endpoint, lease.resource))
        except (ValueError, TypeError, RecursionError) as exc:
            raise OracleError('lease %s in etcd is not a valid lease (%s); remove it (etcdctl del %s)'
                              % (self.etcd_name(key), str(exc)[:120], self._k('lease/' + key)), REASON_LEASE)
        if lease.product == 'sbc' and lease.token is None:
            lease.token = self._local_token(lease)
        return lease

    def _local_token(self, lease):
        """The token of an SBC lease whose token etcd does not hold: this controller's copy has it when this controller
        took the lock; None for a lease another controller took (it cannot be adopted or given back from here)."""
        try:
            local = self.local.read(lease.key, set_aside=False)
        except OracleError:
            local = None
        if local is not None and local.run.same(lease.run) and local.taken_at == lease.taken_at and local.token:
            return local.token
        if lease.run.host == socket.gethostname() and lease.run.alive() is not False:
            raise OracleError('the token of the configuration lock on %s is kept only in lease directory %s, and its copy there is '
                              'missing or stale; release the lock from the run that holds it, or let the token expire'
                              % (lease.endpoint, self.local.directory), REASON_LEASE)
        return None

    def write(self, lease):
        """Store ``lease`` (one put). For a run of this host, the first write of a task also (re)creates the run's
        liveness key on an etcd lease of START_GRACE seconds, until the run's keeper takes it over (it may be starting)."""
        self._read_with_guard.pop(lease.key, None)
        name = _b64(self._k('lease/' + lease.key))
        data = lease.to_dict()
        withheld = lease.product == 'sbc' and not self.store_token
        if withheld:
            # the token is a secret that holds the lock: only this controller's copy has it, which must be written first
            data['token'], data['token_withheld'] = None, True
            self.local.write(lease)
        ops = [{'request_put': {'key': name, 'value': _b64(json.dumps(data, sort_keys=True))}}]
        scope = scope_key(lease.run.ident, lease.product, lease.endpoint, lease.user)
        if lease.run.host == socket.gethostname() and scope not in self._alive_marked:
            alive = _b64(self._alive_prefix(lease.run.ident) + scope)
            grace = self.grant(max(self.ttl, START_GRACE))
            self._grace = [grace, time.monotonic()]
            ops.append({'request_put': {'key': alive, 'value': _b64('1'), 'lease': grace}})
        try:
            self.gateway.call('kv/txn', {'success': ops})
        except OracleError:
            if withheld:
                self._copy(self.local.delete, lease.key)  # the copy names a lock etcd does not know of: not for the lookup
            raise
        if len(ops) > 1:
            self._alive_marked.add(scope)
        if not withheld:
            self._copy(self.local.write, lease)

    def delete(self, key):
        self._read_with_guard.pop(key, None)
        self.gateway.call('kv/deleterange', {'key': _b64(self._k('lease/' + key))})
        self._copy(self.local.delete, key)

    def _copy(self, action, what):
        # the local copy follows etcd; a copy that cannot be written costs the lookup, not the lock
        try:
            action(what)
        except OracleError as exc:
            self._warn('the local copy of the lease could not be updated (%s); the lease lookup may not find it' % exc.msg)

    def signature(self, key):
        """The lease key's mod_revision (None while there is none)."""
        taken, listed = self._listed
        if taken is not None and time.monotonic() - taken < LISTING_FRESH and key in listed:
            return listed[key]
        kvs = self._range(self._k('lease/' + key), keys_only=True)
        return int(kvs[0]['mod_revision']) if kvs else None

    def wait_for_change(self, key, signature, timeout, clock=time.monotonic, sleep=time.sleep):
        """A bounded poll, every POLL_FOR_CHANGE seconds at first and every POLL_FOR_CHANGE_CAP seconds once the key has
        not changed for a while (across calls of this task); True once the key's revision changed, or once the liveness
        of the holder (a run of another host) is gone, so that a waiter recovers an orphan at once.

        One transaction per look; a gateway watch would need one stream per key, and this waits on two.
        """
        until = clock() + timeout
        lease_name = _b64(self._k('lease/' + key))
        ops = [{'request_range': {'key': lease_name, 'keys_only': True}}]
        kvs = self._range(self._k('lease/' + key))
        if kvs:
            try:
                run = Run.from_dict(json.loads(_unb64(kvs[0].get('value')).decode('utf-8')).get('run'))
            except (ValueError, TypeError, AttributeError):
                run = None  # not a lease: the caller's read says so
            if run is not None and run.host != socket.gethostname():
                prefix = self._alive_prefix(run.ident)
                ops.append({'request_range': {'key': _b64(prefix), 'range_end': _range_end(prefix), 'count_only': True}})
        while True:
            answers = self.gateway.call('kv/txn', {'success': ops}).get('responses', [])
            ranges = [answer.get('response_range', {}) for answer in answers]
            found = ranges[0].get('kvs', []) if ranges else []
            now = int(found[0]['mod_revision']) if found else None
            if now != signature or (len(ranges) > 1 and int(ranges[1].get('count', 0) or 0) == 0):
                self._poll_every.pop(key, None)
                return True
            if clock() >= until:
                return False
            every = self._poll_every.get(key, POLL_FOR_CHANGE)
            self._poll_every[key] = min(POLL_FOR_CHANGE_CAP, every * 1.25)
            sleep(min(every, max(0.0, until - clock())))

    def run_alive(self, lease):
        """A run of this host: its process. A run of another host: while a liveness key of it exists in etcd."""
        alive = lease.run.alive()
        if alive is not None:
            return alive
        prefix = self._alive_prefix(lease.run.ident)
        answer = self.gateway.call('kv/range', {'key': _b64(prefix), 'range_end': _range_end(prefix), 'count_only': True})
        return int(answer.get('count', 0) or 0) > 0

    # -- for the keeper ---------------------------------------------------------------------------------

    def keep_run_alive(self, run, scope):
        """Keep ``run``'s liveness key of keeper ``scope`` alive on the keeper's own etcd lease of ``ttl`` seconds (called
        every keeper heartbeat): refresh it, and put the key back on it where a task of the run put it on a lease of its own.

        Returns True when the keeper's etcd lease had run out since the last call (etcd could not be reached for longer
        than the TTL): the run counted as gone meanwhile, so every lease the run took before now is marked lapsed
        (:meth:`liveness_lapsed`), and the key is put back on a new etcd lease.
        """
        lease_id = self._keeper_lease.get(scope)
        lapsed = False
        if lease_id is None or not self.refresh(lease_id):
            lapsed = lease_id is not None
            if lapsed:
                self._mark_lapsed(scope)
            lease_id = self._keeper_lease[scope] = self.grant()
        alive = _b64(self._alive_prefix(run.ident) + scope)
        self.gateway.call('kv/txn', {'compare': [{'key': alive, 'result': 'EQUAL', 'target': 'LEASE', 'lease': lease_id}],
                                     'failure': [{'request_put': {'key': alive, 'value': _b64('1'), 'lease': lease_id}}]})
        return lapsed

    def end_run_alive(self, scope):
        """The keeper is done: its liveness key goes at once."""
        lease_id = self._keeper_lease.pop(scope, None)
        if lease_id is not None:
            self.revoke(lease_id)
        self.local.unlink(scope + LAPSED_SUFFIX)

    def _mark_lapsed(self, scope):
        # the marker's mtime is when the lapse was seen: leases taken before then are no longer relied on
        self.local.unlink(scope + LAPSED_SUFFIX)
        self.local.touch(scope + LAPSED_SUFFIX)

    def liveness_lapsed(self, lease):
        """True when ``lease``, of a run of this controller, was taken before that run's liveness lapsed (a keeper found
        its etcd lease run out): another controller may have taken the lock over meanwhile."""
        if lease.run.host != socket.gethostname():
            return False
        marker = self.local.stat(scope_key(lease.run.ident, lease.product, lease.endpoint, lease.user) + LAPSED_SUFFIX)
        return marker is not None and lease.taken_at <= marker.st_mtime
