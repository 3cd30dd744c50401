"""Golden sentence embeddings for `transformers-cli embed` (default model all-MiniLM-L6-v2).

Runs Hugging Face transformers on the model folder unpacked by scripts/fetch_default_model and
applies sentence-transformers' recipe for this model (modules.json: Transformer with
max_seq_length 256, mean pooling over the attention mask, L2 normalisation), then writes the
embeddings and their cosine-similarity matrix to tests/data/cli/embed_expected.json.

usage: /work/venv/bin/python tests/oracle/make_embed_expected.py MODEL_DIR
"""
import json
import os
import sys

import torch
import transformers
from transformers import AutoModel, AutoTokenizer

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The new movie is awesome!",
    "Das Wetter ist heute schön. ☀️",
]


def main():
    model_dir = sys.argv[1]
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, torch_dtype=torch.float32, attn_implementation="eager").eval()
    batch = tok(SENTENCES, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        out = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(out.dtype)
    pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    emb = torch.nn.functional.normalize(pooled, p=2, dim=1)
    sim = emb @ emb.T
    here = os.path.dirname(os.path.abspath(__file__))
    dest = os.path.join(here, "..", "data", "cli", "embed_expected.json")
    with open(dest, "w") as f:
        json.dump({
            "generator": f"transformers {transformers.__version__}, torch {torch.__version__}",
            "sentences": SENTENCES,
            "input_ids": batch["input_ids"].tolist(),
            "embeddings": emb.tolist(),
            "similarity": sim.tolist(),
        }, f)
    print("wrote", dest)


if __name__ == "__main__":
    main()
