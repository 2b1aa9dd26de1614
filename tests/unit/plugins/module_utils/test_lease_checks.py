"""The field checks a stored lease passes (_lease_checks): types and sizes, and LeaseFormatError as a ValueError."""

import math

import pytest

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._lease_checks import (
    LeaseFormatError,
    expect,
    is_int,
    is_number,
    is_text,
    optional,
)


def test_expect_raises_a_value_error_that_says_what():
    expect(True, 'never said')
    with pytest.raises(ValueError) as caught:
        expect(False, 'run pid is not a positive integer')
    assert isinstance(caught.value, LeaseFormatError) and str(caught.value) == 'run pid is not a positive integer'


@pytest.mark.parametrize('value, integer, number', [
    (1, True, True), (0, True, True), (1.5, False, True), (True, False, False), (math.inf, False, False),
    (math.nan, False, False), ('1', False, False), (None, False, False),
])
def test_numbers_are_never_booleans_or_infinite(value, integer, number):
    assert is_int(value) is integer and is_number(value) is number


def test_text_is_non_empty_and_bounded():
    assert is_text('a') and is_text('a' * 1024) and not is_text('a' * 1025) and is_text('abc', 3) and not is_text('abcd', 3)
    assert not is_text('') and not is_text(b'a') and not is_text(None)


def test_optional_accepts_none_or_what_passes():
    assert optional(None, is_int) and optional(3, is_int) and not optional('3', is_int)
