"""Config goldens from transformers 4.51.3 (run with /work/venv/bin/python from the repo root).

Writes tests/data/modeling/config/:
  base_defaults.json      PretrainedConfig().to_dict() without transformers_version
  class_defaults.json     {model_type: what <Arch>Config() adds to / changes in the base defaults}
  saved/<name>.json       config.json as 4.51 save_pretrained writes it, from the inputs in cases.json
  cases.json              {name: {"input": <config dict>, "overrides": {...}, "unused": {...}}}
  default_constructed/<type>_{diff,full}.json  <Arch>Config().to_json_string(use_diff=...)
  saved_model/llama_no_head_dim.json  config.json of model.save_pretrained for that case's input
  generation/<name>.json  generation_config.json as 4.51 writes it
"""
import json
import os
import shutil
import sys
import tempfile

import transformers
from transformers import AutoConfig, GenerationConfig, PretrainedConfig, BertConfig, GPT2Config, LlamaConfig
from transformers import Gemma2Config, Gemma3TextConfig, GemmaConfig, MistralConfig, MixtralConfig, Olmo2Config
from transformers import Phi3Config, Qwen2Config, Qwen2MoeConfig, Qwen3Config
from transformers import DistilBertConfig, RobertaConfig, XLMRobertaConfig
from transformers import ModernBertConfig
from transformers import DebertaV2Config, MPNetConfig

# every config class the library ships (src/models/*/register_*.cpp)
SHIPPED = (BertConfig, GemmaConfig, Gemma2Config, Gemma3TextConfig, GPT2Config, LlamaConfig, MistralConfig,
           MixtralConfig, Olmo2Config, Phi3Config, Qwen2Config, Qwen2MoeConfig, Qwen3Config, DistilBertConfig,
           RobertaConfig, XLMRobertaConfig, MPNetConfig, DebertaV2Config,
           ModernBertConfig)

assert transformers.__version__ == "4.51.3", transformers.__version__
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "..", "shared", "fixtures", "hf", "models")
OUT = os.path.join(ROOT, "tests", "data", "modeling", "config")
os.makedirs(os.path.join(OUT, "saved"), exist_ok=True)
os.makedirs(os.path.join(OUT, "generation"), exist_ok=True)


def dump(obj, path):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


base = PretrainedConfig().to_dict()
base.pop("transformers_version")
dump(base, os.path.join(OUT, "base_defaults.json"))

class_defaults = {}
for cls in SHIPPED:
    d = cls().to_dict()
    d.pop("transformers_version")
    d.pop("model_type")
    class_defaults[cls.model_type] = {
        "class_name": cls.__name__,
        "attribute_map": dict(cls.attribute_map),
        "defaults": {k: v for k, v in d.items() if k not in base or v != base[k]},
    }
dump(class_defaults, os.path.join(OUT, "class_defaults.json"))

# <Arch>Config().to_json_string() with and without use_diff, for every model type the library ships.
os.makedirs(os.path.join(OUT, "default_constructed"), exist_ok=True)
for cls in SHIPPED:
    for use_diff in (True, False):
        name = f"{cls.model_type}_{'diff' if use_diff else 'full'}.json"
        with open(os.path.join(OUT, "default_constructed", name), "w") as f:
            f.write(cls().to_json_string(use_diff=use_diff))

cases = {}


def case(name, input_dict, overrides=None):
    overrides = overrides or {}
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(input_dict, f)
        cfg, unused = AutoConfig.from_pretrained(d, return_unused_kwargs=True, **overrides)
        out = os.path.join(d, "out")
        cfg.save_pretrained(out)
        with open(os.path.join(out, "config.json")) as f:
            text = f.read()
    with open(os.path.join(OUT, "saved", name + ".json"), "w") as f:
        f.write(text)
    cases[name] = {"input": input_dict, "overrides": overrides,
                   "unused": {k: str(v) if k == "torch_dtype" else v for k, v in unused.items()}}


def load(rel):
    with open(os.path.join(FIX, rel, "config.json")) as f:
        return json.load(f)


