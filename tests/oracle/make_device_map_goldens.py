#!/usr/bin/env python3
"""Oracle for device_map placement (issue 26): the maps transformers 4.51 computes with accelerate's own
functions (infer_auto_device_map / get_balanced_memory / get_max_memory through
modeling_utils._get_device_map) for the fixture models, the decoder-family cases and the bench shapes
(scripts/make_bench_models: bert-base, gpt2, llama-1b), each under several max_memory settings and
device_map strategies, some sending layers to disk.

    /work/venv/bin/python tests/oracle/make_device_map_goldens.py

The models are built on the meta device (init_empty_weights, as from_pretrained does with
low_cpu_mem_usage) in the load dtype; for the fixtures the oracle also runs the real from_pretrained(...,
device_map=..., max_memory=..., offload_folder=...) and checks that model.hf_device_map is the same
map, so the meta construction is the one from_pretrained uses. Writes
tests/data/modeling/device_map/cases.json and configs/<bench>/config.json.
"""
import copy
import json
import os
import tempfile

import accelerate
import torch
import transformers
from accelerate import init_empty_weights
from transformers.modeling_utils import _get_device_map
from transformers.utils.generic import ContextManagers

assert transformers.__version__ == "4.51.3", transformers.__version__
assert accelerate.__version__ < "1.8", accelerate.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "tests", "data", "modeling", "device_map")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "hf", "models")

BENCH = {
    "bench_bert_base": dict(model_type="bert", architectures=["BertModel"]),
    "bench_gpt2": dict(model_type="gpt2", architectures=["GPT2LMHeadModel"]),
    "bench_llama_1b": dict(
        model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=2048, intermediate_size=8192,
        num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8, head_dim=64, vocab_size=128256,
        max_position_embeddings=131072, rms_norm_eps=1e-5, rope_theta=500000.0,
        rope_scaling=dict(factor=32.0, high_freq_factor=4.0, low_freq_factor=1.0,
                          original_max_position_embeddings=8192, rope_type="llama3"),
        hidden_act="silu", tie_word_embeddings=True, bos_token_id=128000, eos_token_id=128001,
        initializer_range=0.02, torch_dtype="bfloat16"),
}

# (case name, config folder relative to the repository root or "shared:" + fixture folder, class, real load?)
CASES = [
    ("bert", "shared:bert/model", "BertForMaskedLM", True),
    ("bert_base", "shared:bert/base", "BertModel", True),
    ("gpt2", "shared:gpt2/model", "GPT2LMHeadModel", True),
    ("llama", "shared:llama/model", "LlamaForCausalLM", True),
    ("llama_seq_cls", "tests/data/models/cases/llama_seq_cls", "LlamaForSequenceClassification", False),
    ("qwen2", "tests/data/models/cases/qwen2_gqa_left_pad", None, False),
    ("qwen3", "tests/data/models/cases/qwen3_qk_norm_bias_headdim", None, False),
    ("mistral", "tests/data/models/cases/mistral_gqa_left_pad_no_window", None, False),
    ("gemma", "tests/data/models/cases/gemma_tied_headdim_left_pad", None, False),
    ("gemma2", "tests/data/models/cases/gemma2_window4_softcap", None, False),
    ("phi3", "tests/data/models/cases/phi3_fused_gqa_left_pad", None, False),
    ("olmo2", "tests/data/models/cases/olmo2_bias_rope_linear_tied", None, False),
    ("bench_bert_base", "tests/data/modeling/device_map/configs/bench_bert_base", None, False),
    ("bench_gpt2", "tests/data/modeling/device_map/configs/bench_gpt2", None, False),
    ("bench_llama_1b", "tests/data/modeling/device_map/configs/bench_llama_1b", None, False),
]


def folder_of(where):
    return os.path.join(SHARED, where[len("shared:"):]) if where.startswith("shared:") else os.path.join(ROOT, where)


def meta_model(cls, config, dtype):
    """What from_pretrained builds before it computes the map: cls(config) under get_init_context
    (no_init_weights + init_empty_weights) in the load dtype, then tie_weights()."""
    config = cls._autoset_attn_implementation(config, torch_dtype=dtype)
    old = torch.get_default_dtype()
    if dtype is not None:
        torch.set_default_dtype(dtype)
    try:
        with ContextManagers(cls.get_init_context(False, False)):
            model = cls(config)
    finally:
        torch.set_default_dtype(old)
    model.tie_weights()
    return model


