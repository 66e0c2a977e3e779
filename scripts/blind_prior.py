#!/usr/bin/env python
"""How much a question gives away without its image: the accuracy of answering each asked
field (or class, or product) by its majority answer, learnt on half of a dataset's rows
and scored on the other half.

A yes/no or value question about a named field should not be answerable from the name:
"Does this receipt show a tip line?" asked "no" nine times in ten lets a model that never
looks score 90% on it. POPE balances yes and no overall; this measures the balance field
by field, as a blind reader would exploit it. Chance is the majority answer's share overall
(0.5 for balanced yes/no).

Rows are keyed by `difficulty.target` (the asked field, class or product) with the kind of
picture the question names ("this store shelf", "this product page": the scene's
background), and answered as one of yes, no, unanswerable or "value" (any answerable
value); rows that name no target (a caption asked of the whole image) are left out.
Halves are drawn by each row's id, so the figures repeat.

    gen-stress --family hallucination --set context=receipt --n 1500 --seed 2 --out receipt
    python scripts/blind_prior.py receipt
    python scripts/blind_prior.py receipt menu shelf --subtask object --subtask action --top 5
"""

from __future__ import annotations

import argparse
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq

CLASSES = ("yes", "no", "unanswerable")


def answer_class(answer: str) -> str:
    return answer if answer in CLASSES else "value"


def key_of(row: dict) -> str:
    """What a blind reader knows of the question: the picture's kind and the target
    ("store shelf: any honey"); "" for a row without a target."""
    target = str((row.get("difficulty") or {}).get("target") or "")
    kind = row.get("background") or ""
    return f"{kind}: {target}" if target and kind else target


def blind_accuracy(rows: list[dict]) -> tuple[float, float]:
    """(cross-validated accuracy of the per-key majority answer, chance): each half is
    scored by the majorities of the other (a key unseen there: the overall majority)."""
    halves = ([], [])
    for row in rows:
        halves[zlib.crc32(row["id"].encode()) % 2].append(row)
    right = 0
    for learn, score in (halves, halves[::-1]):
        by_key: dict[str, Counter] = defaultdict(Counter)
        for row in learn:
            by_key[key_of(row)][answer_class(row["answer"])] += 1
        overall = Counter(answer_class(r["answer"]) for r in learn)
        for row in score:
            seen = by_key.get(key_of(row)) or overall
            right += bool(seen) and seen.most_common(1)[0][0] == answer_class(row["answer"])
    chance = Counter(answer_class(r["answer"]) for r in rows).most_common(1)[0][1] / len(rows)
    return right / len(rows), chance


def telling_keys(rows: list[dict], top: int) -> list[tuple[str, Counter]]:
    """The keys whose answers lean most one way, the most asked first among equals."""
    by_key: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        by_key[key_of(row)][answer_class(row["answer"])] += 1
    lean = sorted(by_key.items(), key=lambda kv: (-(kv[1].most_common(1)[0][1] - sum(kv[1].values()) / 2),
                                                  kv[0]))
    return lean[:top]


def read_rows(folder: Path) -> list[dict]:
    columns = ["id", "subtask", "question", "answer", "difficulty", "scene.background"]
    return [row for path in sorted(folder.rglob("*.parquet")) for row in pq.read_table(path, columns=columns).to_pylist()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="dataset folders written by gen-stress")
    parser.add_argument("--subtask", action="append", default=[],
                        help="only these subtasks (the part after the family: object, action); repeatable")
    parser.add_argument("--top", type=int, default=0, help="also list this many keys that lean most one way")
    args = parser.parse_args()
    for folder in args.folders:
        if not folder.is_dir():
            parser.error(f"{folder} is not a dataset folder")
        rows = [r for r in read_rows(folder) if key_of(r)]
        subtasks = sorted({r["subtask"] for r in rows
                           if not args.subtask or r["subtask"].split("/")[-1] in args.subtask})
        if not subtasks:
            parser.error(f"{folder} holds no rows of the asked subtasks that name a target")
        for subtask in subtasks:
            picked = [r for r in rows if r["subtask"] == subtask]
            accuracy, chance = blind_accuracy(picked)
            print(f"{folder.name}  {subtask:<28} {len(picked):>6} rows  blind {accuracy:.2f}  chance {chance:.2f}  "
                  f"keys {len({key_of(r) for r in picked})}")
            for key, counts in telling_keys(picked, args.top):
                print(f"    {key}: {', '.join(f'{a} {n}' for a, n in counts.most_common())}")


if __name__ == "__main__":
    main()
