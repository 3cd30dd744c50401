"""Goldens from transformers 4.51.3 for the CLI tests where the shared fixtures (made with 5.x)
differ from 4.51's behaviour, which this project follows:

- get_memory_footprint(): 4.51's GPT-2 attention registers the non-persistent buffers `bias` and
  `masked_bias`, 5.x does not, so the footprint with buffers differs.
- head_mask: 5.x ignores it; 4.51 multiplies the attention probabilities by it.

usage: /work/venv/bin/python tests/oracle/make_cli_goldens.py
"""
import json
import os

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM, AutoModelForMaskedLM

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "hf", "models")
OUT = os.path.join(HERE, "..", "data", "cli")


def main():
    assert transformers.__version__ == "4.51.3", transformers.__version__
    facts, tensors = {}, {}
    for arch, cls in [("bert", AutoModelForMaskedLM), ("gpt2", AutoModelForCausalLM), ("llama", AutoModelForCausalLM)]:
        m = cls.from_pretrained(os.path.join(MODELS, arch, "model"), attn_implementation="eager").eval()
        facts[arch] = {
            "num_parameters": m.num_parameters(),
            "num_parameters_trainable": m.num_parameters(only_trainable=True),
            "num_parameters_no_embeddings": m.num_parameters(exclude_embeddings=True),
            "memory_footprint": m.get_memory_footprint(),
            "memory_footprint_no_buffers": m.get_memory_footprint(return_buffers=False),
        }
        e = load_file(os.path.join(MODELS, arch, "expected.safetensors"))
        if "head_mask" in e:
            kw = dict(input_ids=e["input_ids"], attention_mask=e["attention_mask"], head_mask=e["head_mask"])
            if "token_type_ids" in e:
                kw["token_type_ids"] = e["token_type_ids"]
            with torch.no_grad():
                tensors[f"{arch}_head_mask_logits"] = m(**kw).logits.contiguous()
    facts["generator"] = f"transformers {transformers.__version__}, torch {torch.__version__}"
    with open(os.path.join(OUT, "facts_451.json"), "w") as f:
        json.dump(facts, f, indent=1, sort_keys=True)
    save_file(tensors, os.path.join(OUT, "head_mask_logits_451.safetensors"))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