for arch, folders in {"bert": ["model", "base", "cls3", "bf16"], "gpt2": ["model", "fp16"], "llama": ["model", "bf16"]}.items():
    for folder in folders:
        case(f"{arch}_{folder}", load(f"{arch}/{folder}"))
case("bert_num_labels5", load("bert/model"), {"num_labels": 5, "foo_unused": 3, "torch_dtype": "float16"})
case("bert_cls3_overrides", load("bert/cls3"), {"hidden_dropout_prob": 0.3, "output_attentions": True})
case("gpt2_alias_override", load("gpt2/model"), {"hidden_size": 48, "n_layer": 3})
# 4.x style keys written by 4.51 itself (torch_dtype, rope_theta, rope_scaling), non-ASCII label,
# ten labels (numeric key sort), pruned heads and a base key at its non-default value.
c = LlamaConfig(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, vocab_size=99, rope_theta=500000.0,
                rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                              "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
                torch_dtype="bfloat16", id2label={i: f"étiquette_{i}" for i in range(11)},
                pruned_heads={1: [0, 2], 0: [3]}, output_hidden_states=True, layer_norm_eps_custom=1e-12)
case("llama_4x", json.loads(c.to_json_string(use_diff=True)))
case("unknown_type_keys", {"model_type": "bert", "hidden_size": 16, "some_new_key": [1, 2.5, None],
                           "nested": {"b": 1, "a": {"z": 0, "y": 1e-05}}, "transformers_version": "9.9.9"})
# Partial configs: what __init__ derives (Llama's head_dim, num_key_value_heads, rope_type) is saved.
case("llama_type_only", {"model_type": "llama"})
case("gpt2_type_only", {"model_type": "gpt2"})
case("bert_type_only", {"model_type": "bert"})
no_head_dim = load("llama/model")
del no_head_dim["head_dim"]
case("llama_no_head_dim", no_head_dim)
case("llama_null_sizes", {"model_type": "llama", "hidden_size": 48, "num_attention_heads": 6, "head_dim": None,
                          "num_key_value_heads": None, "rope_scaling": {"type": "linear", "factor": 2.0}})
dump(cases, os.path.join(OUT, "cases.json"))

# The config.json `transformers-cli convert` must write for llama_no_head_dim: 4.51's
# model.save_pretrained after from_pretrained of that folder.
with tempfile.TemporaryDirectory() as d:
    shutil.copy(os.path.join(FIX, "llama", "model", "model.safetensors"), d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(no_head_dim, f)
    out = os.path.join(d, "out")
    transformers.AutoModelForCausalLM.from_pretrained(d).save_pretrained(out)
    with open(os.path.join(out, "config.json")) as f:
        text = f.read()
os.makedirs(os.path.join(OUT, "saved_model"), exist_ok=True)
with open(os.path.join(OUT, "saved_model", "llama_no_head_dim.json"), "w") as f:
    f.write(text)

# generation_config.json
gen_cases = {}
for arch in ("gpt2", "llama"):
    g = GenerationConfig.from_model_config(AutoConfig.from_pretrained(os.path.join(FIX, arch, "model")))
    with tempfile.TemporaryDirectory() as d:
        g.save_pretrained(d)
        with open(os.path.join(d, "generation_config.json")) as f:
            text = f.read()
    with open(os.path.join(OUT, "generation", f"from_model_config_{arch}.json"), "w") as f:
        f.write(text)
g = GenerationConfig(do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=32, eos_token_id=[2, 5],
                     bad_words_ids=[[3, 4]], pad_token_id=0)
with tempfile.TemporaryDirectory() as d:
    g.save_pretrained(d)
    with open(os.path.join(d, "generation_config.json")) as f:
        text = f.read()
with open(os.path.join(OUT, "generation", "sampling.json"), "w") as f:
    f.write(text)
defaults = GenerationConfig().to_dict()
defaults.pop("transformers_version")
dump(defaults, os.path.join(OUT, "generation", "defaults.json"))
print("ok", sys.argv[0])
