"""Labels and constants that several stages share (the bottom of the pipeline: it imports nothing).

The renderer, the site-wide emitters (search, graph, social cards) and the
exports read these; keeping them here lets each of those import them without
importing the renderer.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"  # the templates shipped with the package

KIND_LABELS = {
    "note": "Note", "context": "Context", "fact-check": "Fact-check", "quote": "Quote", "question": "Open question",
}
KIND_PLURALS = {
    "note": "Notes", "context": "Context", "fact-check": "Fact-checks", "quote": "Quotes", "question": "Open questions",
}
VERDICT_LABELS = {
    "accurate": ("Accurate", "✓"), "mostly-accurate": ("Mostly accurate", "≈"), "misleading": ("Misleading", "!"),
    "unsupported": ("Unsupported", "?"), "false": ("False", "✗"),
}
TYPE_LABELS = {
    "person": "People", "organization": "Organisations", "company": "Companies",
    "government-body": "Government bodies", "ai-model": "AI models", "place": "Places", "concept": "Concepts",
    "policy": "Policies", "event": "Events",
}
TYPE_SINGULAR = {
    "person": "Person", "organization": "Organisation", "company": "Company", "government-body": "Government body",
    "ai-model": "AI model", "place": "Place", "concept": "Concept", "policy": "Policy", "event": "Event",
}


# Paged lists. An entity page shows the mentions and annotations of at most DOCUMENTS_PER_ENTITY_PAGE
# documents; the rest are on further pages (glossary/<id>/2.html, ...), so no entity page grows with
# the briefing. The home page and the annotation index list at most DOCUMENTS_PER_INDEX_PAGE documents
# each, newest first; the rest are on page/2.html, annotations/page/2.html, ... (docs/reader.md).
# Read by the page plans (pageviews, through views) and the link checker (links).
DOCUMENTS_PER_ENTITY_PAGE = 100
DOCUMENTS_PER_INDEX_PAGE = 100


def page_count(items: int, per_page: int) -> int:
    """How many pages ``items`` things take at ``per_page`` a page (at least one)."""
    return max(1, -(-items // per_page))
