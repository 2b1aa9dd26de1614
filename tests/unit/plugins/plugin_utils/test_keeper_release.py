"""The release loop of a keeper whose run is gone (_keeper_release)."""

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper_release import RELEASE_PATIENCE, give_back, release_until_done


class Held:
    resource = 'configuration'


def loop(found, release, clock, stop_overdue=lambda: False):
    said, cleaned = [], []
    answer = release_until_done(lambda: found[0], release, lambda: cleaned.append(True), said.append, clock, lambda _s: None, stop_overdue)
    return answer, said, cleaned


def test_what_is_given_back_is_said_and_nothing_left_ends_the_loop():
    found = [[Held()]]

    def release(leases):
        found[0] = []

    answer, said, cleaned = loop(found, release, lambda: 0.0)
    assert answer == 0 and cleaned == [True] and said[0].startswith('the run ended holding configuration; given back')


def test_a_failing_release_is_retried_until_the_patience_runs_out():
    clock = [0.0]

    def release(_leases):
        clock[0] += 100
        raise OracleError('connection refused', 'network')

    answer, said, cleaned = loop([[Held()]], release, lambda: clock[0])
    assert answer == 1 and cleaned == [True] and said.count('giving back failed: connection refused') == 7
    assert said[-1] == 'gave up after %d s; the lease record keeps the locks for the next run to recover' % RELEASE_PATIENCE


def test_a_bug_is_logged_and_a_stop_ends_the_loop():
    def release(_leases):
        raise KeyError('bug')

    answer, said, _cleaned = loop([[Held()]], release, lambda: 0.0, stop_overdue=lambda: True)
    assert answer == 1 and said[0] == "giving back failed: KeyError: 'bug'" and said[1].startswith('stopped before the locks')


@pytest.mark.parametrize('product', ['sbc', 'sdm'])
def test_give_back_closes_the_tasks_client_even_when_the_release_fails(product):
    events = []

    class Client:
        def close(self):
            events.append('close')

        def logout(self):
            events.append('logout')

    class Task:
        client = Client()

        def targets(self):
            return ['ID1']

        def release(self, *targets):
            events.append(('release', targets))
            raise OracleError('refused', 'network')

    lease = type('L', (), {'resource': 'device:ID1'})()
    with pytest.raises(OracleError):
        give_back(product, [lease], lambda state: events.append(state) or Task(), lambda ids: events.append(ids) or Task())
    if product == 'sbc':
        assert events == ['unlocked', ('release', ()), 'close']
    else:
        assert events == [['ID1'], ('release', (['ID1'],)), 'logout', 'close']
