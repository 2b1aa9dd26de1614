"""ansible_filter: a plain function as a Jinja filter, its own errors turned into the filter error Ansible reports."""

import inspect

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.oracle_comms.provisioning.plugins.plugin_utils._filter import ansible_filter


class Refused(ValueError):
    pass


def halve(number, exact=False):
    """Half of ``number``."""
    if exact and number % 2:
        raise Refused('%d is odd' % number)
    if number < 0:
        raise ArithmeticError('negative')
    return number / 2


FILTER = ansible_filter(halve, Refused)


def test_it_answers_as_the_function_with_its_name_signature_and_docstring():
    assert FILTER(6) == 3 and FILTER(number=5) == 2.5 and FILTER(4, exact=True) == 2
    assert FILTER.__name__ == 'halve' and FILTER.__doc__ == 'Half of ``number``.'
    assert inspect.signature(FILTER) == inspect.signature(halve)


def test_the_errors_it_names_become_a_filter_error_with_the_same_message():
    with pytest.raises(AnsibleFilterError, match='^5 is odd$') as caught:
        FILTER(5, exact=True)
    assert isinstance(caught.value.__cause__, Refused)


def test_other_errors_pass_unchanged():
    with pytest.raises(ArithmeticError, match='negative'):
        FILTER(-2)


def test_a_tuple_of_errors_is_accepted():
    either = ansible_filter(halve, (Refused, ArithmeticError))
    for number, exact in ((5, True), (-2, False)):
        with pytest.raises(AnsibleFilterError):
            either(number, exact=exact)
