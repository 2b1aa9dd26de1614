"""What a keeper renews while its run lives (_keeper_renew.Renewal): liveness in the record, and SBC tokens."""

import time

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._errors import OracleError
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_file import LeaseStore
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_format import Lease
from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_run import Run
from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._keeper_renew import REFRESH_RETRY, Renewal

RUN = Run('ctl', 1000, 111)


def sbc_lease(life, age):
    now = time.time()
    return Lease('sbc', 'sbc.test:443', 'configuration', 'admin', RUN, token='tok', issued_at=now - age, expires_at=now - age + life)


class Task:
    def __init__(self, renewals, fail):
        self.renewals, self.fail = renewals, fail
        self.client = self
        self.closed = False

    def renew(self):
        self.renewals.append(True)
        if self.fail:
            raise OracleError('connection refused', 'network')

    def close(self):
        self.closed = True


def renewal(store, fail=False, clock=None):
    renewals, said, forgotten = [], [], []
    made = Renewal(store, RUN, 'keeper-x', lambda state: Task(renewals, fail), lambda name: (forgotten.append(name), store.local.unlink(name)),
                   said.append, clock or (lambda: 0.0))
    return made, renewals, said, forgotten


def test_a_fresh_token_is_left_alone_and_one_running_out_or_asked_for_is_renewed(tmp_path):
    store = LeaseStore(str(tmp_path))
    made, renewals, _said, forgotten = renewal(store)
    made.keep_fresh([sbc_lease(life=600, age=10)])
    assert renewals == []
    made.keep_fresh([sbc_lease(life=60, age=50)])
    assert renewals == [True]
    asked = sbc_lease(life=600, age=10)
    store.local.touch(asked.key + '.json.refresh')
    made.keep_fresh([asked])
    assert renewals == [True, True] and forgotten == [asked.key + '.json.refresh'] and not store.local.exists(asked.key + '.json.refresh')


def test_a_failed_renewal_waits_before_the_next_attempt(tmp_path):
    clock = [0.0]
    made, renewals, said, _forgotten = renewal(LeaseStore(str(tmp_path)), fail=True, clock=lambda: clock[0])
    lease = sbc_lease(life=60, age=50)
    made.keep_fresh([lease])
    made.keep_fresh([lease])
    assert renewals == [True] and said == ['re-authentication failed: connection refused']
    clock[0] += REFRESH_RETRY
    made.keep_fresh([lease])
    assert renewals == [True, True]


def test_a_record_that_cannot_keep_the_run_alive_is_said_once(tmp_path):
    store = LeaseStore(str(tmp_path))
    answers = [OracleError('etcd cannot be reached', 'lease_error')] * 2 + [False, True]

    def keep_run_alive(run, scope):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    store.keep_run_alive = keep_run_alive
    made, _renewals, said, _forgotten = renewal(store)
    for _dummy in range(4):
        made.keep_run_alive()
    assert len(said) == 3 and 'cannot keep the run alive' in said[0] and said[1] == 'the lease record answers again'
    assert 'counted as gone' in said[2]


def test_the_file_backend_needs_no_liveness(tmp_path):
    made, _renewals, said, _forgotten = renewal(LeaseStore(str(tmp_path)))
    made.keep_run_alive()
    assert said == []
