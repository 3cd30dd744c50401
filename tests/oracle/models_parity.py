#!/usr/bin/env python3
"""Oracle for the model parity tests (tests/models/): runs Hugging Face transformers 4.51 (the
semantics this project follows) and writes the small files the C++ tests read.

    /work/venv/bin/python tests/oracle/models_parity.py [--fixtures ../shared/fixtures] [--out tests/data/models]
        [--seq-scale N]   # longer sequences / bigger batches for a wider (uncommitted) run

Writes:
  hf451/<arch>.safetensors   outputs 4.51 gives on the shared fixture models where 5.x (which made
                             the fixtures) differs or has none: head_mask logits, the 3-label
                             classifier, token classification
  dtype_error.json           how far HF's own float16 / bfloat16 run (torch_dtype="auto") is from
                             its float32 logits, per architecture and attention implementation
  cases/<name>/              config.json + model.safetensors + expected.safetensors for tiny random
                             models covering options the fixtures do not (rope types, GQA, biases,
                             decoder BERT, GPT-2 scaling flags, padding patterns, batch sizes,
                             explicit position_ids, a cached decode step)
"""
import argparse
import json
import math
import os
import shutil

import torch
import transformers
from safetensors.torch import load_file, save_file

assert transformers.__version__.startswith("4.51"), transformers.__version__
torch.set_grad_enabled(False)


def redraw(model, seed):
    """Weights with std 0.25 and norm weights 1 +- 0.2, like the shared fixtures, so mistakes show."""
    g = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():
        if p.dim() == 1 and ("norm" in name.lower() or name.endswith("ln_1.weight") or name.endswith("ln_2.weight")
                             or name.endswith("ln_f.weight")):
            if name.endswith("weight"):
                p.copy_(1 + 0.2 * (2 * torch.rand(p.shape, generator=g) - 1))
                continue
        p.copy_(0.25 * torch.randn(p.shape, generator=g))


def stacked(xs):
    return torch.stack(list(xs)).contiguous()


def run(model, inputs, **kw):
    return model(**inputs, **kw)


