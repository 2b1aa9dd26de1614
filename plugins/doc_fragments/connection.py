# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Connection options of the SBC and SDM REST APIs: same names, different defaults and environment variables."""

    SBC = r'''
options:
  host:
    description:
      - Name or address of the SBC, optionally with C(:port) (default port 443). C(https://) may prefix it; C(http://) is refused.
      - If not set, the environment variable E(SBC_HOST) is used.
    type: str
  username:
    description:
      - User of the SBC REST API. Locking needs administrator rights.
      - If not set, the environment variable E(SBC_USERNAME) is used.
    type: str
  password:
    description:
      - Password of O(username). Never shown in output or logs.
      - If not set, the environment variable E(SBC_PASSWORD) is used.
    type: str
  validate_certs:
    description:
      - Whether to verify the SBC's TLS certificate. Set V(false) only for lab devices; no warning about it is printed then.
      - This setting is applied as given even where E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) is set in the environment.
      - If not set, the environment variable E(SBC_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA certificate(s) to trust for the SBC, instead of the system's trust store.
      - If not set, the environment variable E(SBC_CA_PATH) is used.
    type: path
  timeout:
    description:
      - Seconds one request to the SBC may take in all, from connecting (TCP and TLS) to the last byte of its answer,
        retries and the waits between them included. An answer that has not arrived whole by then, even one
        the SBC is still sending a byte at a time, fails the task with reason V(network).
      - A task sends a few requests, each with this limit. Looking up the host name in DNS is not counted in it;
        the system resolver's own limits apply.
      - If not set, the environment variable E(SBC_TIMEOUT) is used.
    type: float
    default: 30
  api_version:
    description:
      - REST API version, for example V(v1.2) (SBC 8.4 and later), V(v1.1) (8.3) or V(v1.0) (8.2).
      - If not set, the newest version this collection speaks that the device accepts is found on the first request
        (V(v1.2), then older ones), and remembered with the lock.
      - If not set, the environment variable E(SBC_API_VERSION) is used.
    type: str
'''

    SDM = r'''
options:
  host:
    description:
      - Name or address of the SDM, optionally with C(:port) (default port 8443). C(https://) may prefix it; C(http://) is refused.
      - If not set, the environment variable E(SDM_HOST) is used.
    type: str
  username:
    description:
      - SDM user. Device locks belong to this user, not to a session or a run.
      - If not set, the environment variable E(SDM_USERNAME) is used.
    type: str
  password:
    description:
      - Password of O(username). Never shown in output or logs.
      - If not set, the environment variable E(SDM_PASSWORD) is used.
    type: str
  validate_certs:
    description:
      - Whether to verify the SDM's TLS certificate. Set V(false) only for lab servers; no warning about it is printed then.
      - This setting is applied as given even where E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) is set in the environment.
      - If not set, the environment variable E(SDM_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA certificate(s) to trust for the SDM, instead of the system's trust store.
      - If not set, the environment variable E(SDM_CA_PATH) is used.
    type: path
  timeout:
    description:
      - Seconds one request to the SDM may take in all, from connecting (TCP and TLS) to the last byte of its answer,
        retries and the waits between them included. An answer that has not arrived whole by then, even one
        the SDM is still sending a byte at a time, fails the task with reason V(network).
      - A task sends a few requests, each with this limit. Looking up the host name in DNS is not counted in it;
        the system resolver's own limits apply.
      - If not set, the environment variable E(SDM_TIMEOUT) is used.
    type: float
    default: 30
  api_version:
    description:
      - REST API version of the SDM (V(v1.0) to V(v1.3)).
      - If not set, the environment variable E(SDM_API_VERSION) is used.
    type: str
    default: v1.3
'''
