#!/usr/bin/env python3
"""Oracle for tests/training/test_cls_loss.cpp: the classification losses of transformers 4.51 from
`labels` (problem_type regression / single_label / multi_label inferred from num_labels and the
labels' dtype, and token classification) and every parameter's gradient, on the shared BERT and
Llama fixtures.

    /work/venv/bin/python tests/oracle/make_cls_cases.py [--fixtures ../shared/fixtures] [--out tests/data/training]

Writes cls_grads.safetensors with, per case <c>:
  <c>.labels, <c>.loss, <c>.grad.<name> (every named parameter),
  <c>.init.<name>  the weights from_pretrained initialised afresh (the head: missing from the
                   checkpoint), for the C++ side to load so both start from the same model,
and the BERT / Llama batches (bert.input_ids, bert.attention_mask, bert.token_type_ids, llama.*).
cls_cases.json: per case the class, num_labels and the problem_type the model set on its config.
"""
import json
import os

import torch
import transformers
from safetensors.torch import load_file, save_file

from training_oracle import arguments

CASES = [
    # name, arch, class, num_labels, labels
    ("bert_single", "bert", "BertForSequenceClassification", 3, torch.tensor([2, 0])),
    ("bert_regression", "bert", "BertForSequenceClassification", 1, torch.tensor([0.5, -1.25])),
    ("bert_multi", "bert", "BertForSequenceClassification", 3, torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])),
    ("bert_token", "bert", "BertForTokenClassification", 4, None),
    ("llama_single", "llama", "LlamaForSequenceClassification", 3, torch.tensor([1, 2])),
]


def main():
    a = arguments()
    out, meta = {}, {}
    batches = {}
    for arch in ("bert", "llama"):
        e = load_file(os.path.join(a.fixtures, f"hf/models/{arch}/expected.safetensors"))
        b = {"input_ids": e["input_ids"].long().clone(), "attention_mask": e["attention_mask"].long()}
        if arch == "bert":
            b["token_type_ids"] = e["token_type_ids"].long()
        b["input_ids"][b["attention_mask"] == 0] = 0  # pad id 0 (Llama's pooling finds the last non-pad)
        batches[arch] = b
        for k, v in b.items():
            out[f"{arch}.{k}"] = v
    torch.manual_seed(0)
    for name, arch, cls, num_labels, labels in CASES:
        b = batches[arch]
        if labels is None:  # token labels: a class per token, -100 on padding
            labels = torch.randint(0, num_labels, b["input_ids"].shape)
            labels[b["attention_mask"] == 0] = -100
        model, info = getattr(transformers, cls).from_pretrained(
            os.path.join(a.fixtures, f"hf/models/{arch}/model"), num_labels=num_labels, output_loading_info=True)
        model.train()
        res = model(**b, labels=labels)
        res.loss.backward()
        out[f"{name}.labels"] = labels
        out[f"{name}.loss"] = res.loss.detach().reshape(1)
        params = dict(model.named_parameters())
        for n, p in params.items():
            out[f"{name}.grad.{n}"] = p.grad.detach().contiguous()
        for n in info["missing_keys"]:
            out[f"{name}.init.{n}"] = params[n].detach().contiguous()
        meta[name] = {"class": cls, "arch": arch, "num_labels": num_labels, "problem_type": model.config.problem_type,
                      "parameters": len(params), "initialised": sorted(info["missing_keys"])}
        print(name, res.loss.item(), model.config.problem_type, sorted(info["missing_keys"]))
    save_file(out, os.path.join(a.out, "cls_grads.safetensors"))
    with open(os.path.join(a.out, "cls_cases.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
