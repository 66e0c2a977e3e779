"""A local stand-in for the Hugging Face Hub's HTTP API, for tests.

It implements the endpoints that `huggingface_hub.HfApi` (create_repo, repo_info,
list_repo_refs, list_repo_tree, get_paths_info, create_branch, create_commit with its
preupload and validate-yaml calls, create_tag, delete_tag) and file downloads (the
`resolve` endpoint with HEAD, GET and Range) use, which is also everything
`datasets.load_dataset(repo_id, config, revision=...)` needs through HfFileSystem.

The state is kept in memory: repositories with their commits (each a full snapshot of
the files), branches and tags, so files are served back by any revision. Every request
is recorded. The preupload endpoint answers "regular" for every file, so the client
sends file contents inside the commit payload and never needs LFS or Xet storage.

    with HubServer(token="hf_test") as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        ...
        hub.repo("dataset", "org/name").tags
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

GITATTRIBUTES = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n*.png filter=lfs diff=lfs merge=lfs -text\n"
DATE = "2026-01-01T00:00:00.000Z"


def git_blob_oid(data: bytes) -> str:
    """What git (and the Hub) calls a file's oid: sha1 of a blob header and the bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Commit:
    oid: str
    parent: str | None
    title: str
    description: str
    files: dict[str, bytes]  # the whole tree after this commit
    operations: list[dict]  # what the commit did: {"op": "add"|"delete", "path": ...}


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)  # name -> commit oid
    tags: dict[str, str] = field(default_factory=dict)  # name -> commit oid
    tag_messages: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> Commit | None:
        revision = unquote(revision)
        for name in (revision, revision.removeprefix("refs/heads/"), revision.removeprefix("refs/tags/")):
            if name in self.branches:
                return self.commits[self.branches[name]]
            if name in self.tags:
                return self.commits[self.tags[name]]
        if re.fullmatch(r"[0-9a-f]{40}", revision) and revision in self.commits:
            return self.commits[revision]
        return None

    def commit_history(self, oid: str) -> list[Commit]:
        out = []
        while oid is not None:
            out.append(self.commits[oid])
            oid = self.commits[oid].parent
        return out


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str = "", extra: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.extra = status, message, code, extra or {}


