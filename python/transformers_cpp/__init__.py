"""transformers_cpp: transformers 4.51's Python API (AutoModel*, AutoTokenizer, generate, ...) over
the transformers.cpp engine. Arrays are NumPy (views of the engine's memory); torch is never needed.

    from transformers_cpp import AutoModelForCausalLM, AutoTokenizer

The package is not called `transformers` so that it can be installed beside Hugging Face's package
(and compared with it) without one shadowing the other; swapping the import line is the only change
a transformers script needs.

Model classes by name are attributes too: transformers_cpp.GPT2LMHeadModel.from_pretrained(path).
"""
from __future__ import annotations

from typing import Any

from . import _core
from ._core import DynamicCache, TemplateError
from .configuration import AutoConfig, PretrainedConfig
from .generation import BaseStreamer, GenerateDecoderOnlyOutput, TextStreamer
from .modeling import (
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMaskedLM,
    AutoModelForMultipleChoice,
    AutoModelForNextSentencePrediction,
    AutoModelForPreTraining,
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    PreTrainedModel,
    model_class,
)
from .outputs import *  # noqa: F401,F403  (CausalLMOutputWithPast, MaskedLMOutput, ...: 4.51's names)
from .outputs import __all__ as _output_names
from .tokenization import AutoTokenizer, BatchEncoding, PreTrainedTokenizerFast
from .trainer import DataCollatorForLanguageModeling, Trainer, TrainingArguments, TrainOutput

__version__ = "0.1.0"


def set_seed(seed: int) -> None:
    """Seeds the engine's default generator (sampling, newly initialised weights)."""
    _core.set_seed(int(seed))


def __getattr__(name: str) -> Any:
    # GPT2LMHeadModel, BertForMaskedLM, LlamaForSequenceClassification, ... as the engine registers them
    cls = model_class(name)
    if cls is None:
        raise AttributeError(f"module 'transformers_cpp' has no attribute '{name}'")
    return cls


__all__ = [
    "AutoConfig", "AutoModel", "AutoModelForCausalLM", "AutoModelForMaskedLM", "AutoModelForMultipleChoice",
    "AutoModelForNextSentencePrediction", "AutoModelForPreTraining", "AutoModelForQuestionAnswering",
    "AutoModelForSequenceClassification", "AutoModelForTokenClassification", "AutoTokenizer", "BaseStreamer",
    "BatchEncoding", "DynamicCache", "GenerateDecoderOnlyOutput", "PretrainedConfig", "PreTrainedModel",
    "PreTrainedTokenizerFast", "TemplateError", "TextStreamer", "set_seed", "DataCollatorForLanguageModeling",
    "Trainer", "TrainingArguments", "TrainOutput",
] + [n for n in _output_names if n != "output_class"]
