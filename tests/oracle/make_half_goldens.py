#!/usr/bin/env python3
"""Oracle for the half-precision and rope-scaling parity tests (issue 18): Hugging Face
transformers 4.51.3's own float16 / bfloat16 outputs on the shared fixture models, so the C++ tests
compare with HF's half-precision run directly (not only with a bound on HF's error vs float32), and
greedy generation on the rope-scaled Llama cases of tests/data/models/cases/.

    /work/venv/bin/python tests/oracle/make_half_goldens.py [--fixtures ../shared/fixtures] [--out tests/data/models]

Writes half_goldens.safetensors (tensors) and half_goldens.json (facts), keys:
  <arch>/<fp16|bf16>/<eager|sdpa>/logits   the fp16/bf16 fixture folder loaded with
                                           torch_dtype="auto", forward on expected.safetensors'
                                           inputs; logits in that dtype
  <arch>/<fp16|bf16>/gen_greedy            generate(gen_prompt, max_new_tokens=10, pad_token_id=0),
                                           eager attention, gpt2 and llama (same call as the
                                           float32 gen_greedy of the fixtures)
  rope/<case>/gen_greedy, rope/<case>/prompt   greedy generation on the rope-scaled Llama cases
                                           (float32, eager; min_new_tokens = max_new_tokens), running
                                           past original_max_position_embeddings
half_goldens.json: per key above ending in /logits, HF's max |eager - sdpa| in that dtype
("spread") and max |logits - float32 logits| ("err_vs_f32").
"""
import argparse
import json
import os

import torch
import transformers
from safetensors.torch import load_file, save_file

assert transformers.__version__ == "4.51.3", transformers.__version__
torch.set_grad_enabled(False)

ARCHS = [("bert", transformers.BertForMaskedLM), ("gpt2", transformers.GPT2LMHeadModel),
         ("llama", transformers.LlamaForCausalLM)]
ROPE_CASES = ["llama_rope_linear", "llama_rope_dynamic", "llama_rope_yarn", "llama_rope_llama3",
              "llama_rope_longrope"]


def fixture_half(root, tensors, facts):
    for arch, cls in ARCHS:
        e = load_file(os.path.join(root, arch, "expected.safetensors"))
        inputs = {"input_ids": e["input_ids"], "attention_mask": e["attention_mask"]}
        if arch == "bert":
            inputs["token_type_ids"] = e["token_type_ids"]
        for dt in ["fp16", "bf16"]:
            per_attn = {}
            for attn in ["eager", "sdpa"]:
                m = cls.from_pretrained(os.path.join(root, arch, dt), torch_dtype="auto",
                                        attn_implementation=attn).eval()
                logits = m(**inputs).logits
                per_attn[attn] = logits
                tensors[f"{arch}/{dt}/{attn}/logits"] = logits.contiguous()
                facts[f"{arch}/{dt}/{attn}/logits"] = {
                    "dtype": str(logits.dtype),
                    "err_vs_f32": (logits.float() - e["logits"]).abs().max().item()}
                if arch != "bert" and attn == "eager":
                    out = m.generate(e["gen_prompt"].long(), max_new_tokens=10, do_sample=False, pad_token_id=0)
                    tensors[f"{arch}/{dt}/gen_greedy"] = out.contiguous()
            spread = (per_attn["eager"].float() - per_attn["sdpa"].float()).abs().max().item()
            for attn in ["eager", "sdpa"]:
                facts[f"{arch}/{dt}/{attn}/logits"]["spread"] = spread


def rope_generation(cases_dir, tensors, facts):
    for name in ROPE_CASES:
        d = os.path.join(cases_dir, name)
        m = transformers.LlamaForCausalLM.from_pretrained(d, attn_implementation="eager").eval()
        cfg = m.config
        prompt = torch.tensor([[5, 17, 3, 9, 22, 11]], dtype=torch.long) % cfg.vocab_size
        # past the original context so the scaled frequencies (and dynamic's recomputation) matter
        orig = (cfg.rope_scaling or {}).get("original_max_position_embeddings") or \
            getattr(cfg, "original_max_position_embeddings", None) or cfg.max_position_embeddings
        new = max(4, min(int(orig) + 4 - prompt.shape[1], cfg.max_position_embeddings - prompt.shape[1]))
        if (cfg.rope_scaling or {}).get("rope_type") == "dynamic":
            # dynamic scaling only starts past max_position_embeddings: run well beyond it
            new = 4 * cfg.max_position_embeddings - prompt.shape[1]
        # min_new_tokens = max_new_tokens: an eos cannot end the run before the scaled positions
        out = m.generate(prompt, max_new_tokens=new, min_new_tokens=new, do_sample=False, pad_token_id=0)
        tensors[f"rope/{name}/prompt"] = prompt
        tensors[f"rope/{name}/gen_greedy"] = out.contiguous()
        facts[f"rope/{name}"] = {"max_new_tokens": new, "original_max_position_embeddings": int(orig),
                                 "max_position_embeddings": cfg.max_position_embeddings}


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--fixtures", default=os.path.join(here, "..", "..", "..", "shared", "fixtures"))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "models"))
    a = ap.parse_args()
    tensors, facts = {}, {"transformers": transformers.__version__, "torch": torch.__version__}
    fixture_half(os.path.join(a.fixtures, "hf", "models"), tensors, facts)
    rope_generation(os.path.join(a.out, "cases"), tensors, facts)
    save_file(tensors, os.path.join(a.out, "half_goldens.safetensors"))
    with open(os.path.join(a.out, "half_goldens.json"), "w") as f:
        json.dump(facts, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
