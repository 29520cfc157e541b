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
