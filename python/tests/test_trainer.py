"""Trainer(...).train() over the engine's training loop gives the losses, learning rates and gradient
norms that `transformers-cli train` prints for the same rows and arguments (the same C++ loop, so
equal to the last bit), and the trained weights equal the CLI's saved ones."""
import json
import os
import subprocess

import numpy as np
import pytest

import transformers_cpp as tc
from conftest import MODELS, REPO, load_safetensors

CLI = os.environ.get("TRANSFORMERS_CLI", str(REPO / "build" / "transformers-cli"))
GPT2 = MODELS / "gpt2" / "model"
# rows of different lengths: padded with config.pad_token_id (0), labels -100 there
ROWS = [{"input_ids": [int(x) for x in np.random.default_rng(i).integers(1, 99, size=5 + i % 4)]} for i in range(6)]


def test_trainer_losses_equal_cli_train(tmp_path):
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    cli_out = tmp_path / "cli"
    run = subprocess.run([CLI, "train", "--model", str(GPT2), "--train", str(data), "--output", str(cli_out),
                          "--max-steps", "4", "--batch-size", "2", "--grad-accum", "2", "--lr", "1e-3",
                          "--warmup-steps", "1", "--weight-decay", "0.01", "--save-steps", "0", "--seed", "7",
                          "--threads", "1"], capture_output=True, text=True, check=True)
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    steps = [line for line in lines if "step" in line]
    assert len(steps) == 4

    model = tc.AutoModelForCausalLM.from_pretrained(GPT2)
    args = tc.TrainingArguments(output_dir=str(tmp_path / "py"), per_device_train_batch_size=2,
                                gradient_accumulation_steps=2, learning_rate=1e-3, warmup_steps=1, weight_decay=0.01,
                                max_steps=4, save_strategy="no", seed=7)
    trainer = tc.Trainer(model=model, args=args, train_dataset=ROWS,
                         data_collator=tc.DataCollatorForLanguageModeling(tokenizer=None, mlm=False))
    out = trainer.train()
    logs = [h for h in trainer.state.log_history if "loss" in h]
    assert out.global_step == 4 and len(logs) == 4
    for got, want in zip(logs, steps):
        assert got["step"] == want["step"]
        assert got["loss"] == want["loss"]
        assert got["learning_rate"] == want["lr"]
        assert got["grad_norm"] == want["grad_norm"]
        assert got["epoch"] == want["epoch"]
    assert out.training_loss == lines[-1]["train_loss"]
    trainer.save_model()
    got_w, _ = load_safetensors(tmp_path / "py" / "model.safetensors")
    want_w, _ = load_safetensors(cli_out / "model.safetensors")
    assert sorted(got_w) == sorted(want_w)
    for k in want_w:
        np.testing.assert_array_equal(got_w[k], want_w[k], err_msg=k)


def test_trainer_argument_errors():
    model = tc.AutoModelForCausalLM.from_pretrained(GPT2)
    with pytest.raises(ValueError, match="optim"):
        tc.TrainingArguments(optim="adafactor")
    with pytest.raises(NotImplementedError, match="data_collator"):
        tc.Trainer(model=model, data_collator=lambda rows: rows)
    with pytest.raises(ValueError, match=r"train_dataset\[1\]: expected an \"input_ids\" column"):
        tc.Trainer(model=model, args=tc.TrainingArguments(max_steps=1, save_strategy="no"),
                   train_dataset=[ROWS[0], {"text": "no ids"}]).train()
