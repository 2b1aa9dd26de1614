"""What the lock logic's unit tests give it: validated parameters and a LockHost that records what it was told."""

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lock import LockHost


def validated(spec, args):
    """``args`` checked and completed by ansible-core's own validator (defaults, fallbacks), as a task's are."""
    result = ArgumentSpecValidator(**spec.to_kwargs()).validate(dict(args))
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


class RecordingHost(LockHost):
    """A LockHost whose warnings and held locks a test can read (``_warnings``, ``held``)."""

    def __init__(self, check_mode=False, diff=True, member=''):
        self._warnings = []
        self.held = []
        super(RecordingHost, self).__init__(check_mode, diff, member, self._warnings.append,
                                            on_lock=lambda store, options, run: self.held.append((options.product, run.ident)))
