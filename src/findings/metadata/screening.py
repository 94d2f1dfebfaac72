"""Is this file a report at all?  Web pages saved as PDF, empty templates and files without
report text are refused before they are indexed, each with one sentence that says why.

Every test needs positive evidence: a short note with a single sentence is still a report
(users index their own notes), but a page whose only prose is a website's "Report not found",
cookie banner or search results is not, and neither is a template whose fields are still
"[Local authority name]" or "Click or tap here to enter text".
"""

from __future__ import annotations

import re

from findings.models import Page

# A web page's own furniture: banners, navigation and footers that no report contains.
_WEB_FURNITURE = re.compile(
    r"skip to main content|we use (?:some essential )?cookies|accept (?:all|additional) cookies"
    r"|reject (?:all|additional) cookies|(?:set|view|change your) cookie (?:preferences|settings)"
    r"|tell us whether you accept cookies|cookies on (?:gov\.uk|ofsted|[\w.]+\.gov\.uk)"
    r"|give feedback on (?:our|this) website|is this page useful|report a problem with this page"
    r"|accessibility statement|privacy notices?|terms of use|javascript (?:is )?(?:disabled|required)",
    re.IGNORECASE,
)
_NOT_FOUND = re.compile(
    r"\b(?:report|page|document) not found\b|\b404\b.{0,40}\bnot found\b"
    r"|document you requested no longer exists|page you (?:are|were) looking for"
    r"(?: (?:could not be|cannot be|was not|is not)) found",
    re.IGNORECASE | re.DOTALL,
)
_SEARCH_PAGE = re.compile(
    r"\b(?:search results|\d+ results? found|showing \d+ (?:to|-) \d+ of \d+|sort by|"
    r"filter (?:results|by)|refine (?:your )?search|find an inspection report|no results)\b",
    re.IGNORECASE,
)
# Template fields left empty: Word's content-control prompts, bracketed field names, lorem ipsum.
_PLACEHOLDER = re.compile(
    r"click or tap here to enter (?:text|a date)|click here to enter (?:text|a date)"
    r"|\[(?:insert|enter|add|name of|local authority|la name|council|date|lead inspector"
    r"|inspector|grade|judgement)[^\]]{0,40}\]|<(?:insert|name of|local authority|date)[^>]{0,40}>"
    r"|\blorem ipsum\b|\b(?:xx|dd)/(?:xx|mm)/(?:xxxx|yyyy)\b",
    re.IGNORECASE,
)
# A sentence of prose: four or more words, a lower-case word among them, closing punctuation.
_SENTENCE = re.compile(r"[A-Z0-9‘“'\"(][^.!?\n]*?\b[a-z]{2,}\b[^.!?]*?[.!?](?=\s|$)")

# Below this many words of prose outside a web page's furniture, the page has no report in it.
WEB_PAGE_MAX_WORDS = 300
# Below this many words of prose outside the template's fields, the template was never filled.
TEMPLATE_MAX_WORDS = 300


def not_a_report(pages: list[Page]) -> str | None:
    """Why these pages are not a report (one sentence for the user), or None if they may be."""
    text = "\n".join(page.text for page in pages)
    if not text.strip():
        return "no text found in the file"
    prose = _prose_words(text)
    furniture = len(_WEB_FURNITURE.findall(text))
    not_found = _NOT_FOUND.search(text)
    if not_found and furniture and prose < WEB_PAGE_MAX_WORDS:
        return (
            f"this is a web page saying '{' '.join(not_found.group(0).split())}', saved as a "
            "file, not a report; download the report itself again"
        )
    if furniture >= 2 and prose < WEB_PAGE_MAX_WORDS:
        if len(_SEARCH_PAGE.findall(text)) >= 2:
            return "this is a page of search results saved from a website, not a report"
        return (
            "this is a web page saved as a file (cookie banner and site links, no report "
            "text), not a report"
        )
    placeholders = len(_PLACEHOLDER.findall(text))
    if placeholders >= 2 and _prose_words(_PLACEHOLDER.sub(" ", text)) < TEMPLATE_MAX_WORDS:
        return (
            "this is an empty report template (its fields, such as "
            f"'{_PLACEHOLDER.search(text).group(0)}', were never filled in), not a report"
        )
    if prose == 0:
        return "the file has no report text: headings, labels or numbers, but no sentences"
    return None


def _prose_words(text: str) -> int:
    """Words in sentences of prose, leaving out sentences that are a web page's furniture."""
    flat = re.sub(r"[ \t]+", " ", text)
    flat = re.sub(r"(?<![.!?:])\n(?=[a-z])", " ", flat)  # a sentence wrapped over lines
    count = 0
    for match in _SENTENCE.finditer(flat):
        sentence = match.group(0)
        words = sentence.split()
        if len(words) >= 4 and not _WEB_FURNITURE.search(sentence) and not _NOT_FOUND.search(
            sentence
        ):
            count += len(words)
    return count
