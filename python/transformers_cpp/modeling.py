"""Models with transformers 4.51's API: the Auto classes, classes by name (GPT2LMHeadModel, ...),
model(**inputs) returning ModelOutput objects of NumPy arrays (views of the engine's memory),
generate, save_pretrained, push_to_hub, resize_token_embeddings, prune_heads and the counts."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from . import _core
from ._utils import as_ids, check_device, dtype_name
from .configuration import AutoConfig, PretrainedConfig
from .generation import GenerateDecoderOnlyOutput
from .outputs import ModelOutput, output_class

class Embedding:
    """What resize_token_embeddings returns: the input embedding's size (the weights stay in the engine)."""

    def __init__(self, num_embeddings: int, embedding_dim: int):
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim

    def __repr__(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"


# from_pretrained arguments that only steer torch's memory handling; they change nothing here.
_NO_EFFECT_KWARGS = ("low_cpu_mem_usage", "_fast_init", "offload_folder", "offload_state_dict", "trust_remote_code",
                     "from_tf", "from_flax", "mirror", "_from_auto", "_from_pipeline")


def _load_kwargs(kwargs: Dict[str, Any]) -> Tuple[Dict[str, Any], bool]:
    check_device(kwargs.pop("device_map", None))
    for k in _NO_EFFECT_KWARGS:
        kwargs.pop(k, None)
    if "use_auth_token" in kwargs:  # the deprecated spelling of token=
        kwargs.setdefault("token", kwargs.pop("use_auth_token"))
    if kwargs.get("torch_dtype") is not None:
        kwargs["torch_dtype"] = dtype_name(kwargs["torch_dtype"])
    config = kwargs.get("config")
    if isinstance(config, (str, os.PathLike)):
        config = AutoConfig.from_pretrained(config)
    if isinstance(config, PretrainedConfig):
        kwargs["config"] = config._core
    if kwargs.get("gguf_file") is not None:
        kwargs["gguf_file"] = os.fspath(kwargs["gguf_file"])
    return kwargs, bool(kwargs.get("output_loading_info", False))


_forward = _core._forward  # model(**inputs) in the extension (python/src/forward.cpp)

_FLOAT_DTYPES = ("float32", "float16", "bfloat16", "float64")


def _is_numpy_float(a: Any) -> bool:
    try:
        return np.dtype(a).kind == "f"
    except TypeError:
        return False


def _forward_extras(kwargs: Dict[str, Any], logits_to_keep: int) -> int:
    """Keyword arguments of 4.51's forward that are spelled differently or mean nothing here."""
    if "num_logits_to_keep" in kwargs:  # the name before 4.50
        logits_to_keep = kwargs.pop("num_logits_to_keep")
    if kwargs:
        raise TypeError(f"forward() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return logits_to_keep


class PreTrainedModel:
    """A loaded model. Build it with an Auto class or a class by name, e.g.
    AutoModelForCausalLM.from_pretrained(path) or transformers_cpp.GPT2LMHeadModel.from_pretrained(path)."""

    _class_name: Optional[str] = None  # set on the classes made by name

    def __init__(self, core: "_core.Model"):
        self._m = core
        self._cfg = core.config
        self._output_cls = output_class(core.class_name)
        self.config = PretrainedConfig(self._cfg)

    # ---- construction ----
    @classmethod
    def _load(cls, name: str, is_auto: bool, path: Any, kwargs: Dict[str, Any]) -> Any:
        kwargs, with_info = _load_kwargs(dict(kwargs))
        model = _wrap(_core.Model.from_pretrained(name, is_auto, os.fspath(path), kwargs))
        return (model, model._m.loading_info()) if with_info else model

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, *model_args: Any, **kwargs: Any) -> Any:
        if cls._class_name is None:
            raise EnvironmentError("PreTrainedModel.from_pretrained: use an Auto class or a model class by name "
                                   "(transformers_cpp.AutoModel, transformers_cpp.GPT2LMHeadModel, ...)")
        return cls._load(cls._class_name, False, pretrained_model_name_or_path, kwargs)

    @classmethod
    def from_config(cls, config: PretrainedConfig, **kwargs: Any) -> "PreTrainedModel":
        return _wrap(_core.Model.from_config(cls._class_name, False, config._core, kwargs.get("seed")))

    # ---- attributes ----
    @property
    def name_or_path(self) -> str:
        return self.config.to_dict().get("_name_or_path", "")

    @property
    def dtype(self) -> str:
        """The parameters' dtype ("float32", "bfloat16", ...; torch.dtype's name)."""
        return self._m.dtype

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def training(self) -> bool:
        return self._m.training

    @property
    def base_model_prefix(self) -> str:
        return self._m.base_model_prefix

    @property
    def generation_config(self) -> Dict[str, Any]:
        return self._m.generation_config()

    def can_generate(self) -> bool:
        return self._m.can_generate

    def eval(self) -> "PreTrainedModel":
        self._m.train(False)
        return self

    def train(self, mode: bool = True) -> "PreTrainedModel":
        self._m.train(mode)
        return self

    def to(self, *args: Any, **kwargs: Any) -> "PreTrainedModel":
        """model.to("cpu") / model.to(torch.float16) / model.to(dtype=...): a dtype casts the weights."""
        for a in list(args) + [kwargs.get("device"), kwargs.get("dtype")]:
            if a is None:
                continue
            name = a if isinstance(a, str) else str(a).replace("torch.", "")
            if name in _FLOAT_DTYPES or not isinstance(a, str) and _is_numpy_float(a):
                self._m.to_dtype(dtype_name(a))
            else:
                check_device(a, "to")
        return self

    def half(self) -> "PreTrainedModel":
        self._m.to_dtype("float16")
        return self

    def float(self) -> "PreTrainedModel":
        self._m.to_dtype("float32")
        return self

    def state_dict(self) -> Dict[str, np.ndarray]:
        return self._m.state_dict()

    def num_parameters(self, only_trainable: bool = False, exclude_embeddings: bool = False) -> int:
        return self._m.num_parameters(only_trainable, exclude_embeddings)

    def get_memory_footprint(self, return_buffers: bool = True) -> int:
        return self._m.get_memory_footprint(return_buffers)

    # ---- forward ----
    def __call__(self, input_ids: Any = None, attention_mask: Any = None, token_type_ids: Any = None,
                 position_ids: Any = None, head_mask: Any = None, inputs_embeds: Any = None, labels: Any = None,
                 use_cache: Optional[bool] = None, output_attentions: Optional[bool] = None,
                 output_hidden_states: Optional[bool] = None, return_dict: Optional[bool] = None,
                 logits_to_keep: int = 0, past_key_values: Any = None, **kwargs: Any) -> Any:
        """The output object of 4.51's class for this model (CausalLMOutputWithPast, MaskedLMOutput, ...);
        decoders return past_key_values (a DynamicCache) unless use_cache=False, and continue from one
        passed back. Arrays are converted and the object built in the extension (the per-call path
        bench/python_overhead.py measures)."""
        if kwargs:
            logits_to_keep = _forward_extras(kwargs, logits_to_keep)
        return _forward(self._m, self._output_cls, input_ids, attention_mask, token_type_ids, position_ids,
                               inputs_embeds, head_mask, labels, past_key_values, use_cache, output_attentions,
                               output_hidden_states, logits_to_keep, return_dict)

    forward = __call__

    # ---- generation ----
    def generate(self, inputs: Any = None, generation_config: Any = None, streamer: Any = None,
                 tokenizer: Any = None, **kwargs: Any) -> Any:
        """generate(input_ids, attention_mask=..., max_new_tokens=..., do_sample=..., num_beams=..., ...):
        the int64 sequences [batch * num_return_sequences, length], prompt included; with
        return_dict_in_generate=True a GenerateDecoderOnlyOutput."""
        input_ids = inputs if inputs is not None else kwargs.pop("input_ids", None)
        attention_mask = kwargs.pop("attention_mask", None)
        kwargs.pop("token_type_ids", None)
        return_dict = bool(kwargs.pop("return_dict_in_generate", False))
        for k in ("output_attentions", "output_hidden_states", "synced_gpus", "assistant_model",
                  "logits_processor", "stopping_criteria", "prefix_allowed_tokens_fn", "negative_prompt_ids"):
            if kwargs.pop(k, None) not in (None, False):
                raise NotImplementedError(f"generate: {k} is not supported by this engine")
        if generation_config is not None:
            base = generation_config if isinstance(generation_config, dict) else generation_config.to_dict()
            kwargs = {**base, **kwargs}
        if input_ids is None:
            raise ValueError("generate: input_ids are required (decoder-only models)")
        out = _core.generate(self._m, as_ids(input_ids), as_ids(attention_mask), kwargs, streamer,
                             tokenizer._t if tokenizer is not None else None)
        if not return_dict:
            return out["sequences"]
        return GenerateDecoderOnlyOutput(
            sequences=out["sequences"],
            scores=tuple(out["scores"]) if "scores" in out else None,
            logits=tuple(out["logits"]) if "logits" in out else None,
            sequences_scores=out.get("sequences_scores"),
            beam_indices=out.get("beam_indices"))

    # ---- saving and editing ----
    def save_pretrained(self, save_directory: str | os.PathLike, is_main_process: bool = True,
                        state_dict: Any = None, push_to_hub: bool = False, max_shard_size: int | str = "5GB",
                        safe_serialization: bool = True, variant: Optional[str] = None,
                        token: Optional[str] = None, **kwargs: Any) -> None:
        if state_dict is not None:
            raise NotImplementedError("save_pretrained: state_dict= is not supported; the model's own weights are saved")
        push = dict(kwargs)
        if token is not None:
            push["token"] = token
        self._m.save_pretrained(os.fspath(save_directory), max_shard_size, safe_serialization, variant or "",
                                is_main_process, push_to_hub, push)

    def push_to_hub(self, repo_id: str, use_temp_dir: Optional[bool] = None, commit_message: Optional[str] = None,
                    private: Optional[bool] = None, token: Optional[str] = None, max_shard_size: int | str = "5GB",
                    create_pr: bool = False, safe_serialization: bool = True, revision: Optional[str] = None,
                    commit_description: Optional[str] = None, tags: Optional[List[str]] = None, **kwargs: Any) -> str:
        """Saves into a temporary folder and uploads it in one commit; returns the commit URL."""
        opts = dict(commit_message=commit_message, private=private, token=token, max_shard_size=max_shard_size,
                    create_pr=create_pr, safe_serialization=safe_serialization, revision=revision,
                    commit_description=commit_description, tags=tags, **kwargs)
        return self._m.push_to_hub(repo_id, {k: v for k, v in opts.items() if v is not None})

    def resize_token_embeddings(self, new_num_tokens: Optional[int] = None, pad_to_multiple_of: Optional[int] = None,
                                mean_resizing: bool = True) -> Embedding:
        rows = self._m.resize_token_embeddings(new_num_tokens, pad_to_multiple_of, mean_resizing)
        hidden = next(v.shape[1] for k, v in self._m.state_dict().items() if v.ndim == 2 and v.shape[0] == rows)
        return Embedding(rows, hidden)

    def prune_heads(self, heads_to_prune: Dict[int, List[int]]) -> None:
        self._m.prune_heads({int(k): [int(h) for h in v] for k, v in heads_to_prune.items()})

    def __repr__(self) -> str:
        return f"{self._m.class_name}(num_parameters={self.num_parameters()}, dtype={self.dtype})"


class _AutoModel:
    """An Auto class: picks the model class from config.json's model_type through the engine's registry."""

    _auto_name = ""

    def __init__(self) -> None:
        raise EnvironmentError(f"{type(self).__name__} is designed to be instantiated using the "
                               f"`{type(self).__name__}.from_pretrained(pretrained_model_name_or_path)` or "
                               f"`{type(self).__name__}.from_config(config)` methods.")

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, *model_args: Any, **kwargs: Any) -> Any:
        return PreTrainedModel._load(cls._auto_name, True, pretrained_model_name_or_path, kwargs)

    @classmethod
    def from_config(cls, config: PretrainedConfig, **kwargs: Any) -> PreTrainedModel:
        return _wrap(_core.Model.from_config(cls._auto_name, True, config._core, kwargs.get("seed")))


