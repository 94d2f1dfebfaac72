"""Judgements and grades: where each kind of report states them, normalised to GRADES.

Keys are JUDGEMENT_KEYS plus `capacity_to_improve` (child protection 2012-13, looked after
children 2012-13 and safeguarding and looked after children 2009-12 inspections).  A judgement the
report does not make is absent from the dict, never "not judged".
"""

from __future__ import annotations

import re

from findings.vocabulary import GRADES

_GRADE = (
    r"(outstanding|good|requires? improvement(?: to be good)?|adequate|inadequate"
    r"|grade \d \((?:outstanding|good|adequate|inadequate)\))"
)

# ILACS judgement table: label then grade, flattened.
_ILACS: dict[str, str] = {
    "impact_of_leaders": r"The impact of leaders on (?:social work )?practice with children"
    r" and families\.?",
    "help_and_protection": r"The experiences and progress of children who need help and"
    r" protection\.?",
    "in_care": r"The experiences and progress of children in care(?: and care leavers)?\.?",
    "care_leavers": r"The experiences and progress of (?:children )?care leavers\.?",
    "overall_effectiveness": r"Overall effectiveness\.?",
}

# SIF judgement list on the cover: numbered labels then grade.
_SIF: dict[str, str] = {
    "help_and_protection": r"1\.?\s*Children who need help and protection",
    "in_care": r"2\.?\s*Children looked after and achieving permanence",
    "adoption": r"2\.1\.?\s*Adoption performance",
    "care_leavers": r"2\.2\.?\s*Experiences and progress of care leavers",
    "impact_of_leaders": r"3\.?\s*Leadership,? management and governance",
}
_SIF_OVERALL = (
    r"Children.s services in .{1,120}? (?:(?:is|are) )?" + _GRADE,
    r"overall judgement is (?:that )?(?:children.s services? )?(?:is |are )?" + _GRADE,
)
_LSCB = (
    r"(?:Local )?Safeguarding Children Board (?:\(LSCB\) )?(?:is |are )?"
    + _GRADE
    + r"(?= The arrangements| Executive summary| The (?:Local Safeguarding|LSCB|board))",
    r"(?:Local )?Safeguarding Children Board (?:\(LSCB\) )?(?:is |are )?" + _GRADE,
    r"\bLSCB (?:is |are )?" + _GRADE + r"\b(?! (?:at|in|and)\b)",
)

# 2009-13 inspections: a sentence, a "Grade n (x)" line, or the "Record of main findings" table.
_OVERALL_OLD = (
    r"overall effectiveness of (?:the )?(?:arrangements to (?:protect|safeguard) children|services"
    r" for (?:looked after )?children(?: and young people)?)[^.]{0,80}? (?:is|are|was|were) "
    + _GRADE,
    r"overall effectiveness of [^.]{0,90}?" + _GRADE,
    r"Record of main findings.{0,200}?Overall effectiveness\s*" + _GRADE,
)
_CAPACITY = (
    r"capacity (?:to|for) improve(?:ment)?[^.]{0,100}? (?:is|are) " + _GRADE,
    r"Capacity (?:to|for) improve(?:ment)?\s*" + _GRADE,
)


def normalise_grade(text: str) -> str | None:
    """One of GRADES for a grade as written ('Require improvement', 'Grade 3 (adequate)')."""
    text = " ".join(text.lower().split())
    if text.startswith("grade"):
        text = text[text.find("(") + 1 : -1]
    if "improvement" in text:
        return "requires improvement"
    return text if text in GRADES else None


def _first(patterns: tuple[str, ...], text: str) -> str | None:
    for pattern in patterns:
        match = re.search(pattern, text, re.IGNORECASE | re.DOTALL)
        if match:
            return normalise_grade(match.group(1))
    return None


def _table(labels: dict[str, str], text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, label in labels.items():
        match = re.search(label + r"\s*" + _GRADE + r"\b", text, re.IGNORECASE)
        if match and (grade := normalise_grade(match.group(1))):
            found[key] = grade
    return found


def judgements_for(kind: str, head: str, full: str) -> dict[str, str]:
    """Judgement key -> grade for a report of type `kind` (from `report_type`)."""
    found: dict[str, str] = {}
    if kind in ("ilacs", "ilacs_standard", "ilacs_short"):
        found = _table(_ILACS, head)
    elif kind == "sif":
        found = _table(_SIF, head)
        if overall := _first(_SIF_OVERALL, head):
            found["overall_effectiveness"] = overall
        if lscb := _first(_LSCB, full):
            found["lscb"] = lscb
    elif kind in ("child_protection_2012", "other"):
        if overall := _first(_OVERALL_OLD, full):
            found["overall_effectiveness"] = overall
        if capacity := _first(_CAPACITY, full):
            found["capacity_to_improve"] = capacity
    return found
