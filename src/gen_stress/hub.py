"""Push a dataset folder to the Hugging Face Hub as a version: one commit, then a tag.

    create the dataset repo if missing -> check the tag is free -> one commit that makes
    the branch hold exactly the folder's files (adds, and deletes of files the folder no
    longer has) -> tag that commit

The tag is created only after the commit has landed, so a failed upload leaves no tag.
The token comes from huggingface_hub's usual places (HF_TOKEN, the stored login); it is
passed to the client and never printed, logged or written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from gen_stress import __version__
from gen_stress.errors import UserError

REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
REF_NAME = re.compile(r"^(?!.*\.\.)(?!.*//)[A-Za-z0-9][A-Za-z0-9._/-]*(?<![./])$")
# The Hub takes at most 25,000 LFS files in one commit; a folder with more is split.
MAX_FILES_PER_COMMIT = 20_000


class HubError(Exception):
    """The Hub refused or failed a request (not the user's input): exit code 1."""


@dataclass(frozen=True)
class PushResult:
    repo_url: str
    branch: str
    commit: str  # oid of the commit the branch (and the tag) points at
    commits: int  # commits made by this push (0: the branch already held these files)
    files: int
    deleted: int
    tag: str | None
    created_repo: bool


def dataset_files(folder: Path) -> list[str]:
    """The files to upload, by POSIX path relative to the folder (hidden ones skipped)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def check_folder(folder: Path) -> list[str]:
    """A dataset folder with a card whose `configs:` the Hub and datasets can read; when it
    has a lock file, its files must still be the recorded bytes."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder")
    card = folder / "README.md"
    if not card.is_file():
        raise UserError(f"{folder} has no README.md: not a gen-stress dataset folder")
    card_text = card.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", card_text, re.S)
    front = yaml.safe_load(match.group(1)) if match else None
    if not isinstance(front, dict) or not front.get("configs"):
        raise UserError(f"{card} has no `configs:` metadata: not a gen-stress dataset folder")
    from gen_stress.release.lock import LOCK_NAME, MANIFEST_NAME, file_hashes, read_lock

    if not (folder / LOCK_NAME).is_file() and ((folder / MANIFEST_NAME).is_file() or f"`{LOCK_NAME}`" in card_text):
        raise UserError(f"{folder} is a release folder but its {LOCK_NAME} is missing, so its files cannot be "
                        "checked; rebuild it with `gen-stress build`")
    if (folder / LOCK_NAME).is_file():
        recorded = read_lock(folder)["files"]
        changed = sorted(p for p, h in file_hashes(folder).items() if recorded.get(p) != h)
        changed += sorted(p for p in recorded if not (folder / p).is_file())
        if changed:
            more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
            raise UserError(f"{folder} no longer matches {LOCK_NAME} ({', '.join(changed[:3])}{more}); "
                            "rebuild it or run `gen-stress verify`")
    return dataset_files(folder)


def _commit_message(folder: Path) -> str:
    from gen_stress.release.lock import LOCK_NAME, read_lock

    if (folder / LOCK_NAME).is_file():
        release = read_lock(folder)["release"]
        return f"Release {release['name']} {release['version']} (gen-stress {__version__})"
    return f"Upload {folder.name} (gen-stress {__version__})"


def resolve_token() -> str:
    from huggingface_hub import get_token

    token = get_token()
    if not token:
        raise UserError("no Hugging Face token: set HF_TOKEN or log in with `hf auth login`")
    return token


def push_folder(folder: Path, repo_id: str, *, tag: str | None = None, private: bool = False,
                branch: str | None = None, force_tag: bool = False) -> PushResult:
    folder = Path(folder)
    if not REPO_ID.match(repo_id):
        raise UserError(f"--repo {repo_id!r} must be ORG/NAME")
    for option, name in (("--tag", tag), ("--revision", branch)):
        if name is not None and not REF_NAME.match(name):
            raise UserError(f"{option} {name!r} is not a valid git reference name")
    files = check_folder(folder)
    token = resolve_token()
    try:
        return _push(folder, files, repo_id, token, tag=tag, private=private, branch=branch or "main",
                     force_tag=force_tag)
    except (UserError, HubError):
        raise
    except Exception as err:  # the client's HTTP and validation errors: one line, token scrubbed
        raise HubError(_one_line(err, token)) from None


def _push(folder: Path, files: list[str], repo_id: str, token: str, *, tag: str | None, private: bool,
          branch: str, force_tag: bool) -> PushResult:
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

    api = HfApi(token=token)
    created = not api.repo_exists(repo_id, repo_type="dataset")
    repo_url = api.create_repo(repo_id, repo_type="dataset", private=private or None, exist_ok=True)
    if private and not created and not api.repo_info(repo_id, repo_type="dataset").private:
        raise UserError(f"{repo_id} already exists and is public; --private applies only to a new repo")
    refs = api.list_repo_refs(repo_id, repo_type="dataset")
    tags = {t.name for t in refs.tags}
    if tag is not None and tag in tags and not force_tag:
        raise UserError(f"tag {tag} already exists in {repo_id}; pass --force-tag to move it")
    if branch not in {b.name for b in refs.branches}:
        api.create_branch(repo_id, branch=branch, repo_type="dataset")
        refs = api.list_repo_refs(repo_id, repo_type="dataset")
    head = next(b.target_commit for b in refs.branches if b.name == branch)

    # The branch must end up holding exactly the folder: remove what the folder lacks.
    remote = set(api.list_repo_files(repo_id, repo_type="dataset", revision=head))
    stale = sorted(remote - set(files) - {".gitattributes"})
    operations = [CommitOperationDelete(path_in_repo=p) for p in stale]
    operations += [CommitOperationAdd(path_in_repo=p, path_or_fileobj=str(folder / p)) for p in files]
    message = _commit_message(folder)
    chunks = [operations[i:i + MAX_FILES_PER_COMMIT] for i in range(0, len(operations), MAX_FILES_PER_COMMIT)]
    commit, made = head, 0
    for k, chunk in enumerate(chunks):
        info = api.create_commit(
            repo_id, chunk, repo_type="dataset", revision=branch, parent_commit=commit,
            commit_message=message if len(chunks) == 1 else f"{message} (part {k + 1} of {len(chunks)})",
        )
        made += info.oid != commit
        commit = info.oid
    if tag is not None:
        if tag in tags:
            api.delete_tag(repo_id, tag=tag, repo_type="dataset")
        api.create_tag(repo_id, tag=tag, revision=commit, repo_type="dataset", tag_message=message)
    return PushResult(repo_url=str(repo_url), branch=branch, commit=commit, commits=made, files=len(files),
                      deleted=len(stale), tag=tag, created_repo=created)


def _one_line(err: Exception, token: str) -> str:
    from huggingface_hub.errors import HfHubHTTPError

    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = " ".join(lines[:3])
    if not isinstance(err, HfHubHTTPError):  # a connection error, or a bug: say what it was
        text = f"{type(err).__name__}: {text}" if text else type(err).__name__
    return text.replace(token, "***") if token else text
