"""An SBC token: when it expires and how much of its life is left."""

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._token import TOKEN_LIFETIME, Token


def test_without_an_issue_time_a_token_was_issued_a_lifetime_before_it_expires():
    token = Token('t' * 20, 1600.0)
    assert token.issued_at == 1600.0 - TOKEN_LIFETIME and TOKEN_LIFETIME == 600.0
    assert token.remaining(now=1300.0) == 300.0 and token.life_left_fraction(now=1300.0) == 0.5


def test_the_life_left_counts_from_the_issue_time_given():
    token = Token('t' * 20, '2000', issued_at=1800)
    assert token.expires_at == 2000.0 and token.life_left_fraction(now=1900.0) == 0.5
    assert token.remaining(now=2100.0) == -100.0


def test_a_token_issued_as_it_expires_does_not_divide_by_zero():
    assert Token('t' * 20, 10.0, issued_at=10.0).life_left_fraction(now=9.0) == 1.0