class FakeHub:
    """The server's state and its request handlers (called with the lock held)."""

    def __init__(self, token: str, user: str = "tester"):
        self.token = token
        self.user = user
        self.repos: dict[tuple[str, str], Repo] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self.fail_commits = 0  # the next N commit requests answer 500 (a failed upload)
        self.commits_before_failure: int | None = None  # then this many succeed before the next one fails
        self.uploaded: list[str] = []  # path of every file received in a commit, in order
        self.lock = threading.Lock()
        self._counter = 0

    # Helpers -------------------------------------------------------------------------

    def repo(self, repo_type: str, repo_id: str) -> Repo:
        return self.repos[(repo_type, repo_id)]

    def _new_oid(self, *parts: str) -> str:
        self._counter += 1
        return hashlib.sha1("\0".join([str(self._counter), *parts]).encode()).hexdigest()

    def _find(self, repo_type: str, repo_id: str, auth: str | None) -> Repo:
        repo = self.repos.get((repo_type, repo_id))
        if repo is None or (repo.private and auth != self.token):
            raise HubError(404, "Repository not found", "RepoNotFound")
        return repo

    def _require_token(self, auth: str | None) -> None:
        if auth != self.token:
            raise HubError(401, "Invalid credentials in Authorization header")

    def _commit_at(self, repo: Repo, revision: str) -> Commit:
        commit = repo.resolve(revision)
        if commit is None:
            raise HubError(404, f"Invalid rev id: {unquote(revision)}", "RevisionNotFound")
        return commit

    # Repositories ----------------------------------------------------------------------

    def create_repo(self, body: dict, auth: str | None) -> tuple[int, dict]:
        self._require_token(auth)
        repo_type = body.get("type") or "model"
        repo_id = f"{body.get('organization') or self.user}/{body['name']}"
        url = f"{self.base_url}/{_url_prefix(repo_type)}{repo_id}"
        if (repo_type, repo_id) in self.repos:  # the Hub's 409 carries the url too
            raise HubError(409, "You already created this dataset repo", extra={"url": url})
        repo = Repo(repo_type, repo_id, private=body.get("visibility") == "private" or bool(body.get("private")))
        first = Commit(self._new_oid(repo_id), None, "initial commit", "", {".gitattributes": GITATTRIBUTES},
                       [{"op": "add", "path": ".gitattributes"}])
        repo.commits[first.oid] = first
        repo.branches["main"] = first.oid
        self.repos[(repo_type, repo_id)] = repo
        return 200, {"url": url, "name": repo_id, "id": repo_id}

    def repo_info(self, repo: Repo, revision: str) -> dict:
        commit = self._commit_at(repo, revision)
        card = _card_data(commit.files.get("README.md"))
        return {
            "_id": hashlib.md5(repo.repo_id.encode()).hexdigest()[:24], "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0], "sha": commit.oid, "private": repo.private,
            "gated": False, "disabled": False, "downloads": 0, "likes": 0, "tags": [],
            "createdAt": DATE, "lastModified": DATE, "cardData": card,
            "siblings": [{"rfilename": path} for path in sorted(commit.files)],
        }

    def refs(self, repo: Repo) -> dict:
        def ref(kind: str, name: str, oid: str) -> dict:
            return {"name": name, "ref": f"refs/{kind}/{name}", "targetCommit": oid}

        return {"branches": [ref("heads", n, o) for n, o in sorted(repo.branches.items())],
                "converts": [], "tags": [ref("tags", n, o) for n, o in sorted(repo.tags.items())],
                "pullRequests": []}

    def create_branch(self, repo: Repo, branch: str, body: dict, auth: str | None) -> dict:
        self._require_token(auth)
        if branch in repo.branches:
            raise HubError(409, f"Reference {branch} already exists")
        start = self._commit_at(repo, body.get("startingPoint") or "main")
        repo.branches[branch] = start.oid
        return {}

    def create_tag(self, repo: Repo, revision: str, body: dict, auth: str | None) -> dict:
        self._require_token(auth)
        tag = body["tag"]
        if tag in repo.tags:
            raise HubError(409, f"Tag {tag} already exists")
        repo.tags[tag] = self._commit_at(repo, revision).oid
        repo.tag_messages[tag] = body.get("message") or ""
        return {}

    def delete_tag(self, repo: Repo, tag: str, auth: str | None) -> dict:
        self._require_token(auth)
        if unquote(tag) not in repo.tags:
            raise HubError(404, f"Tag {unquote(tag)} does not exist", "RevisionNotFound")
        del repo.tags[unquote(tag)]
        return {}

    # Files -------------------------------------------------------------------------------

    @staticmethod
    def _entries(files: dict[str, bytes], prefix: str, recursive: bool) -> list[dict]:
        prefix = prefix.strip("/")
        under = prefix + "/" if prefix else ""
        found_files, folders = [], set()
        for path, data in sorted(files.items()):
            if not path.startswith(under):
                continue
            rest = path[len(under):].split("/")
            for depth in range(1, len(rest)):
                if recursive or depth == 1:
                    folders.add(under + "/".join(rest[:depth]))
                if not recursive:
                    break
            if recursive or len(rest) == 1:
                found_files.append(_file_entry(path, data))
        return [{"type": "directory", "oid": hashlib.sha1(f.encode()).hexdigest(), "size": 0, "path": f}
                for f in sorted(folders)] + found_files

    def tree(self, repo: Repo, revision: str, path: str, recursive: bool) -> list[dict]:
        commit = self._commit_at(repo, revision)
        entries = self._entries(commit.files, path, recursive)
        if path.strip("/") and not entries:
            raise HubError(404, f"{path} does not exist on {unquote(revision)}", "EntryNotFound")
        return entries

    def paths_info(self, repo: Repo, revision: str, paths: list[str]) -> list[dict]:
        commit = self._commit_at(repo, revision)
        out = []
        for path in paths:
            path = path.strip("/")
            if path in commit.files:
                out.append(_file_entry(path, commit.files[path]))
            elif any(f.startswith(path + "/") for f in commit.files):
                out.append({"type": "directory", "oid": hashlib.sha1(path.encode()).hexdigest(), "size": 0,
                            "path": path})
        return out

    def preupload(self, repo: Repo, revision: str, body: dict, auth: str | None) -> dict:
        self._require_token(auth)
        commit = repo.resolve(revision)
        files = commit.files if commit is not None else {}
        return {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                           "oid": git_blob_oid(files[f["path"]]) if f["path"] in files else None}
                          for f in body["files"]]}

    def commit(self, repo: Repo, revision: str, lines: list[dict], auth: str | None) -> dict:
        self._require_token(auth)
        branch = unquote(revision)
        if branch not in repo.branches:
            raise HubError(404, f"Invalid rev id: {branch}: commits go to a branch", "RevisionNotFound")
        if self.commits_before_failure is not None:  # an upload cut short after some commits
            self.commits_before_failure -= 1
            if self.commits_before_failure < 0:
                self.commits_before_failure = None
                raise HubError(500, "Internal Error - the commit could not be created (simulated)")
        if self.fail_commits > 0:
            self.fail_commits -= 1
            raise HubError(500, "Internal Error - the commit could not be created (simulated)")
        header = next(line["value"] for line in lines if line["key"] == "header")
        head = repo.commits[repo.branches[branch]]
        parent = header.get("parentCommit")
        if parent and not head.oid.startswith(parent):
            raise HubError(412, f"Parent commit {parent} is not the head of {branch}")
        files = dict(head.files)
        operations = []
        for line in lines:
            key, value = line["key"], line["value"]
            if key == "file":
                files[value["path"]] = base64.b64decode(value["content"])
                self.uploaded.append(value["path"])
                operations.append({"op": "add", "path": value["path"]})
            elif key == "deletedFile":
                if value["path"] not in files:
                    raise HubError(404, "A file with this name doesn't exist", "EntryNotFound")
                del files[value["path"]]
                operations.append({"op": "delete", "path": value["path"]})
            elif key == "deletedFolder":
                folder = value["path"].rstrip("/") + "/"
                for path in [p for p in files if p.startswith(folder)]:
                    del files[path]
                operations.append({"op": "delete", "path": folder})
            elif key != "header":
                raise HubError(400, f"this test server takes no {key!r} operations (it answers 'regular' uploads)")
        commit = Commit(self._new_oid(repo.repo_id, header["summary"]), head.oid, header["summary"],
                        header.get("description", ""), files, operations)
        repo.commits[commit.oid] = commit
        repo.branches[branch] = commit.oid
        url = f"{self.base_url}/{_url_prefix(repo.repo_type)}{repo.repo_id}/commit/{commit.oid}"
        return {"success": True, "commitOid": commit.oid, "commitUrl": url, "pullRequestUrl": None}

    def commits(self, repo: Repo, revision: str) -> list[dict]:
        return [{"id": c.oid, "title": c.title, "message": c.description, "date": DATE,
                 "authors": [{"user": self.user}]} for c in repo.commit_history(self._commit_at(repo, revision).oid)]

    base_url = ""


