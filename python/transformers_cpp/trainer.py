"""Trainer, TrainingArguments and DataCollatorForLanguageModeling with transformers 4.51's names over
the engine's training loop (training/trainer.hpp, what `transformers-cli train` runs): language
modeling on rows already tokenized (a list of dicts, or a datasets.Dataset, with input_ids and
optionally labels / attention_mask).

    args = TrainingArguments(output_dir="out", per_device_train_batch_size=2, max_steps=10)
    trainer = Trainer(model=model, args=args, train_dataset=rows,
                      data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False))
    trainer.train()          # TrainOutput(global_step, training_loss, metrics)
    trainer.state.log_history  # one dict per optimizer step: loss, grad_norm, learning_rate, epoch, step

What the loop does is the CLI's (docs/CLI.md `train`): Trainer's seeded sampler, gradient
accumulation, clipping, AdamW or SGD, get_scheduler's schedules, checkpoint-N folders every
save_steps. Logging is every step (logging_steps=1); there is no progress bar, no evaluation during
training (call evaluate()), and no other data collator."""
from __future__ import annotations

import dataclasses
import os
from typing import Any, Dict, Iterable, List, NamedTuple, Optional

import numpy as np

from . import _core


@dataclasses.dataclass
class TrainingArguments:
    """TrainingArguments' fields that the engine's loop reads, with 4.51's defaults."""

    output_dir: Optional[str] = None  # None: "trainer_output", as 4.51
    per_device_train_batch_size: int = 8
    per_device_eval_batch_size: int = 8
    gradient_accumulation_steps: int = 1
    learning_rate: float = 5e-5
    weight_decay: float = 0.0
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    max_grad_norm: float = 1.0
    num_train_epochs: float = 3.0
    max_steps: int = -1
    lr_scheduler_type: str = "linear"
    warmup_steps: int = 0
    optim: str = "adamw_torch"
    save_strategy: str = "steps"
    save_steps: int = 500
    seed: int = 42
    gradient_checkpointing: bool = False
    logging_steps: int = 500  # the engine logs every step; kept for scripts that pass it
    report_to: Any = None
    disable_tqdm: Optional[bool] = None

    def __post_init__(self) -> None:
        if self.output_dir is None:
            self.output_dir = "trainer_output"
        self.output_dir = os.fspath(self.output_dir)
        if self.optim not in ("adamw_torch", "sgd"):
            raise ValueError(f"optim: expected 'adamw_torch' or 'sgd' (the optimizers of this engine), found {self.optim!r}")
        if self.save_strategy not in ("steps", "no"):
            raise ValueError(f"save_strategy: expected 'steps' or 'no', found {self.save_strategy!r}")

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


class DataCollatorForLanguageModeling:
    """DataCollatorForLanguageModeling(tokenizer, mlm=True, mlm_probability=0.15): rows padded with the
    pad token; mlm=False: labels = input_ids with padding -100; mlm=True: 15 % of the non-special
    tokens selected (80 % mask token, 10 % random id, 10 % unchanged), drawn from the engine's seeded
    generator (not torch's stream)."""

    def __init__(self, tokenizer: Any, mlm: bool = True, mlm_probability: float = 0.15, **kwargs: Any) -> None:
        for k in ("pad_to_multiple_of", "return_tensors"):
            kwargs.pop(k, None)
        if kwargs:
            raise TypeError(f"DataCollatorForLanguageModeling: unsupported arguments {sorted(kwargs)}")
        if mlm and tokenizer.mask_token is None:
            raise ValueError("This tokenizer does not have a mask token which is necessary for masked language "
                             "modeling. You should pass `mlm=False` to train on causal language modeling instead.")
        self.tokenizer = tokenizer
        self.mlm = mlm
        self.mlm_probability = mlm_probability

    def _masking(self) -> Optional[Dict[str, Any]]:
        if not self.mlm:
            return None
        tok = self.tokenizer
        special = {getattr(tok, f"{n}_token_id") for n in ("bos", "eos", "unk", "sep", "pad", "cls", "mask")}
        special |= {tok.convert_tokens_to_ids(t) for t in (tok.additional_special_tokens or [])}
        return {"mask_token_id": tok.mask_token_id, "vocab_size": len(tok),
                "special_ids": sorted(i for i in special if i is not None), "mlm_probability": self.mlm_probability}


