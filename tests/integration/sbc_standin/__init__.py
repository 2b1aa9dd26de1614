"""A small, independent Oracle SBC stand-in for tests, written from Oracle's REST API pages only.

Not the project's emulator: every answer is built here, and a test can replace or wrap any of them
(``StandinSbc.hooks``) to give shapes Oracle documents or leaves open that the emulator has no switch for.

* HTTPS on 127.0.0.1 (port chosen by the system), certificate from a ``trustme`` CA (``ca_path``).
* ``POST /rest/v1.2/auth/token`` (Basic) -> ``<response><data><accessToken>``; the same token on refresh.
* ``POST configuration/lock`` / ``unlock``: 204, or 423 with Oracle's texts; the lock follows the token.
* ``GET configuration/elementTypes/metadata``: Oracle's ``<attributeMetadata>`` rows directly in ``<data>``.
* ``GET/POST/PUT/DELETE configuration/configElements``: ``<configElement><elementType>`` + ``<attribute><name><value>``.
* ``PUT|POST configuration/management?action=...``: 202 linking ``admin/asyncstatus``; ``GET admin/asyncstatus``:
  ``<data><operationState><operation>..</operation><status>..</status></operationState></data>``.

It stops by itself after ``lifetime`` seconds.
"""

import base64
import http.server
import socketserver
import ssl
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import trustme

VERSION = 'v1.2'
DROP = object()  # a hook's answer: close the connection without any response


def envelope(data='', messages='', links=''):
    return '<response><data>%s</data><messages>%s</messages><links>%s</links></response>' % (data, messages, links)


def element_xml(element_type, attributes):
    rows = ''.join('<attribute><name>%s</name><value>%s</value></attribute>' % (escape(n), escape(v)) for n, v in attributes.items())
    return '<configElement><elementType>%s</elementType>%s</configElement>' % (escape(element_type), rows)


#: element type -> (singleton, [(name, key, valueType, default, enumeratedValues)])
TYPES = {
    'realm-config': (False, [
        ('identifier', True, 'string', '', ()),
        ('description', False, 'string', '', ()),
        ('addr-prefix', False, 'string', '0.0.0.0', ()),
        ('network-interfaces', False, 'string', '', ()),
        ('mm-in-realm', False, 'enum', 'disabled', ('enabled', 'disabled')),
        ('max-bandwidth', False, 'integer', '0', ()),
    ]),
    'session-agent': (False, [
        ('hostname', True, 'string', '', ()),
        ('description', False, 'string', '', ()),
        ('state', False, 'enum', 'enabled', ('enabled', 'disabled')),
    ]),
    'sip-config': (True, [
        ('state', False, 'enum', 'enabled', ('enabled', 'disabled')),
        ('registrar-domain', False, 'string', '', ()),
        ('options', False, 'string', '', ()),
    ]),
}


class Request:
    def __init__(self, method, path, query, headers, body):
        self.method, self.path, self.query, self.headers, self.body = method, path, query, headers, body

    @property
    def tail(self):
        """The path after ``/rest/v1.2/`` (e.g. ``configuration/configElements``)."""
        prefix = '/rest/%s/' % VERSION
        return self.path[len(prefix):] if self.path.startswith(prefix) else self.path

    def param(self, name, default=None):
        for key, value in self.query:
            if key == name:
                return value
        return default


