"""The order in which 4.51 Trainer's train dataloader (accelerate's SeedableRandomSampler over
RandomSampler: torch.randperm(n) from a generator seeded with args.seed + epoch) yields the rows
of a dataset, for tests/training/test_sampler.cpp. Writes sampler_order.json:
{"cases": [{"seed", "rows", "batch_size", "epochs": [[row indices in the order trained], ...]}]}."""
import json
import os
import tempfile

from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

from training_oracle import arguments

a = arguments()
model = AutoModelForCausalLM.from_pretrained(os.path.join(a.fixtures, "hf/models/gpt2/model"))
cases = []
for seed, rows, batch in ((42, 8, 2), (7, 10, 4), (3, 1000, 8)):
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(output_dir=out, per_device_train_batch_size=batch, seed=seed, report_to=[], use_cpu=True,
                                 remove_unused_columns=False)
        trainer = Trainer(model=model, args=args, train_dataset=[{"index": i} for i in range(rows)],
                          data_collator=lambda f: {"index": [x["index"] for x in f]})
        dl = trainer.get_train_dataloader()
        epochs = []
        for epoch in range(3):
            if hasattr(dl, "set_epoch"):
                dl.set_epoch(epoch)  # as _inner_training_loop does at each epoch's start
            epochs.append([i for b in dl for i in b["index"]])
    cases.append({"seed": seed, "rows": rows, "batch_size": batch, "epochs": epochs})
with open(os.path.join(a.out, "sampler_order.json"), "w") as f:
    json.dump({"cases": cases}, f)
    f.write("\n")
print([c["epochs"][0][:8] for c in cases])
