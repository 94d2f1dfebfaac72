"""The CLI commands for an analyst's saved work: collections and saved searches.

Registered on the `findings` group by `cli.py`; as thin as the rest of the CLI (the behaviour
is `findings.saved`'s and `findings.search_request`'s).
"""

from __future__ import annotations

import json

import click

from findings.config import Settings
from findings.display import printable


def register(main: click.Group) -> None:
    from findings.cli import index_option, json_option, user_errors

    @main.command()
    @index_option
    @json_option
    @user_errors
    def collections(index_dir: str | None, as_json: bool) -> None:
        """List the collections of paragraphs (made in the app or with `findings collect`).

        \b
        Example:
            findings collections --json
        """
        from findings.store import Store

        store = Store(Settings.load(index_dir).index_dir, create=False)
        found = store.saved.collections()
        if not found and not as_json:
            click.echo("No collections yet: add a paragraph with `findings collect NAME PARAGRAPH_ID`.", err=True)
        for info in found:
            if as_json:
                click.echo(json.dumps({"name": info.name, "paragraphs": info.size, "updated": info.updated_at},
                                      ensure_ascii=False))
            else:
                click.echo(f"{printable(info.name)}: {info.size} paragraphs (changed {info.updated_at})")

    @main.command()
    @click.argument("name")
    @click.argument("paragraph_ids", nargs=-1, required=True)
    @click.option("--note", default="", help="A note kept with the paragraph (plain text).")
    @index_option
    @user_errors
    def collect(name: str, paragraph_ids: tuple[str, ...], note: str, index_dir: str | None) -> None:
        """Add paragraphs to a collection (made if it does not exist), each with its citation.

        \b
        Example:
            findings collect "Board paper" blackburn-with-darwen-2022-ilacs:p9 --note "Our 2022 finding"
        """
        from findings.saved import check_note
        from findings.saved import collect as add
        from findings.store import Store

        store = Store(Settings.load(index_dir).index_dir, create=False, upgrade=True)
        _, told = check_note(note)
        if told:
            click.echo(printable(told), err=True)
        for paragraph_id in paragraph_ids:
            added = add(store, name, paragraph_id, note)
            verb = "added to" if added else "already in"
            click.echo(f"{printable(paragraph_id)} {verb} {printable(' '.join(name.split()))}", err=True)


    @main.group(invoke_without_command=True)
    @index_option
    @json_option
    @click.pass_context
    @user_errors
    def glossary(ctx: click.Context, index_dir: str | None, as_json: bool) -> None:
        """The glossary queries are expanded with: list it, or add and remove your own entries.

        Your entries live in glossary.txt in the index folder, one a line:
        "kids => children | young people".

        \b
        Example:
            findings glossary --json
            findings glossary add "kids" "children" "young people"
            findings glossary remove "kids"
        """
        ctx.ensure_object(dict)
        ctx.obj["index_dir"] = index_dir
        if ctx.invoked_subcommand is not None:
            return
        from findings.glossary import Glossary

        loaded = Glossary.load(Settings.load(index_dir).index_dir)
        for problem in loaded.problems:
            click.echo(printable(problem), err=True)
        unique = {e.term.lower(): e for e in loaded.entries.values()}
        for entry in sorted(unique.values(), key=lambda e: e.term.lower()):
            if as_json:
                row = {"term": entry.term, "means": list(entry.means), "kind": entry.kind, "source": entry.source}
                click.echo(json.dumps(row, ensure_ascii=False))
            else:
                click.echo(f"{printable(entry.term)} => {printable(' | '.join(entry.means))}  [{entry.kind}]")

    @glossary.command(name="add")
    @click.argument("phrase")
    @click.argument("meanings", nargs=-1, required=True)
    @click.pass_context
    @user_errors
    def glossary_add(ctx: click.Context, phrase: str, meanings: tuple[str, ...]) -> None:
        """Add (or replace) your entry: PHRASE is also searched as each MEANING."""
        from findings.glossary import add_user_entry

        folder = Settings.load(ctx.obj.get("index_dir")).index_dir
        line = add_user_entry(folder, phrase, meanings)
        click.echo(f"glossary: {printable(line)}", err=True)

    @glossary.command(name="remove")
    @click.argument("phrase")
    @click.pass_context
    @user_errors
    def glossary_remove(ctx: click.Context, phrase: str) -> None:
        """Remove your entry for PHRASE (the shipped glossary stays as it is)."""
        from findings.glossary import remove_user_entry

        folder = Settings.load(ctx.obj.get("index_dir")).index_dir
        if remove_user_entry(folder, phrase):
            click.echo(f"glossary: removed {printable(phrase)}", err=True)
        else:
            click.echo(f"glossary: you have no entry for {printable(phrase)}", err=True)


def load_saved_search(library, name: str):  # -> SearchRequest
    """The saved search of this name, with a line on stderr for each value it can no longer use."""
    from findings.errors import QueryError
    from findings.search_request import SearchRequest

    found = library.store.saved.saved_search(name)
    if found is None:
        names = ", ".join(s.name for s in library.store.saved.saved_searches()) or "none yet"
        raise QueryError(f"there is no saved search named '{printable(name)}' (saved searches: {names})")
    indexed = {r.meta.authority for r in library.store.reports() if r.meta.authority}
    request = SearchRequest.from_params(found.params, councils=indexed)
    for problem in request.problems:
        click.echo(printable(problem.replace("in the link", "in the saved search")), err=True)
    if not request.query:
        raise QueryError(f"the saved search '{printable(found.name)}' has no words to search for")
    return request


def save_search(library, name: str, query: str, mode: str, filters) -> None:
    """Save a CLI search under a name, as the app saves one (the parameters a link carries)."""
    from findings.errors import QueryError
    from findings.saved import check_name
    from findings.search_request import SearchRequest

    if filters.sections or len(filters.judgements) > 1 or (filters.region_of and filters.neighbours_of):
        raise QueryError("a saved search holds one judgement, one comparison and no --section; drop the others")
    judgement, grade = filters.judgements[0] if filters.judgements else (None, None)
    scope = "region" if filters.region_of else "neighbours" if filters.neighbours_of else "all"
    request = SearchRequest(
        query=query, mode=mode, councils=tuple(filters.authorities), from_year=filters.from_year,
        to_year=filters.to_year, report_types=tuple(filters.report_types), judgement=judgement, grade=grade,
        scope=scope, scope_council=filters.region_of or filters.neighbours_of,
        include_boilerplate=filters.include_boilerplate,
    )
    name = check_name(name, "saved search")
    library.store.saved.save_search(name, request.to_params())
    click.echo(f"saved the search as '{printable(name)}'", err=True)
