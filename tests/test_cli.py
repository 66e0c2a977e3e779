"""The command line: help, and one-line errors with exit code 2 for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli

BAD_INPUT = [
    (["--family", "nope", "--n", "5"], "unknown family 'nope'"),
    (["--family", "ocr", "--n", "0"], "--n must be at least 1"),
    (["--family", "ocr", "--n", "-3"], "--n must be at least 1"),
    (["--family", "ocr", "--n", "5", "--sweep", "text_px"], "--sweep 'text_px' is malformed"),
    (["--family", "ocr", "--n", "5", "--sweep", "text_px=4:40"], "is malformed"),
    (["--family", "ocr", "--n", "5", "--sweep", "text_px=40:4:4"], "needs start <= stop"),
    (["--family", "ocr", "--n", "5", "--sweep", "text_px=4:x:4"], "takes int values"),
    (["--family", "ocr", "--n", "5", "--sweep", "text_px=2:8:2"], "outside 4..48"),
    (["--family", "ocr", "--n", "5", "--sweep", "size_pt=4:8:2"], "'size_pt' is not a knob of family ocr"),
    (["--family", "ocr", "--n", "5", "--sweep", "font_class=sans,gothic"], "is not one of"),
    (["--family", "ocr", "--n", "5", "--sweep", "font=x"], "derived from the others"),
    (["--family", "ocr", "--n", "5", "--set", "angle_deg=400"], "outside 0..359"),
    (["--family", "ocr", "--n", "5", "--size", "12x12"], "from 64 to 4096"),
    (["--family", "ocr", "--n", "5", "--size", "big"], "--size 'big' is malformed"),
    (["--family", "ocr", "--n", "5", "--split", "te st"], "split name"),
    (["--family", "ocr", "--n", "5", "--subtask", "huge_text"], "unknown subtask 'huge_text'"),
    (["--family", "ocr", "--n", "5", "--workers", "0"], "--workers must be at least 1"),
    (["--family", "ocr", "--n", "five"], "'five' is not a valid integer"),
    (["--family", "ocr", "--n", "5", "--colour", "red"], "No such option '--colour'"),
]


@pytest.mark.parametrize("args,message", BAD_INPUT, ids=[" ".join(a[2:]) or a[1] for a, _ in BAD_INPUT])
def test_bad_input_is_one_line_exit_2_nothing_written(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(args + ["--out", str(out), "--no-progress"], capsys)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert message in lines[0]
    assert "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == [], "nothing may be written on bad input"


def test_non_empty_out_needs_overwrite(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    code, _, stderr = run_cli(["--family", "ocr", "--n", "3", "--out", str(out), "--no-progress"], capsys)
    assert code == 2
    assert "is not empty; pass --overwrite" in stderr
    assert (out / "keep.txt").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]

    code, _, _ = run_cli(["--family", "ocr", "--n", "3", "--out", str(out), "--no-progress", "--overwrite",
                          "--workers", "1"], capsys)
    assert code == 0
    assert not (out / "keep.txt").exists()
    assert (out / "ocr" / "test-00000-of-00001.parquet").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "no temporary folder is left behind"


def test_unwritable_out(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, stderr = run_cli(["--family", "ocr", "--n", "3", "--out", str(blocker / "sub"), "--no-progress"],
                              capsys)
    assert code == 2
    assert stderr.startswith("gen-stress: error: cannot write to --out")
    assert len(stderr.strip().splitlines()) == 1

    code, _, stderr = run_cli(["--family", "ocr", "--n", "3", "--out", str(blocker), "--no-progress"], capsys)
    assert code == 2
    assert "exists and is not a directory" in stderr


def test_failed_run_leaves_nothing(tmp_path, capsys, monkeypatch):
    """A crash half-way leaves no output folder and no temporary folder."""
    from gen_stress import pipeline

    real = pipeline.generate_index

    def flaky(family, part, size, index, resampled=None):
        if index == 7:
            raise RuntimeError("disk on fire")
        return real(family, part, size, index, resampled)

    monkeypatch.setattr(pipeline, "generate_index", flaky)
    with pytest.raises(RuntimeError, match="disk on fire"):
        from gen_stress.cli import main

        main(["--family", "ocr", "--n", "10", "--workers", "1", "--no-progress", "--out", str(tmp_path / "out")])
    assert list(tmp_path.iterdir()) == []


def test_help_explains_every_option(capsys):
    code, stdout, _ = run_cli(["--help"], capsys)
    assert code == 0
    for option in ("--family", "--n", "--seed", "--out", "--size", "--workers", "--split", "--sweep", "--set",
                   "--overwrite"):
        assert option in stdout
    assert "all cores" in stdout and "512" in stdout and "test" in stdout


def test_console_script_runs(tmp_path):
    """The installed `gen-stress` entry point, as a user runs it."""
    out = tmp_path / "ds"
    script = Path(sys.executable).parent / "gen-stress"  # the venv's script, even when not activated
    command = [str(script if script.exists() else "gen-stress"), "--family", "ocr", "--n", "4", "--out", str(out),
               "--workers", "1"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "wrote 4 rows" in done.stdout
    assert "generating ocr" in done.stderr  # the progress bar
    done = subprocess.run([sys.executable, "-m", "gen_stress", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and "gen-stress" in done.stdout
