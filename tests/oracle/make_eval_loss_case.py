"""eval_loss of 4.51 Trainer.evaluate() for tests/training/test_train_data.cpp: the GPT-2 fixture on
the 8 rows of tests/data/training/train_rows.jsonl in batches of 3 (3 + 3 + 2 rows, so the
per-row weighting of evaluation_loop shows), labels = input_ids with pad-token positions -100 as
DataCollatorForLanguageModeling(mlm=False) makes them. Writes eval_loss.json."""
import json
import os
import tempfile

import torch
from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

from training_oracle import arguments

a = arguments()
model = AutoModelForCausalLM.from_pretrained(os.path.join(a.fixtures, "hf/models/gpt2/model"))
rows_file = os.path.join(os.path.dirname(__file__), "../data/training/train_rows.jsonl")
rows = [json.loads(line)["input_ids"] for line in open(rows_file)]
pad = model.config.pad_token_id


def collate(features):
    ids = torch.tensor([f["input_ids"] for f in features])  # the rows are of one length: no padding
    labels = ids.clone()
    labels[labels == pad] = -100
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}


with tempfile.TemporaryDirectory() as out:
    args = TrainingArguments(output_dir=out, per_device_eval_batch_size=3, report_to=[], use_cpu=True)
    trainer = Trainer(model=model, args=args, data_collator=collate)
    metrics = trainer.evaluate(eval_dataset=[{"input_ids": r} for r in rows])

result = {"rows": "train_rows.jsonl", "per_device_eval_batch_size": 3, "eval_loss": metrics["eval_loss"]}
with open(os.path.join(a.out, "eval_loss.json"), "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")
print(result)
