"""The `findings` command: a thin click layer over the library.

Every command takes `--index DIR` (default ./index, or $FINDINGS_INDEX).  `--json` prints one
object per line.  Errors a user can cause print one sentence and exit 1 (2 for bad usage).
"""

from __future__ import annotations

import json
import logging
import sys
from functools import wraps

import click

from findings import serialise
from findings.config import INDEX_ENV, MODEL_ENV, Settings
from findings.display import printable
from findings.vocabulary import EXPORT_FORMATS, MODES, TAG_LABELS

logger = logging.getLogger(__name__)

index_option = click.option(
    "--index", "index_dir", envvar=INDEX_ENV, default=None, metavar="DIR",
    help="Index folder (default ./index, or $FINDINGS_INDEX).",
)
model_option = click.option(
    "--model", envvar=MODEL_ENV, default=None, metavar="NAME_OR_PATH",
    help="Sentence-transformers model (default: the packaged all-MiniLM-L6-v2).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")


def user_errors(func):
    """Turn the library's user-facing errors into one line on stderr and exit code 1."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        from findings.errors import USER_ERRORS

        try:
            return func(*args, **kwargs)
        except USER_ERRORS as exc:
            click.echo(f"Error: {printable(exc)}", err=True)
            sys.exit(1)

    return wrapper


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
@click.version_option(package_name="findings")
def main(verbose: bool) -> None:
    """Search Ofsted and other inspection reports of councils' children's services.

    \b
    Example:
        findings ingest seeds/
        findings search "domestic abuse over-optimism"
    """
    handler = logging.StreamHandler()
    handler.setFormatter(_PrintableFormatter("%(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


class _PrintableFormatter(logging.Formatter):
    """Log lines with any name or value in them escaped: one line each, nothing for the terminal."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return printable(super().formatMessage(record))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@index_option
@model_option
@click.option("--no-embed", is_flag=True, help="Store text only; embed later with `findings reindex`.")
@click.option("--follow-links", is_flag=True,
              help="Also ingest what symbolic links inside the folders point to (skipped by default).")
@user_errors
def ingest(paths: tuple[str, ...], index_dir: str | None, model: str | None, no_embed: bool,
           follow_links: bool) -> None:
    """Add report files (PDF, text, Markdown, Word) or folders of them to the index.

    A file with the same bytes as a report already indexed from another path is named as a
    duplicate and not stored again; symbolic links inside a folder are skipped (each with a line)
    unless --follow-links is given.

    \b
    Example:
        findings ingest seeds/ ~/Downloads/ofsted-report.pdf
    """
    from tqdm import tqdm

    from findings.library import Library

    settings = Settings.load(index_dir, model)
    library = Library(settings, embed=not no_embed)

    def progress(files):
        return tqdm(files, desc="Ingesting", unit="file", file=sys.stderr, disable=None)

    summary = library.ingest(paths, progress=progress, follow_links=follow_links)
    for path, reason in summary.skipped:
        click.echo(f"Skipped: {printable(path)}: {printable(reason)}", err=True)
    for path, reason in summary.duplicates:
        click.echo(f"Duplicate: {printable(path)}: {printable(reason)}", err=True)
    for path, reason in summary.failed:
        click.echo(f"Failed: {printable(path)}: {printable(reason)}", err=True)
    for path, warning in summary.warnings:
        click.echo(f"Warning: {printable(path)}: {printable(warning)}", err=True)
    click.echo(summary.line(), err=True)
    if summary.failed:
        sys.exit(1)


@main.command()
@index_option
@json_option
@click.option("--unnamed", is_flag=True, help="Only reports with no council (name them with `findings correct`).")
@user_errors
def reports(index_dir: str | None, as_json: bool, unnamed: bool) -> None:
    """List the indexed reports.

    \b
    Example:
        findings reports --json
        findings reports --unnamed
    """
    from findings.metadata import unnamed_reports
    from findings.store import Store

    store = Store(Settings.load(index_dir).index_dir, create=False)
    for report in unnamed_reports(store.reports()) if unnamed else store.reports():
        if as_json:
            click.echo(json.dumps(serialise.report(report), ensure_ascii=False))
        else:
            click.echo(printable(serialise.report_line(report)))


