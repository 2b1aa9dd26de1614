"""Benchmarks of oracle_comms.provisioning against the offline emulator: ``python -m benchmarks`` (see benchmarks/README.md)."""
