"""The Reports page's logic: the table of indexed reports, judgement histories, and adding
reports by upload (saved under <index>/uploads through `sandbox.write_upload`,
so a name from the browser can never point outside that folder).  No streamlit import here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from findings.files import disk_is_full, sha256_bytes, sha256_file
from findings.models import Report
from findings.readers import MAX_FILE_BYTES, SUPPORTED_SUFFIXES
from findings.sandbox import safe_upload_name, write_upload
from findings.store import DiskFull
from findings.vocabulary import GRADE_SCORES, JUDGEMENT_KEYS, judgement_label
from findings.webapp.views import report_type_label

UPLOAD_TYPES: tuple[str, ...] = tuple(s.lstrip(".") for s in SUPPORTED_SUFFIXES)
UPLOAD_LIMIT_MB = MAX_FILE_BYTES // (1024 * 1024)  # matches server.maxUploadSize in config.toml
UPLOADS_DIR = "uploads"


# --- the reports -------------------------------------------------------------------------------


def collection_rows(reports: Iterable[Report]) -> list[dict[str, Any]]:
    """One row per report for a sortable table: council, type, dates, the grades it has, then
    the rest; empty cells are blank, never "None"; judgement columns only where some report
    has that judgement."""
    from findings.citations import date_range

    reports = list(reports)
    judged = [key for key in JUDGEMENT_KEYS if any(key in r.meta.judgements for r in reports)]
    rows = []
    for report in reports:
        meta = report.meta
        row: dict[str, Any] = {
            "council": meta.authority or "(council not read)",
            "type": report_type_label(meta.report_type),
            "inspected": date_range(meta.inspection_start, meta.inspection_end),
        }
        for key in judged:
            row[judgement_label(key)] = meta.judgements.get(key, "")
        row["published"] = date_range(meta.published, None)
        row["paragraphs"] = report.paragraph_count
        row["file"] = report.file
        row["id"] = report.id
        rows.append(row)
    return rows


def judgement_history(reports: Iterable[Report], council: str) -> list[dict[str, Any]]:
    """Dated grades of one council, one row per (report, judgement), scored 1-4."""
    rows = []
    for report in reports:
        meta = report.meta
        when = meta.when
        if meta.authority != council or when is None:
            continue
        for key, grade in meta.judgements.items():
            if grade in GRADE_SCORES:
                rows.append(
                    {
                        "date": when,
                        "judgement": judgement_label(key),
                        "grade": grade,
                        "score": GRADE_SCORES[grade],
                        "report": report.id,
                    }
                )
    return sorted(rows, key=lambda r: (r["date"], r["judgement"]))


GRADE_COLOURS: dict[str, str] = {
    "outstanding": "#1f77b4",
    "good": "#2ca02c",
    "requires improvement": "#ffb000",
    "adequate": "#ffb000",
    "inadequate": "#d62728",
}


def history_chart(rows: Sequence[dict[str, Any]]) -> Any:
    """An Altair chart of `judgement_history` rows: one row of marks per judgement, coloured by
    grade, so no judgement's line hides another's."""
    import altair as alt
    import pandas as pd

    order = [judgement_label(k) for k in JUDGEMENT_KEYS]
    frame = pd.DataFrame(list(rows))
    grades = [g for g in GRADE_COLOURS if g in set(frame["grade"])]
    base = alt.Chart(frame).encode(
        x=alt.X("date:T", title="Inspection", axis=alt.Axis(format="%Y")),
        y=alt.Y("judgement:N", title=None, sort=order),
    )
    line = base.mark_line(color="#bbbbbb").encode(detail="judgement:N")
    points = base.mark_point(filled=True, size=220, opacity=1).encode(
        color=alt.Color(
            "grade:N", title="Grade", sort=grades,
            scale=alt.Scale(domain=grades, range=[GRADE_COLOURS[g] for g in grades]),
        ),
        shape=alt.Shape("grade:N", sort=grades, legend=None),
        tooltip=["date:T", "judgement:N", "grade:N", "report:N"],
    )
    return (line + points).properties(height=max(120, 42 * frame["judgement"].nunique()))


# --- uploads -----------------------------------------------------------------------------------


def save_upload(folder: Path, name: str, data: bytes) -> Path:
    """Write an upload under `folder` with a sanitised name (sandbox.write_upload: never follows
    a symlink, never overwrites); an upload with the same bytes as a stored one reuses it."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = sha256_bytes(data)
    for existing in sorted(folder.iterdir()):
        if existing.is_symlink() or not existing.is_file():
            continue
        if existing.stat().st_size == len(data) and sha256_file(existing) == digest:
            return existing
    return write_upload(folder, name, data)


@dataclass
class UploadOutcome:
    """What happened to a batch of uploads, for one line per file on the page."""

    summary_line: str = ""
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # already indexed from another file


def ingest_uploads(
    library: Any,
    uploads: Sequence[tuple[str, bytes]],
    index_dir: Path,
    progress: Callable[[Iterable[Path]], Iterable[Path]] | None = None,
) -> UploadOutcome:
    """Save uploads under <index>/uploads and ingest them; unreadable files land in `failed`."""
    outcome = UploadOutcome()
    paths: list[Path] = []
    shown: dict[str, str] = {}
    for name, data in uploads:
        safe = safe_upload_name(name)
        if "." + safe.rpartition(".")[2] not in SUPPORTED_SUFFIXES:
            outcome.failed.append((name, "unsupported file type (use PDF, text, Markdown or Word .docx)"))
            continue
        if len(data) > MAX_FILE_BYTES:
            outcome.failed.append((name, f"over the {UPLOAD_LIMIT_MB} MB limit"))
            continue
        try:
            path = save_upload(index_dir / UPLOADS_DIR, name, data)
        except OSError as exc:
            if disk_is_full(exc, index_dir):
                raise DiskFull(index_dir) from exc
            raise
        paths.append(path)
        shown[str(path)] = name
    if paths:
        summary = library.ingest(paths, progress=progress, file_names=shown)
        outcome.summary_line = summary.line()
        outcome.added = [shown.get(p, p) for p in summary.added + summary.replaced]
        outcome.unchanged = [shown.get(p, p) for p in summary.unchanged]
        outcome.failed += [(shown.get(p, p), reason) for p, reason in summary.failed]
        outcome.warnings = [(shown.get(p, p), warning) for p, warning in summary.warnings]
        outcome.duplicates = [(shown.get(p, p), reason) for p, reason in summary.duplicates]
        for path, _ in summary.failed + summary.duplicates:
            Path(path).unlink(missing_ok=True)  # keep uploads/ to files that are indexed
    if outcome.failed and not outcome.summary_line:
        outcome.summary_line = f"0 added, {len(outcome.failed)} failed"
    return outcome


def outcome_messages(outcome: UploadOutcome) -> list[tuple[str, str]]:
    """(streamlit element name, text) lines that report an upload batch on the page."""
    lines = [("warning" if outcome.failed else "success", f"Ingest: {outcome.summary_line}.")]
    lines += [("error", f"{name}: {reason}") for name, reason in outcome.failed]
    lines += [("warning", f"{name}: {warning}") for name, warning in outcome.warnings]
    lines += [("info", f"{name}: {reason}") for name, reason in outcome.duplicates]
    return lines
