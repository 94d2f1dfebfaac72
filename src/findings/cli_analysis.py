"""The CLI commands for an analyst's next questions: follow-up, trend and compare.

Registered on the `findings` group by `cli.py`; the behaviour is `findings.analysis`'s.
"""

from __future__ import annotations

import json

import click

from findings import serialise
from findings.config import Settings
from findings.display import printable


def register(main: click.Group) -> None:
    from findings.cli import index_option, json_option, model_option, user_errors

    @main.command(name="follow-up")
    @click.argument("report_id")
    @click.option("--item", type=int, default=None, help="Only this recommendation (1 is the first).")
    @index_option
    @model_option
    @json_option
    @user_errors
    def follow_up(report_id: str, item: int | None, index_dir: str | None, model: str | None, as_json: bool) -> None:
        """What the council's later reports said about each recommendation of a report.

        \b
        Example:
            findings follow-up blackpool-2018-ilacs --item 2
        """
        from findings.analysis.followup import follow_up as follow
        from findings.library import Library

        library = Library(Settings.load(index_dir, model))
        for found in follow(library, report_id, item):
            rec = found.recommendation
            if as_json:
                click.echo(json.dumps({
                    "item": rec.number, "paragraph": rec.paragraph.id, "text": rec.paragraph.text,
                    "later": [
                        {"report_id": step.report.id, "when": step.report.meta.when.isoformat(),
                         "findings": [{**serialise.hit(f.hit), "tag": f.tag.label} for f in step.findings]}
                        for step in found.later
                    ],
                }, ensure_ascii=False))
                continue
            click.echo(f"{rec.number}. {printable(rec.paragraph.text)}")
            if not found.later:
                click.echo("   No later report of the council speaks to this yet.")
            for step in found.later:
                click.echo(f"   {step.report.meta.when:%B %Y}: {printable(step.report.meta.title or step.report.id)}")
                for finding in step.findings:
                    click.echo(f"     [{finding.tag.label}] {printable(finding.hit.citation)}")
                    for sentence in finding.hit.highlights:
                        click.echo(f"       > {printable(sentence)}")
            click.echo("")

    @main.command()
    @click.argument("query")
    @click.option("--by", type=click.Choice(["year", "type", "grade"]), default="year", show_default=True)
    @click.option("--csv", "as_csv", is_flag=True, help="The numbers as CSV.")
    @index_option
    @model_option
    @user_errors
    def trend(query: str, by: str, as_csv: bool, index_dir: str | None, model: str | None) -> None:
        """How often a theme is a strong match in the reports, by year, report type or grade.

        \b
        Example:
            findings trend "over-optimism about parental change" --by grade
        """
        from findings.analysis.trends import trend as measure
        from findings.library import Library

        found = measure(Library(Settings.load(index_dir, model)), query, by)
        if as_csv:
            click.echo(found.csv(), nl=False)
            return
        click.echo(f"{by:<40}{'reports':>8}{'match':>7}{'share':>7}{'strength':>10}{'to improve':>12}")
        for row in found.rows:
            click.echo(f"{printable(row.group)[:39]:<40}{row.reports:>8}{row.matching:>7}{row.share:>7.0%}"
                       f"{row.strengths:>10}{row.weaknesses:>12}")

    @main.command()
    @click.argument("councils", nargs=-1)
    @click.option("--theme", required=True, help="What to compare them on.")
    @click.option("--neighbours-of", default=None, metavar="COUNCIL", help="A council and its statistical neighbours.")
    @index_option
    @model_option
    @json_option
    @user_errors
    def compare(councils: tuple[str, ...], theme: str, neighbours_of: str | None, index_dir: str | None,
                model: str | None, as_json: bool) -> None:
        """Two to four councils' findings on a theme, side by side, newest first.

        \b
        Example:
            findings compare Blackpool "Blackburn with Darwen" --theme "private fostering"
            findings compare --neighbours-of Blackpool --theme "care leavers accommodation"
        """
        from findings.analysis.compare import compare as side_by_side
        from findings.library import Library

        found = side_by_side(Library(Settings.load(index_dir, model)), list(councils), theme, neighbours_of)
        for column in found.columns:
            if as_json:
                for finding in column.findings:
                    click.echo(json.dumps({**serialise.hit(finding.hit), "council": column.council,
                                           "tag": finding.tag.label}, ensure_ascii=False))
                continue
            click.echo(f"{printable(column.council)} ({column.reports} reports)")
            if not column.findings:
                click.echo("   No finding on this theme.")
            for finding in column.findings:
                click.echo(f"   [{finding.tag.label}] {printable(finding.hit.citation)}")
                for sentence in finding.hit.highlights:
                    click.echo(f"      > {printable(sentence)}")
            click.echo("")
