"""Reading a dataset folder for export: its families and splits (from the card's
`configs:`) and its rows, streamed shard by shard in the order `datasets` loads them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow.parquet as pq
import yaml

from gen_stress.errors import UserError

BATCH = 64  # rows decoded at a time: bounds memory on large shards


@dataclass(frozen=True)
class DatasetFolder:
    path: Path
    splits: dict[str, tuple[str, ...]]  # family -> its splits, as the card lists them
    card: dict

    @classmethod
    def open(cls, path: Path) -> "DatasetFolder":
        card_path = path / "README.md"
        if not path.is_dir() or not card_path.is_file():
            raise UserError(f"{path} is not a gen-stress dataset folder (no README.md)")
        match = re.match(r"^---\n(.*?)\n---\n", card_path.read_text(encoding="utf-8"), re.S)
        card = yaml.safe_load(match.group(1)) if match else None
        if not isinstance(card, dict) or not card.get("configs"):
            raise UserError(f"{card_path} has no `configs:` metadata: not a gen-stress dataset folder")
        splits = {c["config_name"]: tuple(f["split"] for f in c.get("data_files", [])) for c in card["configs"]}
        return cls(path, splits, card)

    def select(self, families: tuple[str, ...], split: str) -> tuple[str, ...]:
        """The families to export: those asked for (all by default) that have `split`."""
        for family in families:
            if family not in self.splits:
                raise UserError(f"{self.path} has no family {family!r}; it has {', '.join(self.splits)}")
        chosen = tuple(f for f in (families or tuple(self.splits)) if split in self.splits[f])
        if not chosen:
            have = sorted({s for splits in self.splits.values() for s in splits})
            raise UserError(f"{self.path} has no {split!r} split for {', '.join(families or self.splits)}; "
                            f"its splits: {', '.join(have)}")
        return chosen

    def shards(self, family: str, split: str) -> list[Path]:
        return sorted((self.path / family).glob(f"{split}-*.parquet"))

    def rows(self, family: str, split: str, columns: list[str] | None = None) -> Iterator[dict]:
        for shard in self.shards(family, split):
            for batch in pq.ParquetFile(shard).iter_batches(batch_size=BATCH, columns=columns):
                yield from batch.to_pylist()

    def check(self, families: tuple[str, ...], split: str) -> None:
        """Every shard of the families readable to its last row, and every image a whole
        PNG, before an export writes anything: a damaged shard is a one-line error naming
        it, not a traceback halfway through (or a harness input with holes)."""
        for family in families:
            shards = self.shards(family, split)
            if not shards:
                raise UserError(f"{self.path} has no {family}/{split}-*.parquet shards, though its card lists them")
            for shard in shards:
                _check_shard(shard, self.path)

    def count(self, family: str, split: str) -> int:
        return sum(pq.ParquetFile(s).metadata.num_rows for s in self.shards(family, split))


def _check_shard(shard: Path, folder: Path) -> None:
    import io

    import pyarrow as pa
    from PIL import Image

    name = shard.relative_to(folder).as_posix()
    try:
        source = pq.ParquetFile(shard)
        for batch in source.iter_batches(batch_size=BATCH):
            for number, image in enumerate(batch.column("image").to_pylist()):
                try:
                    with Image.open(io.BytesIO(image["bytes"])) as picture:
                        picture.verify()  # the PNG's structure and chunk checksums, without decoding
                except Exception as err:  # Pillow raises many kinds for a damaged image
                    row = batch.column("id")[number].as_py()
                    raise UserError(f"{folder}: shard {name} has a damaged image (row {row}: "
                                    f"{type(err).__name__}); regenerate the dataset") from None
    except (pa.ArrowException, OSError, KeyError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"{folder}: shard {name} is not a readable parquet file ({reason[:120]}); "
                        "regenerate the dataset") from None