def _url_prefix(repo_type: str) -> str:
    return "" if repo_type == "model" else f"{repo_type}s/"


def _file_entry(path: str, data: bytes) -> dict:
    return {"type": "file", "oid": git_blob_oid(data), "size": len(data), "path": path}


def _card_data(readme: bytes | None) -> dict | None:
    if not readme:
        return None
    text = readme.decode("utf-8", "replace")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    return yaml.safe_load(match.group(1)) if match else None


# HTTP ------------------------------------------------------------------------------------

REPO = r"(?P<type>models|datasets|spaces)/(?P<repo>[^/]+/[^/]+)"
API_ROUTES = [
    ("GET", re.compile(rf"^/api/{REPO}/revision/(?P<rev>[^/]+)$"), "info"),
    ("GET", re.compile(rf"^/api/{REPO}$"), "info"),
    ("GET", re.compile(rf"^/api/{REPO}/refs$"), "refs"),
    ("GET", re.compile(rf"^/api/{REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?$"), "tree"),
    ("GET", re.compile(rf"^/api/{REPO}/commits/(?P<rev>[^/]+)$"), "commits"),
    ("POST", re.compile(rf"^/api/{REPO}/paths-info/(?P<rev>[^/]+)$"), "paths_info"),
    ("POST", re.compile(rf"^/api/{REPO}/preupload/(?P<rev>[^/]+)$"), "preupload"),
    ("POST", re.compile(rf"^/api/{REPO}/commit/(?P<rev>[^/]+)$"), "commit"),
    ("POST", re.compile(rf"^/api/{REPO}/branch/(?P<rev>[^/]+)$"), "branch"),
    ("POST", re.compile(rf"^/api/{REPO}/tag/(?P<rev>[^/]+)$"), "tag"),
    ("DELETE", re.compile(rf"^/api/{REPO}/tag/(?P<rev>[^/]+)$"), "untag"),
]
RESOLVE = re.compile(r"^/(?:(?P<type>datasets|spaces)/)?(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: FakeHub  # set on the subclass made by HubServer

    def log_message(self, *args) -> None:  # quiet: tests read hub.requests instead
        pass

    def do_GET(self):
        self._handle("GET")

    def do_HEAD(self):
        self._handle("HEAD")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")

    def _auth(self) -> str | None:
        value = self.headers.get("Authorization", "")
        return value[7:] if value.startswith("Bearer ") else None

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self._body()
        hub = self.hub
        with hub.lock:
            hub.requests.append((method, url.path))
            try:
                if url.path.startswith("/api/"):
                    status, payload = self._api(method, url, body)
                    self._send_json(status, payload)
                else:
                    self._resolve(method, url)
            except HubError as err:
                self._send_json(err.status, {"error": err.message, **err.extra},
                                {"X-Error-Code": err.code, "X-Error-Message": err.message} if err.code else
                                {"X-Error-Message": err.message})

    def _api(self, method: str, url, body: bytes):
        hub, auth = self.hub, self._auth()
        if method == "POST" and url.path == "/api/repos/create":
            return hub.create_repo(json.loads(body), auth)
        if method == "POST" and url.path == "/api/validate-yaml":
            report = _validate_yaml(json.loads(body)["content"])
            return (400 if report["errors"] else 200), report
        if method == "GET" and url.path == "/api/whoami-v2":
            hub._require_token(auth)
            return 200, {"type": "user", "name": hub.user, "orgs": [], "auth": {"type": "access_token"}}
        for route_method, pattern, name in API_ROUTES:
            match = pattern.match(url.path)
            if route_method != method or match is None:
                continue
            repo = hub._find(match["type"][:-1], unquote(match["repo"]), auth)
            rev = match.groupdict().get("rev") or "main"
            query = parse_qs(url.query)
            if name == "info":
                return 200, hub.repo_info(repo, rev)
            if name == "refs":
                return 200, hub.refs(repo)
            if name == "tree":
                recursive = query.get("recursive", ["false"])[0].lower() == "true"
                return 200, hub.tree(repo, rev, unquote(match["path"] or ""), recursive)
            if name == "commits":
                return 200, hub.commits(repo, rev)
            if name == "paths_info":
                form = parse_qs(body.decode())
                return 200, hub.paths_info(repo, rev, form.get("paths", []))
            if name == "preupload":
                return 200, hub.preupload(repo, rev, json.loads(body), auth)
            if name == "commit":
                lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
                return 200, hub.commit(repo, rev, lines, auth)
            if name == "branch":
                return 200, hub.create_branch(repo, unquote(rev), json.loads(body or b"{}"), auth)
            if name == "tag":
                return 200, hub.create_tag(repo, rev, json.loads(body), auth)
            if name == "untag":
                return 200, hub.delete_tag(repo, rev, auth)
        raise HubError(404, f"this test server does not implement {method} {url.path}")

    def _resolve(self, method: str, url) -> None:
        match = RESOLVE.match(url.path)
        if match is None or method not in ("GET", "HEAD"):
            raise HubError(404, f"this test server does not implement {method} {url.path}")
        repo_type = (match["type"] or "models")[:-1]
        repo = self.hub._find(repo_type, unquote(match["repo"]), self._auth())
        commit = self.hub._commit_at(repo, match["rev"])
        path = unquote(match["path"])
        if path not in commit.files:
            raise HubError(404, f"{path} does not exist on {unquote(match['rev'])}", "EntryNotFound")
        data = commit.files[path]
        headers = {"X-Repo-Commit": commit.oid, "ETag": f'"{git_blob_oid(data)}"',
                   "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream",
                   "Last-Modified": email.utils.formatdate(usegmt=True)}
        status, chunk = 200, data
        wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if wanted:
            start = int(wanted[1])
            stop = min(int(wanted[2]) + 1 if wanted[2] else len(data), len(data))
            if start >= len(data):
                self._send(416, b"", {"Content-Range": f"bytes */{len(data)}"})
                return
            status, chunk = 206, data[start:stop]
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{len(data)}"
        self._send(status, chunk, headers, head_only=method == "HEAD")

    def _send_json(self, status: int, payload, headers: dict | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _send(self, status: int, data: bytes, headers: dict, head_only: bool = False) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head_only and self.command != "HEAD":
            self.wfile.write(data)


def _validate_yaml(content: str) -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", content, re.S)
    if match is None:
        return {"errors": [], "warnings": [{"message": "empty or missing yaml metadata in repo card"}]}
    try:
        yaml.safe_load(match.group(1))
    except yaml.YAMLError as err:
        return {"errors": [{"message": str(err)}], "warnings": []}
    return {"errors": [], "warnings": []}


class HubServer:
    """The fake Hub on 127.0.0.1 and a free port, served from a background thread."""

    def __init__(self, token: str = "hf_test_token_never_printed"):
        self.hub = FakeHub(token)
        handler = type("Handler", (_Handler,), {"hub": self.hub})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.hub.base_url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-hub", daemon=True)

    @property
    def token(self) -> str:
        return self.hub.token

    def __enter__(self) -> "HubServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
