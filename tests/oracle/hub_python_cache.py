"""Oracle: a Hugging Face cache written by the real huggingface_hub client, for C++ to read offline.

Writes tests/data/hub/interop_repo.json (the repository served by both fake hubs), then downloads it
with huggingface_hub.hf_hub_download from the project's test Hub (tests/hub_server/, the
`hub_server` program; HUB_SERVER=path overrides build-hub/tests/hub_server) into
tests/data/hub/python_cache/ and records what Python returned in python_cache_manifest.json.
Run: /work/venv/bin/python tests/oracle/hub_python_cache.py
"""
import base64
import hashlib
import io
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "hub")
sys.path.insert(0, HERE)

for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT"):
    os.environ.pop(var, None)
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HOME"] = os.path.join("/tmp", "hub_oracle_home")  # no token file of the user's

import torch  # noqa: E402
from safetensors.torch import save  # noqa: E402
from transformers import BertConfig  # noqa: E402
import huggingface_hub  # noqa: E402
from huggingface_hub import hf_hub_download  # noqa: E402
from huggingface_hub.errors import EntryNotFoundError  # noqa: E402

from hub_server_process import HubServer  # noqa: E402

REPO = "interop-org/tiny-bert"


def b64(data):
    return base64.b64encode(data).decode()


def make_spec():
    cfg = BertConfig(vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16)
    weights = save({"embeddings.word_embeddings.weight": torch.arange(32 * 8, dtype=torch.float32).reshape(32, 8)})
    old_cfg = BertConfig(vocab_size=16, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16)
    main_files = {
        "config.json": cfg.to_json_string().encode(),
        "model.safetensors": weights,
        "sub/extra.txt": b"nested file\n",
    }
    old_files = {"config.json": old_cfg.to_json_string().encode()}

    def sha_of(files):
        h = hashlib.sha1()
        for p in sorted(files):
            h.update(p.encode() + b"\0" + files[p])
        return h.hexdigest()

    return {
        "repo_id": REPO,
        "commits": [
            {"sha": sha_of(main_files), "refs": ["main"], "files": {p: b64(d) for p, d in main_files.items()}},
            {"sha": sha_of(old_files), "refs": ["v1.0", "refs/pr/1"], "files": {p: b64(d) for p, d in old_files.items()}},
        ],
        # What the interop tests fetch, and one file absent at main (.no_exist marker).
        "downloads": [
            {"revision": "main", "filename": "config.json"},
            {"revision": "main", "filename": "model.safetensors"},
            {"revision": "main", "filename": "sub/extra.txt"},
            {"revision": "v1.0", "filename": "config.json"},
            {"revision": "refs/pr/1", "filename": "config.json"},
        ],
        "missing": [{"revision": "main", "filename": "pytorch_model.bin"}],
    }


def main():
    spec = make_spec()
    with open(os.path.join(DATA, "interop_repo.json"), "w") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")
    cache = os.path.join(DATA, "python_cache")
    shutil.rmtree(cache, ignore_errors=True)
    hub = HubServer(["--spec", os.path.join(DATA, "interop_repo.json")])
    manifest = {"huggingface_hub": huggingface_hub.__version__, "repo_id": REPO, "files": [], "missing": []}
    try:
        for d in spec["downloads"]:
            p = hf_hub_download(REPO, d["filename"], revision=d["revision"], cache_dir=cache, endpoint=hub.endpoint)
            with open(p, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            manifest["files"].append({**d, "path": os.path.relpath(p, cache), "sha256": digest})
        for d in spec["missing"]:
            try:
                hf_hub_download(REPO, d["filename"], revision=d["revision"], cache_dir=cache, endpoint=hub.endpoint)
                raise SystemExit("expected EntryNotFoundError")
            except EntryNotFoundError:
                manifest["missing"].append(d)
    finally:
        hub.close()
    shutil.rmtree(os.path.join(cache, ".locks"), ignore_errors=True)  # lock files carry no information
    with open(os.path.join(DATA, "python_cache_manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
