"""AWX's handling of custom credential types, re-implemented for tests: validation and injection.

Written after AWX's own code, not copied from it:

- validation: ``CredentialTypeInputField`` and ``CredentialTypeInjectorField`` in ``awx/main/fields.py``
  (JSON schemas, reserved names, and a render of every injector template with ``StrictUndefined``, each
  defined field set to ``'EXAMPLE'``);
- injection: ``inject_credential`` (``awx/main/models/credential/__init__.py``, since moved to
  ``awx_plugins.interfaces._temporary_private_inject_api``). The namespace holds the credential's
  non-empty inputs (booleans always; a boolean field left out is ``False``) and ``tower``; every
  ``file`` template is rendered in a ``jinja2.sandbox.ImmutableSandboxedEnvironment`` into a
  ``tempfile.mkstemp`` file in ``<private data dir>/env`` (0600), whose in-job path becomes
  ``tower.filename`` (one unnamed ``template``) or ``tower.filename.<name>`` (``template.<name>``);
  then every ``env`` template is rendered with the same environment (blocklisted names are dropped),
  once with the real values and once with secret inputs replaced by ``**********`` for the job's
  stored ``job_env``.

AWX mounts the private data directory at ``/runner`` in the job's container; these tests run without
a container, so the in-job path of a file is its path on this machine (``container_root``).
"""

import os
import stat
import tempfile
import types

import jinja2
import jsonschema
from jinja2.sandbox import ImmutableSandboxedEnvironment

HIDDEN = '*' * 10
CUSTOM_KINDS = ('cloud', 'net')  # the only kinds AWX accepts for a credential type it does not manage itself
NAME_PATTERN = '^[a-zA-Z_]+[a-zA-Z0-9_]*$'
# Environment variables AWX refuses in credential injectors (besides any ANSIBLE_* name).
ENV_BLOCKLIST = frozenset((
    'VIRTUAL_ENV', 'PATH', 'PYTHONPATH', 'JOB_ID', 'INVENTORY_ID', 'INVENTORY_SOURCE_ID', 'INVENTORY_UPDATE_ID',
    'AD_HOC_COMMAND_ID', 'REST_API_URL', 'REST_API_TOKEN', 'MAX_EVENT_RES', 'CALLBACK_QUEUE', 'CALLBACK_CONNECTION',
    'CACHE', 'JOB_CALLBACK_DEBUG', 'INVENTORY_HOSTVARS', 'AWX_HOST', 'PROJECT_REVISION', 'SUPERVISOR_CONFIG_PATH',
))

INPUTS_SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'required': {'type': 'array', 'items': {'type': 'string'}},
        'fields': {
            'type': 'array',
            'items': {
                'type': 'object',
                'additionalProperties': False,
                'required': ['id', 'label'],
                'properties': {
                    'id': {'type': 'string', 'pattern': NAME_PATTERN},
                    'label': {'type': 'string'},
                    'type': {'enum': ['string', 'boolean']},
                    'format': {'enum': ['ssh_private_key', 'url']},
                    'choices': {'type': 'array', 'minItems': 1, 'items': {'type': 'string'}, 'uniqueItems': True},
                    'help_text': {'type': 'string'},
                    'multiline': {'type': 'boolean'},
                    'secret': {'type': 'boolean'},
                    'ask_at_runtime': {'type': 'boolean'},
                    'default': {},
                },
            },
        },
    },
}

INJECTORS_SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'file': {'type': 'object', 'additionalProperties': False,
                 'patternProperties': {r'^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$': {'type': 'string'}}},
        # values must be ASCII: AWX hands them to pexpect
        'env': {'type': 'object', 'additionalProperties': False,
                'patternProperties': {NAME_PATTERN: {'type': 'string', 'pattern': '^[\x00-\x7F]*$'}}},
        'extra_vars': {'type': 'object', 'additionalProperties': False,
                       'patternProperties': {NAME_PATTERN: {'type': 'string'}}},
    },
}


