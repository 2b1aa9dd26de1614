"""Offline emulator of the Oracle SBC configuration-lock and SDM device-lock REST APIs.

Run it with ``python -m emulator`` from the collection root; docs/emulator.md is its contract.
It is test tooling shipped with the collection, not part of the Ansible plugins.
"""
