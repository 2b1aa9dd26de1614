"""Stand-ins for the config task bodies' tests: the UnderLock a body is given, the SbcConfig it yields, the host."""

import contextlib

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._sbc_config_xml import ElementMeta

META = ElementMeta('realm-config', ['identifier', 'description', 'trust'], ['identifier'], types={'trust': 'enum'})


class Host:
    def __init__(self, check_mode=False, diff=False):
        self.check_mode, self.diff, self.member, self.warnings = check_mode, diff, None, []

    def warn(self, text):
        self.warnings.append(text)


class Config:
    """An SbcConfig holding ``elements`` (a list of dicts); every call is recorded in ``calls``."""

    def __init__(self, elements=(), meta=META, update_answer=None, defaults=None, refuse=None):
        self.elements = [dict(one) for one in elements]
        self.meta, self.update_answer, self.calls = meta, update_answer, []
        self.defaults = dict(defaults or {})
        #: a change to refuse: (call name, its number among those calls, the OracleError to raise)
        self.refuse = refuse

    def _refused(self, name):
        if self.refuse and self.refuse[0] == name:
            if len([call for call in self.calls if call[0] == name]) == self.refuse[1]:
                raise self.refuse[2]

    def template(self, element_type):
        self.calls.append(('template', element_type))
        return dict(self.defaults)

    def _clock(self):
        return 100.0

    def metadata(self, element_type, hint):
        self.calls.append(('metadata', element_type))
        return self.meta

    def find(self, element_type, key, type_known=False):
        self.calls.append(('find', key))
        return [one for one in self.elements if all(one.get(name) == value for name, value in key.items())]

    def every(self, element_type):
        self.calls.append(('every', element_type))
        return list(self.elements)

    def add(self, element_type, attributes):
        self.calls.append(('add', attributes))
        self._refused('add')
        self.elements.append(dict(attributes))
        return dict(attributes)

    def update(self, element_type, attributes):
        self.calls.append(('update', attributes))
        self._refused('update')
        return self.update_answer

    def delete(self, element_type, key):
        self.calls.append(('delete', key))
        self._refused('delete')
        return True

    def run_step(self, step, deadline, keep_fresh=None):
        self.calls.append(('run_step', step, deadline))
        keep_fresh()
        return 'success'


class Lease:
    def __init__(self, changed_under_lock=False):
        self.changed_under_lock = changed_under_lock


class Store:
    def __init__(self):
        self.written = []

    def write(self, lease):
        self.written.append(lease.changed_under_lock)


class Lock:
    def __init__(self):
        self.store = Store()


class Task:
    """The UnderLock of one task: ``made`` records the arguments it was made with, ``closed`` whether it was closed."""

    def __init__(self, config, lease=None):
        self.config, self.lease, self.lock = config, lease, Lock()
        self.made, self.changes, self.fresh, self.closed = None, [], 0, False

    def __call__(self, params, host, redactor, module):
        self.made = module
        return self

    @contextlib.contextmanager
    def held(self):
        yield self.lease, self.config

    @contextlib.contextmanager
    def reader(self):
        yield self.config

    def remember_change(self, lease):
        self.changes.append(lease)

    def keep_fresh(self, lease, config):
        self.fresh += 1

    def close(self):
        self.closed = True
