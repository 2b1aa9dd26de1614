# -*- coding: utf-8 -*-
# Copyright: Contributors to the oracle_comms.provisioning collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This file is for internal use by the oracle_comms.provisioning collection only.
# It may change, or be removed, at any time, without notice.

"""The body of ``config_element_info``: the elements of a type that match the filters, and its key attributes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.oracle_comms.provisioning.plugins.module_utils._config_diff import check_known, element_type_of, matching, normalized


def read_elements(params, host, redactor, under_lock):
    """What ``config_element_info`` does with validated ``params``: the elements and the type's key attributes.

    Oracle documents a read by every key attribute and a read of all elements (paged), nothing else: filters
    naming every key read one element, others read all and are applied here.

    ``under_lock(params, host, redactor, module)`` makes the task's UnderLock (``_config_element``), which finds
    this run's lock and its token.
    """
    element_type = element_type_of(params)
    filters = normalized(params.get('filters') or {})
    task = under_lock(params, host, redactor, 'config_element_info')
    try:
        with task.reader() as config:
            meta = config.metadata(element_type, 'config_element_info needs it to name the key attributes; read with '
                                   'config_element and key_attributes instead')
            check_known(meta, filters)
            keyed = (meta.keys or meta.singleton) and all(name in filters for name in meta.keys)
            if keyed:
                found = config.find(element_type, dict((name, filters[name]) for name in meta.keys), type_known=True)
            else:
                found = config.every(element_type)
            elements = matching(found, filters, meta)
        return dict(changed=False, element_type=element_type, elements=elements, key_attributes=list(meta.keys))
    finally:
        task.close()