def validate(definition):
    """Raise AssertionError naming the problem if AWX would refuse this credential type definition."""
    assert set(definition) <= {'name', 'description', 'kind', 'inputs', 'injectors'}, sorted(definition)
    assert isinstance(definition.get('name'), str) and definition['name'], 'a credential type needs a name'
    assert definition.get('kind') in CUSTOM_KINDS, 'kind must be cloud or net for a custom type, not %r' % definition.get('kind')
    inputs, injectors = definition.get('inputs', {}), definition.get('injectors', {})
    for value, schema in ((inputs, INPUTS_SCHEMA), (injectors, INJECTORS_SCHEMA)):
        try:
            jsonschema.validate(value, schema)
        except jsonschema.ValidationError as exc:
            raise AssertionError('schema: %s' % exc.message) from None
    assert 'dependencies' not in inputs, "'dependencies' is not supported for custom credentials"
    ids = [field['id'] for field in inputs.get('fields', [])]
    assert 'tower' not in ids, '"tower" is a reserved field name'
    assert len(ids) == len(set(ids)), 'field ids must be unique: %s' % ids
    assert set(inputs.get('required', [])) <= set(ids), 'required names a field that does not exist'
    for field in inputs.get('fields', []):
        kind = field.get('type', 'string')
        for key in ('choices', 'multiline', 'format', 'secret'):
            assert key not in field or kind == 'string', '%s not allowed for %s type (%s)' % (key, kind, field['id'])
        if 'default' in field:
            assert isinstance(field['default'], {'string': str, 'boolean': bool}[kind]), field
    for name in injectors.get('env', {}):
        assert not name.startswith('ANSIBLE_'), 'environment variable %s may affect Ansible configuration' % name
        assert name not in ENV_BLOCKLIST, 'environment variable %s is not allowed in credentials' % name
    # Every template must render with only the defined fields and the tower.filename(s) of the file injectors.
    labels = list(injectors.get('file', {}))
    if 'template' in labels:
        assert len(labels) == 1, 'must use multi-file syntax when injecting multiple files'
        filename = 'EXAMPLE_FILENAME'
    else:
        filename = types.SimpleNamespace(**dict((label.split('.', 1)[1], 'EXAMPLE_FILENAME') for label in labels))
    namespace = dict((field_id, 'EXAMPLE') for field_id in ids)
    namespace['tower'] = types.SimpleNamespace(filename=filename)
    strict = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)
    for section in injectors.values():
        for key, template in section.items():
            try:
                strict.from_string(template).render(namespace)
            except jinja2.UndefinedError as exc:
                raise AssertionError('%s uses an undefined field (%s)' % (key, exc)) from None


def inject(definition, inputs, private_data_dir, container_root=None):
    """Return ``(env, safe_env)`` as AWX builds them for a job using a credential with ``inputs``.

    File injectors are written into ``<private_data_dir>/env`` as AWX writes them; their paths in the
    job are under ``container_root`` (``/runner`` in AWX's containers; by default the directory itself).
    """
    fields = definition['inputs'].get('fields', [])
    secret = set(field['id'] for field in fields if field.get('secret') is True)
    namespace, safe = {}, {}
    for name, value in inputs.items():
        if isinstance(value, bool):
            namespace[name] = safe[name] = value
            continue
        if value:
            namespace[name] = value
            safe[name] = HIDDEN if name in secret else value
        elif name in secret:
            safe[name] = HIDDEN
    for field in fields:
        if field.get('type') == 'boolean' and field['id'] not in inputs:
            namespace[field['id']] = safe[field['id']] = False

    sandbox = ImmutableSandboxedEnvironment()
    env_dir = os.path.join(private_data_dir, 'env')
    os.makedirs(env_dir, exist_ok=True)
    root = str(container_root or private_data_dir)
    single, named = None, {}
    for label, template in definition['injectors'].get('file', {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, 'w') as out:
            out.write(sandbox.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        in_job = os.path.join(root, os.path.relpath(os.path.realpath(path), os.path.realpath(private_data_dir)))
        if '.' in label:
            named[label.split('.', 1)[1]] = in_job
        else:
            single = in_job
    tower = types.SimpleNamespace(filename=single or types.SimpleNamespace(**named))
    namespace['tower'] = safe['tower'] = tower

    env, safe_env = {}, {}
    for name, template in definition['injectors'].get('env', {}).items():
        if name in ENV_BLOCKLIST:
            continue
        env[name] = sandbox.from_string(template).render(**namespace)
        safe_env[name] = sandbox.from_string(template).render(**safe)
    return env, safe_env