class StandinSbc:
    """The stand-in: state, default answers, hooks, request log."""

    def __init__(self, lifetime=240.0, users=(('admin', 'admin-secret-1'),)):
        self.users = dict(users)
        self.tokens = set()
        self.issued = {}  # token -> monotonic time it was (re)issued
        self.token_ttl = None  # seconds a token lives (None: for ever); the lock goes with an expired token
        self.lock_holder = None
        self.elements = {'realm-config': [{'identifier': 'core', 'description': '', 'addr-prefix': '0.0.0.0', 'network-interfaces': 'M00:0',
                                           'mm-in-realm': 'disabled', 'max-bandwidth': '0'}],
                         'session-agent': [], 'sip-config': []}
        self.running = None
        self.saved = None
        self.async_state = None  # (operation, status, extra xml)
        self.log = []  # (method, tail, query, body)
        self.hooks = []  # callables hook(sbc, request) -> None (default) | (status, body) | DROP
        self.lock = threading.RLock()
        self.metadata_extra = {}  # element type -> extra xml inside <data> of its metadata
        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert('127.0.0.1', 'localhost')
        self.server = None
        self.lifetime = lifetime

    # ---------------------------------------------------------------- lifecycle

    def start(self, ca_file):
        self._ca.cert_pem.write_to_path(str(ca_file))
        self.ca_path = str(ca_file)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._cert.configure_cert(context)
        sbc = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length).decode('utf-8') if length else ''
                parts = urllib.parse.urlsplit(self.path)
                request = Request(self.command, parts.path, urllib.parse.parse_qsl(parts.query, keep_blank_values=True),
                                  self.headers, body)
                answer = sbc.answer(request)
                if answer is DROP:
                    self.close_connection = True
                    try:
                        self.connection.shutdown(2)
                    except OSError:
                        pass
                    return
                status, text = answer[0], answer[1]
                ctype = answer[2] if len(answer) > 2 else 'application/xml'
                data = (text or '').encode('utf-8')
                self.send_response(status)
                if data:
                    self.send_header('Content-Type', ctype)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

            def get_request(self):
                sock, addr = self.socket.accept()
                return context.wrap_socket(sock, server_side=True), addr

        self.server = Server(('127.0.0.1', 0), Handler)
        self.host = '127.0.0.1:%d' % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={'poll_interval': 0.1}, daemon=True).start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        self._timer.cancel()

    # ---------------------------------------------------------------- answers

    def requests(self, method=None, tail=None):
        return [entry for entry in self.log if (method is None or entry[0] == method) and (tail is None or entry[1] == tail)]

    def answer(self, request):
        with self.lock:
            self.log.append((request.method, request.tail, request.query, request.body))
            for hook in list(self.hooks):
                result = hook(self, request)
                if result is not None:
                    return result
            return self.default(request)

    def _bearer(self, request):
        auth = request.headers.get('Authorization') or ''
        return auth[7:] if auth.startswith('Bearer ') else None

    def default(self, request):
        tail, method = request.tail, request.method
        if tail == 'auth/token' and method == 'POST':
            auth = request.headers.get('Authorization') or ''
            try:
                user, password = base64.b64decode(auth[6:]).decode().split(':', 1)
            except Exception:  # noqa: BLE001
                user = password = None
            if not auth.startswith('Basic ') or self.users.get(user) != password:
                return 401, envelope(messages='<message>Client not authorized</message>')
            form = urllib.parse.parse_qs(request.body or '')
            old = [v for values in form.values() for v in values if v in self.tokens]
            self.expire()
            token = old[0] if old and old[0] in self.tokens else uuid.uuid4().hex
            self.tokens.add(token)
            self.issued[token] = time.monotonic()
            return 200, envelope('<accessToken>%s</accessToken>' % token)
        self.expire()
        token = self._bearer(request)
        if token not in self.tokens:
            return 401, envelope(messages='<message>Client not authorized</message>')
        if tail == 'configuration/lock' and method == 'POST':
            if self.lock_holder in (None, token):
                self.lock_holder = token
                return 204, ''
            return 423, envelope(messages='<message>Resource locked by another user</message>')
        if tail == 'configuration/unlock' and method == 'POST':
            if self.lock_holder == token:
                self.lock_holder = None
                return 204, ''
            text = 'User does not have the lock' if self.lock_holder is None else 'Resource locked by another user'
            return 423, envelope(messages='<message>%s</message>' % text)
        if tail == 'configuration/elementTypes/metadata' and method == 'GET':
            return self.metadata(request.param('elementType'))
        if tail == 'configuration/configElements':
            if method != 'GET' and self.lock_holder != token:
                return 423, envelope(messages='<message>User does not have the lock</message>')
            return getattr(self, 'elements_' + method.lower())(request)
        if tail == 'configuration/management' and method in ('PUT', 'POST'):
            if self.lock_holder != token:
                return 423, envelope(messages='<message>User does not have the lock</message>')
            action = request.param('action')
            self.run_action(action)
            return 202, envelope(links='<link>https://%s/rest/%s/admin/asyncstatus</link>' % (self.host, VERSION))
        if tail == 'admin/asyncstatus' and method == 'GET':
            if self.async_state is None:
                return 200, envelope()
            operation, status, extra = self.async_state
            return 200, envelope('<operationState><operation>%s</operation><status>%s</status></operationState>%s'
                                 % (operation, status, extra))
        if request.path == '/rest/api/supportedversions':
            return 200, envelope('<supportedVersions><latestVersion>%s</latestVersion></supportedVersions>' % VERSION)
        return 404, envelope(messages='<message>Resource not found</message>')

    def expire(self):
        if self.token_ttl is None:
            return
        now = time.monotonic()
        for token in [t for t in self.tokens if now - self.issued[t] >= self.token_ttl]:
            self.tokens.discard(token)
            if self.lock_holder == token:
                self.lock_holder = None

    def run_action(self, action):
        if action == 'save':
            self.saved = self.snapshot()
        if action == 'activate':
            self.running = self.snapshot()
        self.async_state = (action, 'success', '')

    def snapshot(self):
        return dict((t, [dict(e) for e in es]) for t, es in self.elements.items())

    def metadata(self, element_type):
        if element_type not in TYPES:
            return 404, envelope(messages='<message>Element type %s not supported</message>' % escape(element_type or ''))
        singleton, rows = TYPES[element_type]
        xml = '<elementType>%s</elementType><singleInstance>%s</singleInstance>' % (element_type, 'true' if singleton else 'false')
        for name, key, kind, default, enums in rows:
            xml += ('<attributeMetadata><name>%s</name><help>%s</help><required>%s</required><key>%s</key><valueType>%s</valueType>'
                    '<defaultValue>%s</defaultValue>%s</attributeMetadata>'
                    % (name, name, 'true' if key else 'false', 'true' if key else 'false', kind, default,
                       ''.join('<enumeratedValues>%s</enumeratedValues>' % v for v in enums)))
        return 200, envelope(xml + self.metadata_extra.get(element_type, ''))

    def keys(self, element_type):
        return [row[0] for row in TYPES[element_type][1] if row[1]]

    def canonical(self, element_type, name, value):
        for row in TYPES[element_type][1]:
            if row[0] == name:
                if row[4] and value.lower() in row[4]:
                    return value.lower()
                if row[2] == 'integer' and value.strip().isdigit():
                    return str(int(value))
        return value

    def find(self, element_type, query):
        wanted = dict((k, v) for k, v in query if k not in ('elementType', 'offset', 'maxElements', 'running'))
        return [e for e in self.elements.get(element_type, []) if all(e.get(k) == v for k, v in wanted.items())]

    def elements_get(self, request):
        element_type = request.param('elementType')
        if element_type not in TYPES:
            return 404, envelope(messages='<message>Element type not supported</message>')
        found = self.find(element_type, request.query)
        return 200, envelope(''.join(element_xml(element_type, e) for e in found))

    @staticmethod
    def parse_body(body):
        root = ET.fromstring(body)
        element_type = root.findtext('elementType')
        attributes = {}
        for attribute in root.findall('attribute'):
            attributes[attribute.findtext('name')] = attribute.findtext('value') or ''
        return element_type, attributes

    def defaults(self, element_type):
        return dict((row[0], row[3]) for row in TYPES[element_type][1])

    def elements_post(self, request):
        element_type, attributes = self.parse_body(request.body)
        singleton = TYPES[element_type][0]
        if singleton:
            if self.elements[element_type]:
                return 409, envelope(messages='<message>Singleton already exists</message>')
            element = self.defaults(element_type)
            # Oracle: a singleton is created "supplying only the element type in the POST request", then edited by PUT
            self.elements[element_type].append(element)
            return 200, envelope(element_xml(element_type, element))
        key = dict((k, attributes.get(k)) for k in self.keys(element_type))
        if self.find(element_type, key.items()):
            return 409, envelope(messages='<message>Element already exists</message>')
        element = self.defaults(element_type)
        element.update((k, self.canonical(element_type, k, v)) for k, v in attributes.items())
        self.elements[element_type].append(element)
        return 200, envelope(element_xml(element_type, element))

    def elements_put(self, request):
        element_type, attributes = self.parse_body(request.body)
        key = dict((k, attributes.get(k)) for k in self.keys(element_type))
        found = self.find(element_type, key.items())
        if not found:
            return 404, envelope(messages='<message>Element instance not found</message>')
        found[0].update((k, self.canonical(element_type, k, v)) for k, v in attributes.items())
        return 200, envelope(element_xml(element_type, found[0]))

    def elements_delete(self, request):
        element_type = request.param('elementType')
        found = self.find(element_type, request.query)
        if not found:
            return 404, envelope(messages='<message>Element instance not found</message>')
        self.elements[element_type].remove(found[0])
        return 204, ''
