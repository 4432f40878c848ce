"""Marks customer-facing texts that the domain names, so that Babel extracts them into the
gettext catalogs (keyword `N_`). The marked English text is the message id: it is stored
and sent as is (providers read English) and translated where a customer is shown it.
"""

from __future__ import annotations


def N_(message: str) -> str:
    return message