@main.command()
@click.argument("report_id")
@index_option
@json_option
@user_errors
def paragraphs(report_id: str, index_dir: str | None, as_json: bool) -> None:
    """Show a report's paragraphs in order.

    \b
    Example:
        findings paragraphs blackburn-with-darwen-2022-ilacs --json
    """
    from findings.store import Store, StoreError

    store = Store(Settings.load(index_dir).index_dir, create=False)
    if store.report(report_id) is None:
        raise StoreError(f"no report with id '{report_id}' (see `findings reports`)")
    for paragraph in store.paragraphs(report_id):
        if as_json:
            click.echo(json.dumps(serialise.paragraph(paragraph), ensure_ascii=False))
        else:
            label = paragraph.number if paragraph.number is not None else paragraph.key
            flag = " [boilerplate]" if paragraph.boilerplate else ""
            click.echo(f"{label}. {paragraph.text}{flag}\n")


@main.command()
@click.argument("report_id")
@click.argument("field")
@click.argument("value")
@index_option
@user_errors
def correct(report_id: str, field: str, value: str, index_dir: str | None) -> None:
    """Correct a report's metadata without editing its file (kept across re-ingest).

    FIELD is one of authority, report_type, title, inspection_start, inspection_end, published,
    lead_inspector, or judgement.KEY (e.g. judgement.care_leavers).

    \b
    Example:
        findings correct blackpool-2012-child-protection published 2012-08-03
    """
    from findings.store import Store

    Store(Settings.load(index_dir).index_dir, create=False, upgrade=True).correct(report_id, field, value)
    click.echo(f"{printable(report_id)}: {printable(field)} = {printable(value)}", err=True)


@main.command()
@click.argument("report_ids", nargs=-1, required=True)
@index_option
@user_errors
def remove(report_ids: tuple[str, ...], index_dir: str | None) -> None:
    """Remove reports (and their paragraphs) from the index.

    \b
    Example:
        findings remove blackburn-with-darwen-2022-press-release
    """
    from findings.library import Library
    from findings.store import no_report

    library = Library(Settings.load(index_dir), embed=False, create=False, upgrade=True)
    removed = set(library.remove_reports(report_ids))
    for report_id in report_ids:
        if report_id in removed:
            click.echo(f"removed {printable(report_id)}", err=True)
        else:
            click.echo(f"Error: {printable(no_report(report_id))}", err=True)
    if not removed.issuperset(report_ids):
        sys.exit(1)


@main.command()
@click.argument("query", required=False)
@click.option("--saved", default=None, metavar="NAME", help="Run a saved search (saved in the app or with --save).")
@click.option("--save", "save_as", default=None, metavar="NAME", help="Also save this search under NAME.")
@click.option("-k", "k", default=10, show_default=True, help="How many results.")
@click.option("--mode", type=click.Choice(list(MODES)), default="hybrid", show_default=True)
@click.option("--authority", "authorities", multiple=True, metavar="COUNCIL", help="Only this council (repeatable).")
@click.option("--from-year", type=int, default=None, help="Inspections from this year.")
@click.option("--to-year", type=int, default=None, help="Inspections up to this year.")
@click.option("--type", "report_types", multiple=True, metavar="TYPE",
              help="Report type, e.g. ilacs_standard (repeatable).")
@click.option("--judgement", "judgements", multiple=True, metavar="KEY=GRADE",
              help="e.g. care_leavers=inadequate (repeatable).")
@click.option("--section", "sections", multiple=True, metavar="WORDS", help="Section heading contains these words.")
@click.option("--region-of", default=None, metavar="COUNCIL", help="Only councils in this council's region.")
@click.option("--neighbours-of", default=None, metavar="COUNCIL", help="Only this council's statistical neighbours.")
@click.option("--include-boilerplate", is_flag=True, help="Also search contents pages, licences and tables.")
@click.option("--tag", "tags", multiple=True, type=click.Choice(["strength", "weakness", "context"]),
              help="Only findings tagged so (weakness: areas for improvement).")
