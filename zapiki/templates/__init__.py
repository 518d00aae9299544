"""Proof templates: common statements proved without writing a circuit (circom circuits shipped compiled).

>>> from zapiki import templates
>>> [t.id for t in templates.all_templates("identity")]
['age_at_least', 'signed_attribute']
>>> sorted(templates.CATEGORIES)
['cryptography', 'finance', 'identity', 'membership']
"""

from __future__ import annotations

from zapiki.templates.catalogue import CATEGORIES, EXAMPLE_ISSUER_KEY, Template, all_templates, get

__all__ = ["CATEGORIES", "EXAMPLE_ISSUER_KEY", "Template", "all_templates", "get"]
