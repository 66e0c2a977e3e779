"""The imagefolder layout: image files plus metadata.jsonl, per family and split.

    OUT/README.md                          configs: one per family, so load_dataset(OUT, family) works
    OUT/<family>/<split>/<id>.png          the stored PNG bytes, unchanged
    OUT/<family>/<split>/metadata.jsonl    one JSON object per image: file_name and every other column

`datasets.load_dataset("imagefolder", data_dir="OUT/<family>")` reads it (split from the
folder name), and so does any script: a line of metadata.jsonl is a row without pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from gen_stress import __version__
from gen_stress.fingerprint import FIELD, config_files, describe, files_sha256


def write(source, families: tuple[str, ...], out: Path, options, result) -> None:
    configs = []
    for family in families:
        folder = out / family / options.split
        folder.mkdir(parents=True)
        count = 0
        with open(folder / "metadata.jsonl", "w", encoding="utf-8") as meta:
            for row in source.rows(family, options.split):
                name = f"{row['id']}.png"
                (folder / name).write_bytes(row["image"]["bytes"])
                record = {"file_name": name, **{k: v for k, v in row.items() if k != "image"}}
                meta.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")
                count += 1
        result.rows[family] = count
        config = {"config_name": family, "data_files": [{"split": options.split, "path": f"{family}/{options.split}/*"}]}
        config[FIELD] = describe(family, files_sha256(out, config_files(out, config)))  # keeps the cache honest
        configs.append(config)
    front = yaml.safe_dump({"configs": configs}, sort_keys=False)
    lines = [f"---\n{front}---", "", f"# {source.path.name}: {options.split} split as image files", "",
             f"Exported by gen-stress {__version__} from the dataset folder `{source.path.name}`. Each "
             f"`<family>/{options.split}/` holds the PNG images and `metadata.jsonl` (every column of the "
             "dataset but the image, `file_name` naming the image).", "", "```python", "import datasets", ""]
    for family in families:
        lines.append(f'datasets.load_dataset("imagefolder", data_dir="<this folder>/{family}", '
                     f'split="{options.split}")')
    lines += ["```", "", "Score a model's replies with `gen-stress score` from a jsonl of "
              '`{"id": ..., "prediction": ...}` lines.', ""]
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")
    result.notes.append(f'datasets.load_dataset("imagefolder", data_dir="{Path(result.out) / families[0]}")')
