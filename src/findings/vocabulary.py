"""The words of the field and of the tool, each defined once: grades, judgements, report types,
stopwords, search modes and export formats.  Everything that names one of these imports it
from here, so two lists of the same words can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- grades -------------------------------------------------------------------------------------

# Grades, normalised. "requires improvement" covers "requires improvement to be good".
GRADES: tuple[str, ...] = (
    "outstanding",
    "good",
    "requires improvement",
    "adequate",
    "inadequate",
)
# A grade as reports write it, for regular expressions (no groups).
GRADE_PATTERN = r"(?:outstanding|good|requires? improvement(?: to be good)?|adequate|inadequate)"
# Grades on a 1-4 scale for charts: higher is better; "adequate" (pre-2013) sits with RI.
GRADE_SCORES: dict[str, int] = {
    "outstanding": 4,
    "good": 3,
    "requires improvement": 2,
    "adequate": 2,
    "inadequate": 1,
}

# --- judgements ---------------------------------------------------------------------------------

# Judgement keys line up with ../shared/corpus/ilacs_history.csv; extra ones have their own keys.
JUDGEMENT_LABELS: dict[str, str] = {
    "overall_effectiveness": "Overall effectiveness",
    "impact_of_leaders": "Impact of leaders",
    "help_and_protection": "Help and protection",
    "in_care": "Children in care",
    "care_leavers": "Care leavers",
    "adoption": "Adoption performance",
    "lscb": "Local Safeguarding Children Board",
}
JUDGEMENT_KEYS: tuple[str, ...] = tuple(JUDGEMENT_LABELS)


def judgement_label(key: str) -> str:
    """"Help and protection" for "help_and_protection"; unknown keys read sensibly too."""
    return JUDGEMENT_LABELS.get(key, key.replace("_", " ").capitalize())


def judgement_order(key: str) -> int:
    """Where a judgement goes in a list: the order of JUDGEMENT_KEYS, unknown keys last."""
    return JUDGEMENT_KEYS.index(key) if key in JUDGEMENT_KEYS else len(JUDGEMENT_KEYS)


# --- report types -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportType:
    """One kind of report: `label` for lists and filters, `slug` for report ids ("" adds
    nothing), `citation` for the words a citation uses (lower case, as in running text)."""

    label: str
    slug: str
    citation: str


REPORT_TYPES: dict[str, ReportType] = {
    "ilacs_standard": ReportType(
        "Inspection of local authority children's services (ILACS standard)", "ilacs",
        "inspection of local authority children's services",
    ),
    "ilacs_short": ReportType(
        "Inspection of local authority children's services (ILACS short)", "ilacs-short",
        "inspection of local authority children's services (short)",
    ),
    "focused_visit": ReportType("Focused visit", "focused-visit", "focused visit"),
    "monitoring_visit": ReportType("Monitoring visit", "monitoring-visit", "monitoring visit"),
    "sif": ReportType(
        "Single inspection framework inspection", "sif",
        "inspection of services for children in need of help and protection, children looked "
        "after and care leavers",
    ),
    "child_protection_2012": ReportType(
        "Inspection of arrangements for the protection of children", "child-protection",
        "inspection of local authority arrangements for the protection of children",
    ),
    "jtai": ReportType("Joint targeted area inspection", "jtai", "joint targeted area inspection"),
    "peer_review": ReportType("Peer review", "peer-review", "peer review"),
    "press_release": ReportType("Press release", "press-release", "press release"),
    "other": ReportType("Other document", "", "report"),
}


def report_type(key: str) -> ReportType:
    """The ReportType of a key; an unknown key (a user's correction) reads as itself."""
    return REPORT_TYPES.get(key) or ReportType(key, "", key.replace("_", " "))


# --- words that carry no meaning in a query ----------------------------------------------------

# One list for keyword search and for highlighting, so both ignore the same words.  Short on
# purpose: words such as "over", "more" and "all" carry findings ("over-optimism"), so they
# are kept.  (A string split into words reads better here than quoted literals.)
STOPWORDS = frozenset(
    """a an and are as at be been but by can do does for from had has have how i in into is it
    its me my not of on or our so than that the their them there these they this to too was we
    were what when where which who why will with you your""".split()
)

# --- what a finding says ------------------------------------------------------------------------

# The tags of findings.tagging, as a user reads them.
TAG_LABELS: dict[str, str] = {
    "strength": "strength",
    "weakness": "area for improvement",
    "context": "context",
}
# The "Findings" filter's choices, as a user reads them (the app's radio, the active-filter chip).
TAG_FILTER_LABELS: dict[str, str] = {"strength": "Only strengths", "weakness": "Only areas for improvement"}

# --- the tool's own choices ---------------------------------------------------------------------

MODES: dict[str, str] = {"hybrid": "Hybrid", "semantic": "Semantic", "keyword": "Keyword"}


@dataclass(frozen=True)
class ExportFormat:
    """An export format: the button label, the file suffix and the MIME type."""

    label: str
    suffix: str
    mime: str
    text: bool  # can go to standard output


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "docx": ExportFormat(
        "Word", "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", False,
    ),
    "csv": ExportFormat("CSV", "csv", "text/csv", True),
    "md": ExportFormat("Markdown", "md", "text/markdown", True),
    "json": ExportFormat("JSON", "json", "application/json", True),
}
