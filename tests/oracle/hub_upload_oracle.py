"""Oracle: the real huggingface_hub client against our test Hub server (tests/hub_server/).

Proves the server speaks the Hub protocol for create_repo, upload_folder, create_commit (an LFS and a
regular file), create_pr, hf_hub_download, snapshot_download (allow_patterns) and private repos, and
records what the client sent (from the server's request log) and got, for test_hub's
HubUploadOracle tests to check that our C++ client does and sees the same.

Writes tests/data/hub/upload_oracle/input/ (the deterministic folder that is uploaded) and
tests/data/hub/upload_oracle.json (the summary).
Run: /work/venv/bin/python tests/oracle/hub_upload_oracle.py [path/to/hub_server]
     (default $HUB_SERVER or build-hub/tests/hub_server)
"""
import base64
import hashlib
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hub_server_process import HubServer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DATA = os.path.join(ROOT, "tests", "data", "hub")
INPUT = os.path.join(DATA, "upload_oracle", "input")
TOKEN = "hf_oracle_write_token"
REPO = "oracle-org/pushed"
PRIVATE_REPO = "oracle-org/private"
TF_REPO = "oracle-org/tf-push"
MULTIPART_CHUNK = 100000  # the server asks for multipart above this size
MULTIPART_SIZE = 250001   # -> 3 parts
GPT2_FIXTURE = os.path.join(ROOT, "..", "shared", "fixtures", "hf", "models", "gpt2", "model")

for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT",
            "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
    os.environ.pop(var, None)
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
HOME = tempfile.mkdtemp(prefix="hub_upload_oracle_")
os.environ["HF_HOME"] = HOME


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def git_sha1(b):
    return hashlib.sha1(b"blob %d\0" % len(b) + b).hexdigest()