@index_option
@model_option
@json_option
@user_errors
def search(query, saved, save_as, k, mode, authorities, from_year, to_year, report_types, judgements,
           sections, region_of, neighbours_of, include_boilerplate, tags, index_dir, model, as_json) -> None:
    """Search the indexed reports, or run a saved search.

    \b
    Example:
        findings search "care leavers personal adviser" -k 5 --from-year 2020
        findings search "domestic abuse" --judgement help_and_protection=inadequate --json
        findings search "care leavers" --tag weakness
        findings search "private fostering" --neighbours-of Blackpool --save "Fostering near us"
        findings search --saved "Fostering near us"
    """
    from findings.errors import QueryError
    from findings.library import Library
    from findings.search import Filters

    if bool(query) == bool(saved):
        raise click.UsageError("give a QUERY or --saved NAME (one of the two)")
    pairs = []
    for item in judgements:
        key, sep, grade = item.partition("=")
        if not sep:
            raise QueryError(f"--judgement takes KEY=GRADE, e.g. care_leavers=inadequate, not '{item}'")
        pairs.append((key.strip(), grade.strip().replace("_", " ")))
    library = Library(Settings.load(index_dir, model), create=False)
    if not library.store.report_ids():
        raise QueryError("the index is empty: add reports with `findings ingest PATH` first")
    if saved:
        from findings.cli_work import load_saved_search

        request = load_saved_search(library, saved)
        query, mode, filters = request.query, request.mode, request.filters()
    else:
        filters = Filters(
            authorities=authorities, from_year=from_year, to_year=to_year, report_types=report_types,
            judgements=tuple(pairs), sections=sections, region_of=region_of, neighbours_of=neighbours_of,
            include_boilerplate=include_boilerplate, tags=tuple(tags),
        )
    if save_as:
        from findings.cli_work import save_search

        save_search(library, save_as, query, mode, filters)
    hits = library.search(query, k=k, mode=mode, filters=filters)
    if not hits:
        click.echo("No matching paragraphs.", err=True)
    from findings.results import strength

    for rank, found in enumerate(hits, start=1):
        label = strength(found, library.settings.search)
        if as_json:
            click.echo(json.dumps({**serialise.hit(found), "strength": label}, ensure_ascii=False))
        else:
            tag = TAG_LABELS.get(found.paragraph.tag or "", "")
            notes = [f"{found.score:.4f}", f"{label} match" if label else "", tag]
            click.echo(f"{rank}. {printable(found.citation)}  [{', '.join(n for n in notes if n)}]")
            for sentence in found.highlights:
                click.echo(f"   > {printable(sentence)}")
            click.echo("")


@main.command()
@index_option
@model_option
@user_errors
def reindex(index_dir: str | None, model: str | None) -> None:
    """Embed paragraphs that have no vectors for the model, and rebuild the vector index.

    \b
    Example:
        findings reindex --model /models/all-mpnet-base-v2
    """
    from findings.library import Library

    library = Library(Settings.load(index_dir, model), create=False, upgrade=True)
    count = library.reindex()
    click.echo(f"embedded {count} paragraph texts; vector index rebuilt", err=True)