def compute(model, strategy, mm, dtype):
    """The map, or the error 4.51 raises ({"error": type name})."""
    try:
        dm = _get_device_map(model, strategy, copy.deepcopy(mm), None, dtype, None)
    except Exception as e:  # recorded: the C++ side must refuse these too
        return {"error": type(e).__name__, "message": str(e)}
    return {k: (v if isinstance(v, str) else int(v)) for k, v in dm.items()}


def total_size(model, dtype):
    return accelerate.utils.compute_module_sizes(model, dtype=dtype)[""]


def settings_for(total):
    """max_memory settings relative to the model's size: everything fits, most fits, about half, little,
    less than one layer (all to disk), plus the written forms 4.51 parses."""
    def kb(x):
        return f"{x / 1000:.3f}KB"
    return [
        ("auto", {"cpu": int(total * 3)}),
        ("auto", {"cpu": int(total * 0.9)}),
        ("sequential", {"cpu": kb(total * 0.7)}),
        ("balanced", {"cpu": int(total * 0.5), "disk": int(total * 10)}),
        ("balanced_low_0", {"cpu": f"{total * 0.35 / 2**10:.2f}KiB"}),
        ("auto", {"cpu": int(total * 0.5)}),
        ("balanced", {"cpu": int(total * 0.8)}),
        ("sequential", {"cpu": int(total * 0.45), "disk": int(total * 10)}),
        ("auto", {"cpu": int(total * 0.2)}),
        ("sequential", {"cpu": f"{total * 0.6 / 2**20:.6f}MiB"}),
        ("auto", {"cpu": 1000}),
    ]


def main():
    os.makedirs(os.path.join(OUT, "configs"), exist_ok=True)
    for name, kw in BENCH.items():
        kw = dict(kw)
        mt = kw.pop("model_type")
        cfg = transformers.AutoConfig.for_model(mt, **kw)
        d = os.path.join(OUT, "configs", name)
        os.makedirs(d, exist_ok=True)
        cfg.save_pretrained(d)
    cases = []
    for name, where, cls_name, real in CASES:
        folder = folder_of(where)
        config = transformers.AutoConfig.from_pretrained(folder)
        cls_name = cls_name or config.architectures[0]
        cls = getattr(transformers, cls_name)
        dtypes = [None, torch.bfloat16]
        for dtype in dtypes:
            model = meta_model(cls, copy.deepcopy(config), dtype)
            total = total_size(model, dtype)
            entries = []
            for strategy, mm in settings_for(total):
                dm = compute(model, strategy, mm, dtype)
                entry = {"device_map": strategy, "max_memory": mm, "expected": dm}
                if real:
                    with tempfile.TemporaryDirectory() as off:
                        try:
                            loaded = cls.from_pretrained(folder, device_map=strategy, max_memory=copy.deepcopy(mm),
                                                         offload_folder=off, torch_dtype=dtype)
                            got = dict(loaded.hf_device_map)
                        except Exception as e:
                            got = {"error": type(e).__name__, "message": str(e)}
                        if "error" in got:
                            # 4.51 cannot load a map that sends everything to disk ({"": "disk"}: the
                            # safetensors reader is asked for device "disk")
                            assert dm == {"": "disk"} or "error" in dm, (name, strategy, mm, got, dm)
                            entry["from_pretrained_error"] = got["error"]
                        else:
                            assert got == dm, (name, strategy, mm, got, dm)
                entries.append(entry)
            cases.append({
                "name": name,
                "config": where,
                "class": cls_name,
                "torch_dtype": None if dtype is None else str(dtype).replace("torch.", ""),
                "total_size": total,
                "no_split_modules": sorted(model._get_no_split_modules("auto")),
                "tied_parameters": accelerate.utils.find_tied_parameters(model),
                "settings": entries,
            })
            print(name, dtype, total, [sorted(set(e["expected"].values())) for e in entries])
    # DistilBERT has no _no_split_modules: 4.51 refuses a device_map string for it.
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"transformers": transformers.__version__, "accelerate": accelerate.__version__, "cases": cases}, f,
                  indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
