"""Oracle: does Python read a cache written by our C++ downloader?

First write the cache with the C++ test (it serves tests/data/hub/interop_repo.json from the
in-process fake Hub):
  HUB_INTEROP_WRITE_DIR=$PWD/tests/data/hub/cpp_cache build/tests/test_hub \
      --gtest_filter=HubInterop.CppDownloadWritesTheTreePythonWritesAndPythonReadsIt
then run /work/venv/bin/python tests/oracle/hub_check_cpp_cache.py, which records in
tests/data/hub/cpp_cache_python_view.json what huggingface_hub and transformers find there offline.
"""
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "hub")
os.environ["HF_HUB_OFFLINE"] = "1"  # any network access would raise
os.environ["HF_HOME"] = "/tmp/hub_oracle_home"
os.environ.pop("HF_TOKEN", None)

import huggingface_hub  # noqa: E402
from huggingface_hub import hf_hub_download, try_to_load_from_cache  # noqa: E402
from huggingface_hub.file_download import _CACHED_NO_EXIST  # noqa: E402
from safetensors import safe_open  # noqa: E402
from transformers import AutoConfig  # noqa: E402


def main():
    spec = json.load(open(os.path.join(DATA, "interop_repo.json")))
    manifest = json.load(open(os.path.join(DATA, "python_cache_manifest.json")))
    cache = os.path.join(DATA, "cpp_cache")
    repo = spec["repo_id"]
    view = {"huggingface_hub": huggingface_hub.__version__, "files": [], "missing": []}
    for d, m in zip(spec["downloads"], manifest["files"]):
        found = try_to_load_from_cache(repo, d["filename"], cache_dir=cache, revision=d["revision"])
        offline = hf_hub_download(repo, d["filename"], revision=d["revision"], cache_dir=cache, local_files_only=True)
        with open(offline, "rb") as f:
            sha_ok = hashlib.sha256(f.read()).hexdigest() == m["sha256"]
        view["files"].append({
            **d,
            "expected_path": m["path"],
            "try_to_load_from_cache": os.path.relpath(found, cache) if isinstance(found, str) else repr(found),
            "hf_hub_download_offline": os.path.relpath(offline, cache),
            "sha256_ok": sha_ok,
        })
    for d in spec["missing"]:
        r = try_to_load_from_cache(repo, d["filename"], cache_dir=cache, revision=d["revision"])
        view["missing"].append({**d, "cached_no_exist": r is _CACHED_NO_EXIST})
    cfg = AutoConfig.from_pretrained(repo, cache_dir=cache, local_files_only=True)
    view["auto_config_model_type"] = cfg.model_type
    weights = hf_hub_download(repo, "model.safetensors", cache_dir=cache, local_files_only=True)
    with safe_open(weights, "pt") as f:
        view["safetensors_keys"] = sorted(f.keys())
    with open(os.path.join(DATA, "cpp_cache_python_view.json"), "w") as f:
        json.dump(view, f, indent=1)
        f.write("\n")
    print(json.dumps(view, indent=1))


if __name__ == "__main__":
    main()