def make_input():
    """A small saved-model-like folder: config (regular), safetensors weights (LFS), a nested file."""
    import torch
    from safetensors.torch import save

    shutil.rmtree(INPUT, ignore_errors=True)
    os.makedirs(os.path.join(INPUT, "extra"))
    files = {
        "config.json": json.dumps({"model_type": "gpt2", "n_embd": 8, "n_layer": 1}, indent=2).encode() + b"\n",
        "model.safetensors": save({"w": torch.arange(64, dtype=torch.float32).reshape(8, 8)}),
        "extra/notes.txt": b"a nested regular file\n",
    }
    for p, b in files.items():
        with open(os.path.join(INPUT, p), "wb") as f:
            f.write(b)
    return files


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else None
    files = make_input()
    log_path = os.path.join(HOME, "log.json")
    server = HubServer(["--write-token", TOKEN, "--log", log_path, "--multipart-chunk", str(MULTIPART_CHUNK)], binary)
    info = {"endpoint": server.endpoint}
    os.environ["HF_ENDPOINT"] = server.endpoint
    # huggingface_hub reads its constants at import: import only now.
    import huggingface_hub
    from huggingface_hub import (CommitOperationAdd, HfApi, create_commit, create_repo, hf_hub_download,
                                 snapshot_download, upload_folder)
    from huggingface_hub.errors import RepositoryNotFoundError, HfHubHTTPError

    out = {"huggingface_hub": huggingface_hub.__version__, "repo_id": REPO, "steps": {}, "input": {}}
    for p, b in sorted(files.items()):
        out["input"][p] = {"size": len(b), "sha256": sha256(b), "git_sha1": git_sha1(b)}
    results = {}

    url = create_repo(REPO, token=TOKEN)
    results["create_repo"] = {"url_endswith_repo": str(url).endswith("/" + REPO)}
    create_repo(REPO, token=TOKEN, exist_ok=True)
    try:
        create_repo(REPO, token=TOKEN)
        results["create_repo_again"] = "no error"
    except HfHubHTTPError as e:
        results["create_repo_again"] = e.response.status_code
    try:
        create_repo("oracle-org/denied", token="hf_wrong")
        results["create_repo_wrong_token"] = "no error"
    except HfHubHTTPError as e:
        results["create_repo_wrong_token"] = e.response.status_code

    c1 = upload_folder(repo_id=REPO, folder_path=INPUT, token=TOKEN, commit_message="Upload model")
    results["upload_folder"] = {"oid_is_sha": len(c1.oid) == 40}
    c2 = upload_folder(repo_id=REPO, folder_path=INPUT, token=TOKEN, commit_message="Upload model")
    results["upload_folder_again"] = {"same_oid_as_first": c2.oid == c1.oid}
    lfs_bytes = b"\x00\x01binary-lfs-payload\n" * 7
    c3 = create_commit(REPO, [CommitOperationAdd("weights/extra.bin", lfs_bytes),
                              CommitOperationAdd("notes.md", b"# notes\n")],
                       commit_message="Add two files", commit_description="one LFS, one regular", token=TOKEN)
    results["create_commit"] = {"new_oid": c3.oid != c1.oid}
    c4 = create_commit(REPO, [CommitOperationAdd("notes.md", b"# notes, changed in a PR\n")],
                       commit_message="Change notes", create_pr=True, token=TOKEN)
    results["create_pr"] = {"pr_revision": c4.pr_revision, "pr_num": c4.pr_num}

    # A file above the server's multipart chunk (--multipart-chunk): parts PUT, then completion.
    big = bytes((i * 7 + i // 256) % 251 for i in range(MULTIPART_SIZE))
    create_commit(REPO, [CommitOperationAdd("big/weights.bin", big)], commit_message="Add a big file", token=TOKEN)
    with open(hf_hub_download(REPO, "big/weights.bin", token=TOKEN), "rb") as f:
        results["multipart_download_sha256"] = sha256(f.read())
    results["multipart_input_sha256"] = sha256(big)

    # Downloads with the client: every file at main, one from the PR ref, a filtered snapshot.
    got = {}
    for p in list(files) + ["weights/extra.bin", "notes.md"]:
        with open(hf_hub_download(REPO, p, token=TOKEN), "rb") as f:
            got[p] = sha256(f.read())
    with open(hf_hub_download(REPO, "notes.md", revision="refs/pr/1", token=TOKEN), "rb") as f:
        got["notes.md@refs/pr/1"] = sha256(f.read())
    # Fresh cache folders: a snapshot folder also shows files fetched earlier for the same commit.
    snap = snapshot_download(REPO, allow_patterns=["*.json", "extra/*"], token=TOKEN,
                             cache_dir=tempfile.mkdtemp(dir=HOME))
    snap_files = sorted(os.path.relpath(os.path.join(d, f), snap) for d, _, fs in os.walk(snap) for f in fs)
    full = snapshot_download(REPO, token=TOKEN, cache_dir=tempfile.mkdtemp(dir=HOME))
    full_files = sorted(os.path.relpath(os.path.join(d, f), full) for d, _, fs in os.walk(full) for f in fs)
    info_main = HfApi().model_info(REPO, files_metadata=True, token=TOKEN)
    results["downloads_sha256"] = got
    results["snapshot_allow_json_extra"] = snap_files
    results["snapshot_full"] = full_files
    results["repo_info_siblings"] = sorted(
        [{"rfilename": s.rfilename, "size": s.size, "lfs": s.lfs is not None} for s in info_main.siblings],
        key=lambda d: d["rfilename"])

    create_repo(PRIVATE_REPO, token=TOKEN, private=True)
    create_commit(PRIVATE_REPO, [CommitOperationAdd("config.json", files["config.json"])],
                  commit_message="Upload config", token=TOKEN)
    try:
        hf_hub_download(PRIVATE_REPO, "config.json", token=False)
        results["private_without_token"] = "downloaded"
    except RepositoryNotFoundError:
        results["private_without_token"] = "RepositoryNotFoundError"
    with open(hf_hub_download(PRIVATE_REPO, "config.json", token=TOKEN), "rb") as f:
        results["private_with_token_sha256"] = sha256(f.read())

    # transformers 4.51's PreTrainedModel.push_to_hub of the tiny GPT-2 fixture, sharded, twice; a
    # marker request splits the server log between the two pushes.
    import requests
    from transformers import GPT2LMHeadModel
    model = GPT2LMHeadModel.from_pretrained(GPT2_FIXTURE)
    cwd = os.getcwd()
    os.chdir(HOME)  # push_to_hub writes into ./<repo name> when that folder exists; it does not here
    try:
        model.push_to_hub(TF_REPO, token=TOKEN, max_shard_size="30KB", tags=["tiny"])
        requests.get(server.endpoint + "/marker/second-push")
        second = model.push_to_hub(TF_REPO, token=TOKEN, max_shard_size="30KB", tags=["tiny"])
    finally:
        os.chdir(cwd)
    with open(hf_hub_download(TF_REPO, "README.md", token=TOKEN), encoding="utf-8") as f:
        card = f.read()
    results["transformers_push"] = {
        "card_front_matter": card[:card.index("\n---\n", 4) + 5],
        "second_push_oid_is_first": second.oid == HfApi().model_info(TF_REPO, token=TOKEN).sha,
        "files": sorted(s.rfilename for s in HfApi().model_info(TF_REPO, token=TOKEN).siblings),
    }

    server.close()  # writes the request log
    log = json.load(open(log_path))
    out["results"] = results

    # What the client sent, from the server's log.
    def path_of(t):
        return t.split("?")[0]

    def is_write(e):
        t = path_of(e["target"])
        return e["method"] in ("POST", "PUT") and "/api/validate-yaml" not in t

    commits = []
    for e in log:
        t = path_of(e["target"])
        if e["method"] == "POST" and "/commit/" in t:
            lines = [json.loads(l) for l in e["body"].splitlines() if l.strip()] if "body" in e else []
            commits.append({
                "target": e["target"].replace(info["endpoint"], ""),
                "content_type": e["content_type"],
                "lines": [{"key": l["key"], **({"path": l["value"]["path"]} if "path" in l["value"] else {}),
                           **({k: l["value"][k] for k in ("summary", "description") if k in l["value"]}),
                           **({k: l["value"][k] for k in ("algo", "oid", "size", "encoding") if k in l["value"]})}
                          for l in lines],
            })
    preuploads = []
    for e in log:
        if e["method"] == "POST" and "/preupload/" in path_of(e["target"]):
            body = json.loads(e["body"])
            preuploads.append({"target": e["target"],
                               "files": [{"path": f["path"], "size": f["size"], "sample": f["sample"]}
                                         for f in body["files"]]})
    batches = []
    for e in log:
        if e["method"] == "POST" and path_of(e["target"]).endswith("/info/lfs/objects/batch"):
            body = json.loads(e["body"])
            batches.append({"target": e["target"], "accept": e["accept"], "content_type": e["content_type"],
                            "operation": body["operation"], "hash_algo": body.get("hash_algo"),
                            "ref": body.get("ref"), "objects": body["objects"], "transfers": body.get("transfers")})
    def push_summary(entries):
        tf = [e for e in entries if "/oracle-org/tf-push" in e["target"] or e["server"] == "cdn"]
        commit_lines = []
        for e in tf:
            if e["method"] == "POST" and "/commit/" in path_of(e["target"]):
                for line in e["body"].splitlines():
                    if line.strip():
                        j = json.loads(line)
                        v = j["value"]
                        commit_lines.append({"key": j["key"], **({"path": v["path"]} if "path" in v else {}),
                                             **({"summary": v["summary"]} if "summary" in v else {}),
                                             **({"size": v["size"]} if "size" in v else {})})
        return {"commit_lines": commit_lines,
                "commits": sum(1 for e in tf if e["method"] == "POST" and "/commit/" in path_of(e["target"])),
                "lfs_batches": sum(1 for e in tf if path_of(e["target"]).endswith("/objects/batch")),
                "puts": sum(1 for e in tf if e["method"] == "PUT"),
                "writes": [f'{e["method"]} {path_of(e["target"])}' for e in tf if is_write(e) and e["server"] == "hub"]}

    start = next(i for i, e in enumerate(log) if "/oracle-org/tf-push" in e["target"] or
                 (path_of(e["target"]) == "/api/repos/create" and '"tf-push"' in e.get("body", "")))
    marker = next(i for i, e in enumerate(log) if path_of(e["target"]) == "/marker/second-push")
    out["transformers_push"] = {"first": push_summary(log[start:marker]), "second": push_summary(log[marker + 1:])}
    out["multipart"] = {
        "chunk": MULTIPART_CHUNK, "size": MULTIPART_SIZE,
        "part_puts": [{"path": path_of(e["target"]), "size": e["body_size"], "authorization": e["authorization"]}
                      for e in log if e["method"] == "PUT" and path_of(e["target"]).startswith("/part/")],
        "completions": [{"path": path_of(e["target"]), "authorization": e["authorization"],
                         "content_type": e["content_type"], "accept": e["accept"],
                         "body": json.loads(e["body"])} for e in log if path_of(e["target"]).startswith("/complete/")],
    }
    out["requests"] = {
        "creates": [json.loads(e["body"]) for e in log if path_of(e["target"]) == "/api/repos/create"],
        "preuploads": preuploads,
        "lfs_batches": batches,
        "lfs_puts": [{"target": e["target"], "size": e["body_size"], "authorization": e["authorization"]}
                     for e in log if e["method"] == "PUT"],
        "verifies": sum(1 for e in log if path_of(e["target"]).endswith("/info/lfs/objects/verify")),
        "commits": commits,
        "writes": [f'{e["method"]} {path_of(e["target"])}' for e in log if is_write(e)],
    }
    os.makedirs(DATA, exist_ok=True)
    with open(os.path.join(DATA, "upload_oracle.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    shutil.rmtree(HOME, ignore_errors=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