def masks(kind, batch, seq):
    m = torch.ones(batch, seq, dtype=torch.long)
    if kind == "right":
        for b in range(1, batch):
            m[b, seq - b:] = 0
    elif kind == "left":
        for b in range(1, batch):
            m[b, :b] = 0
    elif kind == "middle":
        if batch > 1:
            m[1, seq // 2] = 0
            m[1, seq // 2 + 1] = 0
    return m


def make_case(out_dir, name, cls, config, seed, batch, seq, mask_kind, with_positions=False,
              token_types=False, decode_step=False, pad_ids=False):
    torch.manual_seed(seed)
    model = cls._from_config(cls.config_class(**config), attn_implementation="eager").eval()
    redraw(model, seed)
    model.tie_weights()
    sdpa = cls._from_config(cls.config_class(**config), attn_implementation="sdpa").eval()
    sdpa.load_state_dict(model.state_dict())
    sdpa.tie_weights()

    g = torch.Generator().manual_seed(seed + 1)
    vocab = config["vocab_size"]
    ids = torch.randint(3, vocab, (batch, seq), generator=g)
    mask = masks(mask_kind, batch, seq)
    if pad_ids:  # padded positions hold pad_token_id (what sequence classification pools by)
        ids = ids.masked_fill(mask == 0, config["pad_token_id"])
    inputs = {"input_ids": ids, "attention_mask": mask}
    exp = {"input_ids": ids, "attention_mask": mask}
    if with_positions:
        pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
        inputs["position_ids"] = pos
        exp["position_ids"] = pos
    if token_types:
        tt = torch.randint(0, config.get("type_vocab_size", 2), (batch, seq), generator=g)
        inputs["token_type_ids"] = tt
        exp["token_type_ids"] = tt

    o = run(model, inputs, output_hidden_states=True, output_attentions=True)
    key = "logits" if hasattr(o, "logits") else "last_hidden_state"
    exp["logits"] = getattr(o, key)
    exp["hidden_states"] = stacked(o.hidden_states)
    exp["attentions"] = stacked(o.attentions)
    exp["logits_sdpa"] = getattr(run(sdpa, inputs), key)
    if decode_step:
        # Prefill all but the last token with a cache, then feed the last token alone.
        pre = {k: v[:, :-1] for k, v in inputs.items()}
        po = run(model, pre, use_cache=True)
        step = {"input_ids": ids[:, -1:], "attention_mask": mask}
        if with_positions:
            step["position_ids"] = inputs["position_ids"][:, -1:]
        so = run(model, step, past_key_values=po.past_key_values, use_cache=True)
        exp["step_logits"] = getattr(so, key)
        po = run(sdpa, pre, use_cache=True)
        so = run(sdpa, step, past_key_values=po.past_key_values, use_cache=True)
        exp["step_logits_sdpa"] = getattr(so, key)

    d = os.path.join(out_dir, "cases", name)
    shutil.rmtree(d, ignore_errors=True)
    model.save_pretrained(d)
    for f in os.listdir(d):
        if f == "generation_config.json":
            os.remove(os.path.join(d, f))
    meta = {"class": cls.__name__, "output": key, "decode_step": decode_step}
    save_file({k: v.contiguous() for k, v in exp.items()}, os.path.join(d, "expected.safetensors"),
              metadata={k: json.dumps(v) for k, v in meta.items()})


def tiny(**kw):
    base = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=4, intermediate_size=24,
                max_position_embeddings=64)
    base.update(kw)
    return base


def gpt2_tiny(**kw):
    base = dict(vocab_size=50, n_embd=16, n_layer=2, n_head=4, n_positions=64, bos_token_id=1, eos_token_id=2)
    base.update(kw)
    return base


def cases(out, scale):
    B, S = 3 * scale, 9 * scale
    T = transformers
    make_case(out, "bert_decoder_gelu_new", T.BertForMaskedLM,
              tiny(is_decoder=True, hidden_act="gelu_new"), 11, B, S, "right", token_types=True)
    make_case(out, "bert_middle_pad_relu", T.BertForMaskedLM, tiny(hidden_act="relu"), 12, B, S, "middle",
              token_types=True)
    make_case(out, "bert_token_cls", T.BertForTokenClassification, tiny(num_labels=5, hidden_act="silu"), 13, 2,
              S, "right")
    make_case(out, "bert_seq_cls", T.BertForSequenceClassification, tiny(num_labels=3), 14, B, S, "right")
    make_case(out, "gpt2_left_pad_positions", T.GPT2LMHeadModel, gpt2_tiny(), 21, B, S, "left",
              with_positions=True, decode_step=True)
    make_case(out, "gpt2_scale_flags_relu", T.GPT2LMHeadModel,
              gpt2_tiny(scale_attn_by_inverse_layer_idx=True, reorder_and_upcast_attn=True,
                        activation_function="relu", n_inner=None), 22, B, 2 * S, "right", decode_step=True)
    make_case(out, "gpt2_unscaled_middle", T.GPT2LMHeadModel, gpt2_tiny(scale_attn_weights=False,
              activation_function="gelu"), 23, 2, S, "middle")
    make_case(out, "gpt2_base_model", T.GPT2Model, gpt2_tiny(), 24, 2, S, "right")
    llama = dict(num_key_value_heads=2, rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2, pad_token_id=0)
    make_case(out, "llama_left_pad_positions", T.LlamaForCausalLM, tiny(**llama), 31, B, S, "left",
              with_positions=True, decode_step=True)
    make_case(out, "llama_mqa_bias_tied_headdim", T.LlamaForCausalLM,
              tiny(**{**llama, "num_key_value_heads": 1}, attention_bias=True, mlp_bias=True,
                   tie_word_embeddings=True, head_dim=6), 32, B, S, "right", decode_step=True)
    make_case(out, "llama_rope_linear", T.LlamaForCausalLM,
              tiny(**llama, rope_scaling={"type": "linear", "factor": 2.0}, rope_theta=500.0), 33, 2, S, "middle")
    make_case(out, "llama_rope_dynamic", T.LlamaForCausalLM,
              tiny(**{**llama, "max_position_embeddings": 8}, rope_scaling={"rope_type": "dynamic", "factor": 2.0}),
              34, 2, 2 * S, "right")
    make_case(out, "llama_rope_llama3", T.LlamaForCausalLM,
              tiny(**llama, rope_theta=50.0, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                   "high_freq_factor": 4.0, "original_max_position_embeddings": 16}), 35, 2, S, "right")
    make_case(out, "llama_rope_yarn", T.LlamaForCausalLM,
              tiny(**llama, rope_theta=100.0, rope_scaling={"rope_type": "yarn", "factor": 4.0,
                   "original_max_position_embeddings": 16}), 36, 2, S, "right")
    make_case(out, "llama_rope_longrope", T.LlamaForCausalLM,
              tiny(**{**llama, "max_position_embeddings": 32}, original_max_position_embeddings=8,
                   rope_scaling={"rope_type": "longrope", "long_factor": [1.0, 1.5], "short_factor": [1.0, 1.1]},
                   head_dim=4), 37, 2, 2 * S, "right")
    make_case(out, "llama_base_model", T.LlamaModel, tiny(**llama), 38, 2, S, "right")


