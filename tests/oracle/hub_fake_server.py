"""A minimal Hugging Face Hub download endpoint on 127.0.0.1 for the interop oracles.

It speaks the same subset of the protocol as tests/hub/fake_hub.cpp: the resolve endpoint answers
HEAD/GET with X-Repo-Commit, ETag (git blob sha1) for regular files, and for LFS files (*.safetensors,
*.bin) a 302 to a second server (another port = another host for the client) with X-Linked-Etag
(sha256) and X-Linked-Size; 404 carries X-Error-Code EntryNotFound/RevisionNotFound/RepoNotFound.
The repository comes from tests/data/hub/interop_repo.json.
"""
import base64
import hashlib
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def load_repo(path):
    with open(path) as f:
        spec = json.load(f)
    commits = {c["sha"]: {p: base64.b64decode(b) for p, b in c["files"].items()} for c in spec["commits"]}
    refs = {}
    for c in spec["commits"]:
        for r in c["refs"]:
            refs[r] = c["sha"]
    return spec["repo_id"], commits, refs


def is_lfs(path):
    return path.endswith(".safetensors") or path.endswith(".bin")


def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class FakeHub:
    def __init__(self, spec_path):
        self.repo_id, self.commits, self.refs = load_repo(spec_path)
        self.lfs = {}
        for files in self.commits.values():
            for p, data in files.items():
                if is_lfs(p):
                    self.lfs[hashlib.sha256(data).hexdigest()] = data
        self.cdn = ThreadingHTTPServer(("127.0.0.1", 0), self._cdn_handler())
        self.hub = ThreadingHTTPServer(("127.0.0.1", 0), self._hub_handler())
        for s in (self.cdn, self.hub):
            threading.Thread(target=s.serve_forever, daemon=True).start()

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.hub.server_address[1]

    def close(self):
        for s in (self.cdn, self.hub):
            s.shutdown()

    def _hub_handler(self):
        hub = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _answer(self, body):
                path = urllib.parse.urlsplit(self.path).path
                if "/resolve/" not in path:
                    return self._error(404, None)
                repo, rest = path[1:].split("/resolve/", 1)
                if repo != hub.repo_id:
                    return self._error(404, "RepoNotFound")
                rev, fname = rest.split("/", 1)
                rev, fname = urllib.parse.unquote(rev), urllib.parse.unquote(fname)
                commit = hub.refs.get(rev, rev if rev in hub.commits else None)
                if commit is None:
                    return self._error(404, "RevisionNotFound")
                files = hub.commits[commit]
                if fname not in files:
                    return self._error(404, "EntryNotFound", commit)
                data = files[fname]
                if is_lfs(fname):
                    sha = hashlib.sha256(data).hexdigest()
                    self.send_response(302)
                    self.send_header("X-Repo-Commit", commit)
                    self.send_header("X-Linked-Etag", '"%s"' % sha)
                    self.send_header("X-Linked-Size", str(len(data)))
                    self.send_header("ETag", '"%s"' % git_blob_sha1(b"pointer " + sha.encode()))
                    self.send_header("Location", "http://127.0.0.1:%d/lfs/%s?sig=fake" % (hub.cdn.server_address[1], sha))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("X-Repo-Commit", commit)
                self.send_header("ETag", '"%s"' % git_blob_sha1(data))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def _error(self, status, code, commit=None):
                self.send_response(status)
                if code:
                    self.send_header("X-Error-Code", code)
                if commit:
                    self.send_header("X-Repo-Commit", commit)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_HEAD(self):
                self._answer(False)

            def do_GET(self):
                self._answer(True)

        return H

    def _cdn_handler(self):
        hub = self

        class C(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                assert "authorization" not in {k.lower() for k in self.headers.keys()}, "token sent to the CDN"
                sha = urllib.parse.urlsplit(self.path).path.rsplit("/", 1)[-1]
                data = hub.lfs.get(sha)
                if data is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = 0
                rng = self.headers.get("Range")
                if rng and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                self.wfile.write(data[start:])

        return C