def _auto(name: str) -> type:
    return type(name, (_AutoModel,), {"_auto_name": name, "__doc__": f"transformers' {name}."})


AutoModel = _auto("AutoModel")
AutoModelForCausalLM = _auto("AutoModelForCausalLM")
AutoModelForMaskedLM = _auto("AutoModelForMaskedLM")
AutoModelForSequenceClassification = _auto("AutoModelForSequenceClassification")
AutoModelForTokenClassification = _auto("AutoModelForTokenClassification")
AutoModelForQuestionAnswering = _auto("AutoModelForQuestionAnswering")
AutoModelForMultipleChoice = _auto("AutoModelForMultipleChoice")
AutoModelForPreTraining = _auto("AutoModelForPreTraining")
AutoModelForNextSentencePrediction = _auto("AutoModelForNextSentencePrediction")

_by_name: Dict[str, type] = {}


def model_class(name: str) -> Optional[type]:
    """The model class `name` ("GPT2LMHeadModel") when the engine registers it, else None."""
    if name not in _by_name:
        if name not in _core.registered_model_classes():
            return None
        _by_name[name] = type(name, (PreTrainedModel,), {"_class_name": name, "__doc__": f"transformers' {name}."})
    return _by_name[name]


def _wrap(core: "_core.Model") -> PreTrainedModel:
    """The engine's model as an instance of its class by name (type(model).__name__ == "GPT2LMHeadModel")."""
    return (model_class(core.class_name) or PreTrainedModel)(core)
