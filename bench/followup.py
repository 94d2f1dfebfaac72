"""Follow-up precision: draw recommendations, show what later reports said, score verdicts.

    .venv/bin/python bench/followup.py --index DIR draw [--size 30] [--seed 2026] > sample.json
    .venv/bin/python bench/followup.py --index DIR score VERDICTS.json

DIR is an index of the corpus.  `draw` picks recommendations ("What needs to improve" items and
recommendations) at random from reports whose council has a later report indexed, and writes
each with the top three follow-up paragraphs `findings follow-up` gives (JSON, to be judged by
reading: set "verdict" of each follow-up to 1 when it speaks to the same matter, else 0).
`score` prints the precision of the top 3 (and of the top 1) over the judged sample.
"""

from __future__ import annotations

import argparse
import json
import random
import sys


def draw(library, size: int, seed: int) -> list[dict]:
    from findings.analysis.followup import follow_up, later_reports, recommendations

    candidates = []
    for report in sorted(library.snapshot().reports.values(), key=lambda r: r.id):
        if later_reports(library, report):
            candidates += [(report.id, rec.number) for rec in recommendations(library, report.id)]
    rng = random.Random(seed)
    picked = rng.sample(candidates, min(size, len(candidates)))
    sample = []
    for report_id, number in picked:
        (found,) = follow_up(library, report_id, item=number)
        steps = [
            {"report": step.report.id, "paragraph": f.hit.paragraph.id, "tag": f.tag.label,
             "similarity": round(f.hit.similarity or 0, 3), "text": f.hit.paragraph.text, "verdict": None}
            for step in found.later for f in step.findings
        ]
        ranked = sorted(steps, key=lambda s: -s["similarity"])[:3]
        sample.append({"report": report_id, "item": number, "recommendation": found.recommendation.paragraph.text,
                       "follow_ups": ranked})
    return sample


def score(judged: list[dict]) -> None:
    top3 = [f["verdict"] for s in judged for f in s["follow_ups"][:3] if f["verdict"] is not None]
    firsts = [s["follow_ups"][0] for s in judged if s["follow_ups"]]
    top1 = [f["verdict"] for f in firsts if f["verdict"] is not None]
    empty = sum(1 for s in judged if not s["follow_ups"])
    print(f"{len(judged)} recommendations, {empty} with no follow-up above the similarity floor")
    print(f"precision of the top 3: {sum(top3)}/{len(top3)} = {sum(top3) / max(len(top3), 1):.2f}")
    print(f"precision of the top 1: {sum(top1)}/{len(top1)} = {sum(top1) / max(len(top1), 1):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    drawn = sub.add_parser("draw")
    drawn.add_argument("--size", type=int, default=30)
    drawn.add_argument("--seed", type=int, default=2026)
    scored = sub.add_parser("score")
    scored.add_argument("verdicts")
    args = parser.parse_args()
    if args.command == "score":
        with open(args.verdicts, encoding="utf-8") as handle:
            score(json.load(handle))
        return
    from findings.config import Settings
    from findings.library import Library

    library = Library(Settings.load(args.index))
    json.dump(draw(library, args.size, args.seed), sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