def fixture_extras(fixtures, out):
    """4.51 outputs on the shared fixture models where the 5.x-made fixtures have none."""
    root = os.path.join(fixtures, "hf", "models")
    os.makedirs(os.path.join(out, "hf451"), exist_ok=True)
    for arch, cls in [("bert", transformers.BertForMaskedLM), ("gpt2", transformers.GPT2LMHeadModel),
                      ("llama", transformers.LlamaForCausalLM)]:
        e = load_file(os.path.join(root, arch, "expected.safetensors"))
        inputs = {"input_ids": e["input_ids"], "attention_mask": e["attention_mask"]}
        if arch == "bert":
            inputs["token_type_ids"] = e["token_type_ids"]
        res = {}
        m = cls.from_pretrained(os.path.join(root, arch, "model"), attn_implementation="eager").eval()
        head_mask = torch.tensor([[0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 1.0]])
        if arch != "llama":  # Llama has no head_mask argument
            res["head_mask"] = head_mask
            res["head_mask_logits"] = m(**inputs, head_mask=head_mask).logits
        res["logits_451"] = m(**inputs).logits
        if arch == "bert":
            c = transformers.BertForSequenceClassification.from_pretrained(os.path.join(root, "bert", "cls3")).eval()
            res["cls3_logits"] = c(**inputs).logits
        save_file({k: v.contiguous() for k, v in res.items()}, os.path.join(out, "hf451", arch + ".safetensors"))


def dtype_errors(fixtures, out):
    """max |HF logits in float16/bfloat16 - HF float32 logits| for the fixture models."""
    root = os.path.join(fixtures, "hf", "models")
    result = {"transformers": transformers.__version__, "torch": torch.__version__,
              "what": "max abs difference between HF's logits with the fp16/bf16 folder loaded with "
                      "torch_dtype='auto' and HF's float32 logits (expected.safetensors 'logits'), CPU"}
    for arch, cls in [("bert", transformers.BertForMaskedLM), ("gpt2", transformers.GPT2LMHeadModel),
                      ("llama", transformers.LlamaForCausalLM)]:
        e = load_file(os.path.join(root, arch, "expected.safetensors"))
        inputs = {"input_ids": e["input_ids"], "attention_mask": e["attention_mask"]}
        if arch == "bert":
            inputs["token_type_ids"] = e["token_type_ids"]
        for dt in ["fp16", "bf16"]:
            for attn in ["eager", "sdpa"]:
                m = cls.from_pretrained(os.path.join(root, arch, dt), torch_dtype="auto",
                                        attn_implementation=attn).eval()
                logits = m(**inputs).logits
                err = (logits.float() - e["logits"]).abs().max().item()
                result[f"{arch}/{dt}/{attn}"] = {"max_abs_err": err, "dtype": str(logits.dtype)}
    with open(os.path.join(out, "dtype_error.json"), "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--fixtures", default=os.path.join(here, "..", "..", "..", "shared", "fixtures"))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "models"))
    ap.add_argument("--seq-scale", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    fixture_extras(a.fixtures, a.out)
    dtype_errors(a.fixtures, a.out)
    cases(a.out, a.seq_scale)


if __name__ == "__main__":
    main()