@main.command(name="eval")
@click.option("--devset", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Dev set JSON (default: the packaged data/devset.json).")
@click.option("--per-query", is_flag=True, help="Also show nDCG for each query.")
@index_option
@model_option
@json_option
@user_errors
def eval_(devset: str | None, per_query: bool, index_dir: str | None, model: str | None, as_json: bool) -> None:
    """Score search on the development query set: nDCG@10, Recall@20 and MRR for each mode.

    \b
    Example:
        findings eval --index /tmp/devindex --per-query
    """
    from dataclasses import asdict

    from findings.errors import QueryError
    from findings.evaluate import DevsetError, evaluate, render_table
    from findings.library import Library

    library = Library(Settings.load(index_dir, model), create=False)
    if not library.store.report_ids():
        raise QueryError("the index is empty: add reports with `findings ingest PATH` first")
    try:
        report = evaluate(library.store, library.search, devset)
    except DevsetError as exc:
        raise QueryError(str(exc)) from exc
    if as_json:
        for mode in report.modes:
            click.echo(json.dumps({"kind": "mode", **asdict(mode)}))
        if per_query:
            for row in report.rows:
                click.echo(json.dumps({"kind": "query", **asdict(row)}, ensure_ascii=False))
        if report.missing:
            click.echo(json.dumps({"kind": "missing", "paragraphs": list(report.missing)}))
    else:
        click.echo(render_table(report, per_query=per_query))


@main.command()
@click.argument("source")
@click.option("-k", "k", default=10, show_default=True, help="How many councils.")
@click.option("--per-council", default=3, show_default=True, help="Paragraphs shown per council.")
@click.option("--neighbours", is_flag=True, help="Only the source council's statistical neighbours.")
@click.option("--region", is_flag=True, help="Only councils in the source council's region.")
@click.option("--include-same-council", is_flag=True, help="Also show the source council's reports.")
@click.option("--from-year", type=int, default=None, help="Inspections from this year.")
@click.option("--to-year", type=int, default=None, help="Inspections up to this year.")
@click.option("--type", "report_types", multiple=True, metavar="TYPE", help="Report type (repeatable).")
@click.option("--min-similarity", type=float, default=0.0, show_default=True, help="Lowest cosine shown.")
@index_option
@model_option
@json_option
@user_errors
def similar(source, k, per_council, neighbours, region, include_same_council, from_year, to_year,
            report_types, min_similarity, index_dir, model, as_json) -> None:
    """Find paragraphs like SOURCE (a paragraph id or pasted text) in other councils' reports.

    \b
    Example:
        findings similar blackburn-with-darwen-2022-ilacs:p9 --neighbours
        findings similar "Over-optimism about domestic abuse risk" -k 5 --json
    """
    from findings.errors import QueryError
    from findings.library import Library

    library = Library(Settings.load(index_dir, model), create=False)
    if not library.store.report_ids():
        raise QueryError("the index is empty: add reports with `findings ingest PATH` first")
    groups = library.similar(
        source, k=k, per_council=per_council, neighbours=neighbours, region=region,
        include_same_council=include_same_council, from_year=from_year, to_year=to_year,
        report_types=tuple(report_types), min_similarity=min_similarity,
    )
    if not groups:
        click.echo("No similar paragraphs.", err=True)
    for rank, group in enumerate(groups, start=1):
        if not as_json:
            click.echo(f"{rank}. {printable(group.authority)}")
        for found in group.hits:
            if as_json:
                row = {**serialise.hit(found), "group": group.authority, "group_rank": rank}
                click.echo(json.dumps(row, ensure_ascii=False))
                continue
            click.echo(f"   {printable(found.citation)}  [{found.score:.3f}]  ({printable(found.paragraph.id)})")
            for sentence in found.highlights:
                click.echo(f"     > {sentence}")
        if not as_json:
            click.echo("")


@main.command()
@click.argument("ids", nargs=-1)
@click.option("--query", default=None, help="Export the results of this search.")
@click.option("--collection", default=None, metavar="NAME", help="Export this collection, with its notes.")
@click.option("-k", "k", default=10, show_default=True, help="How many search results to export.")
@click.option("--mode", type=click.Choice(list(MODES)), default="hybrid", show_default=True)
@click.option("--format", "fmt", type=click.Choice(list(EXPORT_FORMATS)), required=True)
@click.option("--group-by", type=click.Choice(["council", "section"]), default=None,
              help="Group the paragraphs under their council or their section heading.")
@click.option("--out", required=True, metavar="FILE", help="File to write ('-' for stdout, text formats).")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@index_option
@model_option
@user_errors
def export(ids, query, collection, k, mode, fmt, group_by, out, force, index_dir, model) -> None:
    """Export paragraphs with their citations: by id, a search's results, or a collection.

    \b
    Example:
        findings export --query "care leavers personal adviser" -k 20 --format docx --out pa.docx
        findings export blackburn-with-darwen-2022-ilacs:p9 --format md --out -
        findings export --collection "Board paper" --group-by council --format docx --out board.docx
    """
    from findings.errors import QueryError
    from findings.export import items_from_hits, items_from_ids, write
    from findings.library import Library

    if sum(map(bool, (ids, query, collection))) != 1:
        raise click.UsageError("give paragraph ids, --query or --collection (one of the three)")
    if out == "-" and fmt == "docx":
        raise QueryError("a Word file cannot go to standard output; give --out FILE")
    library = Library(Settings.load(index_dir, model), embed=bool(query), create=False)
    title = "Findings"
    if collection:
        from findings.saved import entries, export_items

        found = library.store.saved.collection(collection)
        if found is None:
            raise QueryError(f"there is no collection named '{collection}' (see `findings collections`)")
        items, title = export_items(entries(library.store, found.name)), found.name
    elif not library.store.report_ids():
        raise QueryError("the index is empty: add reports with `findings ingest PATH` first")
    elif query:
        items = items_from_hits(library.search(query, k=k, mode=mode), query)
    else:
        items = items_from_ids(library.store, ids)
    if not items:
        raise QueryError("nothing to export: no paragraphs were found")
    write(items, fmt, out, force=force, title=title, group_by=group_by)
    if out != "-":
        click.echo(f"wrote {len(items)} paragraphs to {printable(out)}", err=True)


from findings import cli_analysis, cli_work  # noqa: E402  (register their commands on `main`)

cli_work.register(main)
cli_analysis.register(main)