class TrainOutput(NamedTuple):
    global_step: int
    training_loss: float
    metrics: Dict[str, float]


@dataclasses.dataclass
class TrainerState:
    global_step: int = 0
    epoch: float = 0.0
    log_history: List[Dict[str, Any]] = dataclasses.field(default_factory=list)


def _rows(dataset: Iterable[Any]) -> List[Dict[str, Any]]:
    out = []
    for row in dataset:
        out.append({k: (np.asarray(v).reshape(-1).tolist() if hasattr(v, "__array__") or hasattr(v, "__dlpack__")
                        else v) for k, v in row.items() if k in ("input_ids", "labels", "attention_mask")})
    return out


def _is_causal(model: Any) -> bool:
    # Trainer.model_accepts_loss_kwargs: 4.51's causal LMs take **kwargs in forward, the other heads not
    name = model._m.class_name
    return name.endswith("ForCausalLM") or name.endswith("LMHeadModel")


class Trainer:
    """Trainer(model, args, data_collator=None, train_dataset=None, eval_dataset=None, processing_class=None)."""

    def __init__(self, model: Any = None, args: Optional[TrainingArguments] = None, data_collator: Any = None,
                 train_dataset: Any = None, eval_dataset: Any = None, processing_class: Any = None,
                 tokenizer: Any = None, **kwargs: Any) -> None:
        for k in ("compute_metrics", "callbacks", "optimizers", "model_init", "preprocess_logits_for_metrics"):
            if kwargs.pop(k, None) not in (None, (None, None)):
                raise NotImplementedError(f"Trainer: {k} is not supported by this engine")
        if kwargs:
            raise TypeError(f"Trainer.__init__() got unexpected keyword arguments {sorted(kwargs)}")
        if model is None:
            raise RuntimeError("`Trainer` requires either a `model` or `model_init` argument")
        if data_collator is not None and not isinstance(data_collator, DataCollatorForLanguageModeling):
            raise NotImplementedError("Trainer: data_collator must be None or DataCollatorForLanguageModeling "
                                      f"(found {type(data_collator).__name__})")
        self.model = model
        self.args = args if args is not None else TrainingArguments()
        self.data_collator = data_collator
        self.train_dataset = train_dataset
        self.eval_dataset = eval_dataset
        self.processing_class = processing_class if processing_class is not None else tokenizer
        self.state = TrainerState()

    def _mlm(self) -> Optional[Dict[str, Any]]:
        return self.data_collator._masking() if self.data_collator is not None else None

    def train(self, resume_from_checkpoint: Optional[str] = None, **kwargs: Any) -> TrainOutput:
        if self.train_dataset is None:
            raise ValueError("Trainer: training requires a train_dataset.")
        a = self.args
        spec = a.to_dict()
        spec.update(save_steps=a.save_steps if a.save_strategy == "steps" else 0, shuffle=True,
                    resume_from_checkpoint=os.fspath(resume_from_checkpoint) if resume_from_checkpoint else None,
                    model_accepts_loss_kwargs=_is_causal(self.model))
        step, loss, history = _core.train(self.model._m, _rows(self.train_dataset), spec, self._mlm())
        self.state.global_step = int(step)
        self.state.log_history.extend(history)
        if history:
            self.state.epoch = history[-1]["epoch"]
        metrics = {"train_loss": loss, "epoch": self.state.epoch}
        self.state.log_history.append({"train_loss": loss, "epoch": self.state.epoch, "step": self.state.global_step})
        return TrainOutput(self.state.global_step, loss, metrics)

    def evaluate(self, eval_dataset: Any = None, **kwargs: Any) -> Dict[str, float]:
        data = eval_dataset if eval_dataset is not None else self.eval_dataset
        if data is None:
            raise ValueError("Trainer: evaluation requires an eval_dataset.")
        loss = _core.evaluate(self.model._m, _rows(data), self.args.per_device_eval_batch_size, self._mlm())
        metrics = {"eval_loss": loss, "epoch": self.state.epoch}
        self.state.log_history.append({**metrics, "step": self.state.global_step})
        return metrics

    def save_model(self, output_dir: Optional[str] = None) -> None:
        folder = os.fspath(output_dir) if output_dir is not None else self.args.output_dir
        self.model.save_pretrained(folder)
        if self.processing_class is not None and hasattr(self.processing_class, "save_pretrained"):
            self.processing_class.save_pretrained(folder)
