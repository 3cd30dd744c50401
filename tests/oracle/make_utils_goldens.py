"""Goldens for the model utilities that transformers 5.x removed (prune_heads, head_mask,
get_extended_attention_mask, invert_attention_mask, get_head_mask, estimate_tokens,
floating_point_ops) and the 4.51 resize statistics, computed with transformers 4.51.3 on the shared
tiny fixtures. Writes tests/data/utils/goldens.safetensors (tensors) and goldens.json (scalars).

Run: /work/venv/bin/python tests/oracle/make_utils_goldens.py
"""
import json
import os
import sys
import tempfile

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import BertForMaskedLM, BertModel, GPT2LMHeadModel, LlamaForCausalLM

assert transformers.__version__ == "4.51.3", transformers.__version__

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "..", "shared", "fixtures", "hf", "models")
OUT = os.path.join(ROOT, "tests", "data", "utils")
os.makedirs(OUT, exist_ok=True)

CLASSES = {"bert": BertForMaskedLM, "gpt2": GPT2LMHeadModel, "llama": LlamaForCausalLM}
tensors = {}
facts = {"transformers": transformers.__version__, "torch": torch.__version__}


def load(arch, folder="model"):
    m = CLASSES[arch].from_pretrained(os.path.join(FIX, arch, folder), attn_implementation="eager")
    m.eval()
    return m


def inputs(arch):
    e = load_file(os.path.join(FIX, arch, "expected.safetensors"))
    kw = {"input_ids": e["input_ids"], "attention_mask": e["attention_mask"]}
    if arch == "bert":
        kw["token_type_ids"] = e["token_type_ids"]
    return kw


def sorted_heads(d):
    return {str(k): sorted(v) for k, v in sorted(d.items())}


# ---- prune_heads: two calls so the merge of config.pruned_heads and the index shift are covered
PRUNE_1 = {0: [1, 3], 1: [0]}
PRUNE_2 = {0: [1, 2]}  # 1 already pruned: only head 2 is new
HEAD_MASK = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 1.0]]  # the same heads as PRUNE_1 + PRUNE_2
HEAD_MASK_1D = [1.0, 0.5, 0.0, 1.0]
for arch in ("bert", "gpt2"):
    kw = inputs(arch)
    with torch.no_grad():
        base = load(arch)
        tensors[f"{arch}.logits_head_mask"] = base(**kw, head_mask=torch.tensor(HEAD_MASK)).logits.contiguous()
        tensors[f"{arch}.logits_head_mask_1d"] = base(**kw, head_mask=torch.tensor(HEAD_MASK_1D)).logits.contiguous()
        m = load(arch)
        m.prune_heads(PRUNE_1)
        after1 = sorted_heads(m.config.pruned_heads)
        tensors[f"{arch}.logits_pruned_1"] = m(**kw).logits.contiguous()
        m.prune_heads(PRUNE_2)
        tensors[f"{arch}.logits_pruned"] = m(**kw).logits.contiguous()
        shapes = {k: list(v.shape) for k, v in m.state_dict().items()}
        with tempfile.TemporaryDirectory() as d:
            m.save_pretrained(d)
            saved = json.load(open(os.path.join(d, "config.json")))["pruned_heads"]
            r = CLASSES[arch].from_pretrained(d, attn_implementation="eager").eval()
            tensors[f"{arch}.logits_pruned_reloaded"] = r(**kw).logits.contiguous()
            reloaded_heads = sorted_heads(r.config.pruned_heads)
    facts[arch] = {
        "pruned_heads_after_first": after1,
        "pruned_heads": sorted_heads(m.config.pruned_heads),
        "saved_pruned_heads": {k: sorted(v) for k, v in saved.items()},
        "reloaded_pruned_heads": reloaded_heads,
        "pruned_shapes": shapes,
        "num_parameters_pruned": m.num_parameters(),
    }

# ---- estimate_tokens / floating_point_ops / counts
for arch in CLASSES:
    m = load(arch)
    ids = inputs(arch)["input_ids"]
    f = facts.setdefault(arch, {})
    f["estimate_tokens"] = m.estimate_tokens({"input_ids": ids})
    f["estimate_tokens_missing"] = m.estimate_tokens({"attention_mask": ids})
    f["floating_point_ops"] = m.floating_point_ops({"input_ids": ids})
    f["floating_point_ops_with_embeddings"] = m.floating_point_ops({"input_ids": ids}, exclude_embeddings=False)
    f["num_parameters"] = m.num_parameters()
    f["num_parameters_no_embeddings"] = m.num_parameters(exclude_embeddings=True)
    f["input_shape"] = list(ids.shape)

