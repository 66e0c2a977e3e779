"""Push a dataset folder to the Hugging Face Hub as a version: one commit, then a tag.

    create the dataset repo if missing -> check the tag is free -> one commit that makes
    the branch hold exactly the folder's files (adds, and deletes of files the folder no
    longer has) -> tag that commit

The tag is created only after the commit has landed, so a failed upload leaves no tag.
Files the branch already holds with the same bytes are not sent again. A large folder
(past LARGE_FILES files or LARGE_BYTES) goes up in several commits of at most
COMMIT_FILES files and COMMIT_BYTES each, deletes last: a push cut short keeps the
commits made, and running it again sends only what is still missing, then tags.
The token comes from huggingface_hub's usual places (HF_TOKEN, the stored login); it is
passed to the client and never printed, logged or written.
"""

from __future__ import annotations

import hashlib
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
# Past these, a folder is "large": resumable commits of bounded size (upload_large_folder's
# approach, kept in our hands so the branch still ends up holding exactly the folder).
LARGE_FILES = 500
LARGE_BYTES = 5 * 10**9
COMMIT_FILES = 100
COMMIT_BYTES = 2 * 10**9


class HubError(Exception):
    """The Hub refused or failed a request (not the user's input): exit code 1."""


@dataclass(frozen=True)
class PushResult:
    repo_url: str
    branch: str
    commit: str  # oid of the commit the branch (and the tag) points at
    commits: int  # commits made by this push (0: the branch already held these files)
    files: int
    sent: int  # files uploaded (the others were on the branch already)
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
    from huggingface_hub import CommitOperationDelete, HfApi

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
    remote = {entry.path: entry for entry in api.list_repo_tree(repo_id, repo_type="dataset", revision=head,
                                                                recursive=True) if hasattr(entry, "blob_id")}
    stale = sorted(set(remote) - set(files) - {".gitattributes"})
    changed = [p for p in files if p not in remote or not _same_bytes(folder / p, remote[p])]
    message = _commit_message(folder)
    chunks = _commit_chunks(folder, changed, large=_is_large(folder, files))
    if stale:  # deletes last: a push cut short leaves the branch holding more, never less
        chunks = chunks or [[]]
        chunks[-1] = [*chunks[-1], *(CommitOperationDelete(path_in_repo=p) for p in stale)]
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
                      sent=len(changed), deleted=len(stale), tag=tag, created_repo=created)


def _is_large(folder: Path, files: list[str]) -> bool:
    return len(files) > LARGE_FILES or sum((folder / p).stat().st_size for p in files) > LARGE_BYTES


def _commit_chunks(folder: Path, files: list[str], *, large: bool) -> list[list]:
    """Additions grouped into commits: one (up to the Hub's file limit) for a folder of
    ordinary size; for a large one, commits of at most COMMIT_FILES files and COMMIT_BYTES."""
    from huggingface_hub import CommitOperationAdd

    max_files, max_bytes = (COMMIT_FILES, COMMIT_BYTES) if large else (MAX_FILES_PER_COMMIT, float("inf"))
    chunks: list[list] = []
    size = 0
    for path in files:
        nbytes = (folder / path).stat().st_size
        if not chunks or len(chunks[-1]) >= max_files or (chunks[-1] and size + nbytes > max_bytes):
            chunks.append([])
            size = 0
        chunks[-1].append(CommitOperationAdd(path_in_repo=path, path_or_fileobj=str(folder / path)))
        size += nbytes
    return chunks


def _same_bytes(path: Path, entry) -> bool:
    """True when the branch's file has the bytes of the local one: compared by the LFS
    sha256 for LFS files, by the git blob id otherwise."""
    if entry.size != path.stat().st_size:
        return False
    if entry.lfs is not None:
        return _file_digest(path, hashlib.sha256()) == entry.lfs.sha256
    blob = hashlib.sha1(f"blob {entry.size}\0".encode())
    return _file_digest(path, blob) == entry.blob_id


def _file_digest(path: Path, digest) -> str:
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _one_line(err: Exception, token: str) -> str:
    from huggingface_hub.errors import HfHubHTTPError

    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = " ".join(lines[:3])
    if not isinstance(err, HfHubHTTPError):  # a connection error, or a bug: say what it was
        text = f"{type(err).__name__}: {text}" if text else type(err).__name__
    return text.replace(token, "***") if token else text