# ---- masks (ModuleUtilsMixin on a BertModel; decoder = is_decoder config)
enc = BertModel.from_pretrained(os.path.join(FIX, "bert", "base")).eval()
dec = BertModel.from_pretrained(os.path.join(FIX, "bert", "base"), is_decoder=True).eval()
m2 = torch.tensor([[1, 1, 1, 1, 1, 1, 0], [1, 0, 1, 1, 1, 0, 0]])
m3 = torch.tensor([[[1, 1, 0], [1, 0, 1]], [[0, 1, 1], [1, 1, 1]]])
for dt_name, dt in (("float32", torch.float32), ("float16", torch.float16), ("bfloat16", torch.bfloat16)):
    tensors[f"mask.enc2d.{dt_name}"] = enc.get_extended_attention_mask(m2, m2.shape, dtype=dt).float()
    tensors[f"mask.dec2d.{dt_name}"] = dec.get_extended_attention_mask(m2, m2.shape, dtype=dt).float()
    # a mask longer than the input: the 2 first columns are a cached prefix
    tensors[f"mask.dec2d_past.{dt_name}"] = dec.get_extended_attention_mask(m2, (2, 5), dtype=dt).float()
    tensors[f"mask.enc3d.{dt_name}"] = enc.get_extended_attention_mask(m3, (2, 2), dtype=dt).float()
    tensors[f"mask.dec3d.{dt_name}"] = dec.get_extended_attention_mask(m3, (2, 2), dtype=dt).float()
tensors["mask.input2d"] = m2
tensors["mask.input3d"] = m3
tensors["mask.inverted2d"] = enc.invert_attention_mask(m2)
tensors["mask.inverted3d"] = enc.invert_attention_mask(m3)
half = BertModel.from_pretrained(os.path.join(FIX, "bert", "base"), torch_dtype=torch.float16).eval()
tensors["mask.inverted2d_fp16"] = half.invert_attention_mask(m2).float()
tensors["mask.default_dtype_fp16"] = half.get_extended_attention_mask(m2, m2.shape).float()

hm1 = torch.tensor(HEAD_MASK_1D)
hm2 = torch.tensor(HEAD_MASK)
tensors["head_mask.input1d"] = hm1
tensors["head_mask.input2d"] = hm2
tensors["head_mask.from1d"] = enc.get_head_mask(hm1, 2).contiguous()
tensors["head_mask.from2d"] = enc.get_head_mask(hm2, 2).contiguous()
tensors["head_mask.from2d_fp16"] = half.get_head_mask(hm2, 2).float().contiguous()
facts["head_mask"] = {"none": [x is None for x in enc.get_head_mask(None, 2)],
                      "from1d_dtype": str(enc.get_head_mask(hm1, 2).dtype),
                      "fp16_dtype": str(half.get_head_mask(hm2, 2).dtype)}
try:
    enc.get_head_mask(torch.ones(2, 2, 4), 2)
    facts["head_mask"]["rank3"] = "ok"
except AssertionError:
    facts["head_mask"]["rank3"] = "AssertionError"
try:
    enc.get_extended_attention_mask(torch.ones(2, 2, 2, 2), (2, 2))
    facts["mask_rank4"] = "ok"
except ValueError:
    facts["mask_rank4"] = "ValueError"

# ---- resize_token_embeddings with mean resizing (statistics; torch's RNG is not reproduced)
for arch in CLASSES:
    torch.manual_seed(0)
    m = load(arch)
    old = m.get_input_embeddings().weight.detach().clone()
    old_head = m.get_output_embeddings().weight.detach().clone()
    m.resize_token_embeddings(old.shape[0] + 5, mean_resizing=True)
    new = m.get_input_embeddings().weight.detach()
    rows = new[old.shape[0]:]
    mu = old.mean(0)
    cov = (old - mu).T @ (old - mu) / old.shape[0]
    f = facts[arch]
    f["resize_mean"] = {
        "new_rows": rows.shape[0],
        "old_mean_norm": mu.norm().item(),
        "new_rows_std_all": rows.std().item(),
        "max_abs_dev_from_mean": (rows - mu).abs().max().item(),
        "expected_dev_std": (1e-9 * torch.diagonal(cov)).sqrt().mean().item(),
        "config_vocab": m.config.vocab_size,
        "tied": m.get_output_embeddings().weight.data_ptr() == new.data_ptr(),
    }
    if not f["resize_mean"]["tied"]:
        head = m.get_output_embeddings().weight.detach()
        hm = old_head.mean(0)
        f["resize_mean"]["head_max_abs_dev_from_mean"] = (head[old.shape[0]:] - hm).abs().max().item()
    # pad_to_multiple_of alone, and None/None returning the embedding unchanged
    m2_ = load(arch)
    e = m2_.resize_token_embeddings(None, pad_to_multiple_of=16)
    f["resize_pad_only_rows"] = e.weight.shape[0]
    e = m2_.resize_token_embeddings()
    f["resize_none_rows"] = e.weight.shape[0]

# BERT MLM bias: the tied head's bias is zero-padded on growth and truncated on shrink
m = load("bert")
b_old = m.cls.predictions.bias.detach().clone()
m.resize_token_embeddings(b_old.shape[0] + 4, mean_resizing=False)
tensors["bert.bias_after_grow"] = m.cls.predictions.decoder.bias.detach().clone()
facts["bert"]["bias_is_decoder_bias"] = m.cls.predictions.bias.data_ptr() == m.cls.predictions.decoder.bias.data_ptr()
m.resize_token_embeddings(b_old.shape[0] - 10)
tensors["bert.bias_after_shrink"] = m.cls.predictions.decoder.bias.detach().clone()

save_file({k: v.contiguous().clone() for k, v in tensors.items()}, os.path.join(OUT, "goldens.safetensors"))
with open(os.path.join(OUT, "goldens.json"), "w") as fh:
    json.dump(facts, fh, indent=1, sort_keys=True)
print("wrote", len(tensors), "tensors to", OUT)
