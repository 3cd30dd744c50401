"""AutoTokenizer and PreTrainedTokenizerFast with transformers 4.51's call API over the engine's
tokenizer: __call__ (padding, truncation, return_tensors="np"/"pt", offsets), decode, batch_decode,
apply_chat_template."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from . import _core
from ._utils import as_array

# 4.51's tokenizer classes whose model_input_names leave out token_type_ids (the base class and
# BERT-style ones return them).
_NO_TOKEN_TYPE_IDS = {"GPT2TokenizerFast", "LlamaTokenizerFast", "GemmaTokenizerFast", "Qwen2TokenizerFast",
                      "T5TokenizerFast", "RobertaTokenizerFast", "XLMRobertaTokenizerFast", "DistilBertTokenizerFast",
                      "BartTokenizerFast", "GPTNeoXTokenizerFast", "BloomTokenizerFast", "CodeLlamaTokenizerFast",
                      "MPNetTokenizerFast"}


class BatchEncoding(dict):
    """The tokenizer's output: a dict (input_ids, attention_mask, ...) also readable as attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def data(self) -> Dict[str, Any]:
        return dict(self)

    def to(self, device: Any) -> "BatchEncoding":
        return self

    def word_ids(self, batch_index: int = 0) -> List[Optional[int]]:
        """The word index of each token of row `batch_index` (None for special and padding tokens)."""
        return self._row("_word_ids", batch_index)

    def tokens(self, batch_index: int = 0) -> List[str]:
        """The tokens (strings) of row `batch_index`, padding included."""
        return self._row("_tokens", batch_index)

    def _row(self, what: str, batch_index: int) -> Any:
        rows = self.__dict__.get(what)
        if rows is None:
            raise ValueError(f"{what[1:]}() is not available when using non-fast tokenizers (e.g. instance of a "
                             "`XxxTokenizerFast` class).")
        return rows[batch_index]


def _tensor(value: Any, return_tensors: Optional[str], what: str) -> Any:
    if return_tensors is None:
        return value
    if isinstance(value, list) and value and isinstance(value[0], list) and len({len(v) for v in value}) > 1:
        raise ValueError("Unable to create tensor, you should probably activate truncation and/or padding with "
                         "'padding=True' 'truncation=True' to have batched tensors with the same length. Perhaps your "
                         f"features (`{what}` in this case) have excessive nesting (inputs type `list` where type "
                         "`int` is expected).")
    if return_tensors == "np":
        return np.asarray(value, dtype=np.int64)
    if return_tensors == "pt":
        # torch tensors when torch is installed; without it NumPy arrays, which model() and generate()
        # take alike, so a transformers script asking for "pt" runs unchanged without torch
        try:
            import torch
        except ImportError:
            return np.asarray(value, dtype=np.int64)
        return torch.tensor(value, dtype=torch.long)
    raise ValueError(f"Unable to convert output to tensors format {return_tensors}, expected 'np' or 'pt'")


def _ids_list(ids: Any) -> List[int]:
    if isinstance(ids, (int, np.integer)):
        return [int(ids)]
    if hasattr(ids, "__dlpack__") or isinstance(ids, np.ndarray):
        return as_array(ids).reshape(-1).tolist()
    return [int(i) for i in ids]


class PreTrainedTokenizerFast:
    """A tokenizer.json tokenizer with its tokenizer_config.json (special tokens, chat template)."""

    def __init__(self, core: "_core.Tokenizer"):
        self._t = core
        self.model_input_names = (["input_ids", "attention_mask"] if core.class_name in _NO_TOKEN_TYPE_IDS
                                  else ["input_ids", "token_type_ids", "attention_mask"])

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, *inputs: Any,
                        **kwargs: Any) -> "PreTrainedTokenizerFast":
        for k in ("use_fast", "trust_remote_code", "_from_auto", "legacy"):
            kwargs.pop(k, None)
        if "use_auth_token" in kwargs:
            kwargs.setdefault("token", kwargs.pop("use_auth_token"))
        return cls(_core.Tokenizer.from_pretrained(os.fspath(pretrained_model_name_or_path), kwargs))

    # ---- special tokens and sizes ----
    def __len__(self) -> int:
        return len(self._t)

    def __getattr__(self, name: str) -> Any:
        # bos_token, eos_token_id, vocab_size, model_max_length, chat_template, ... from the engine
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._t, name)

    @property
    def padding_side(self) -> str:
        return self._t.padding_side

    @padding_side.setter
    def padding_side(self, side: str) -> None:
        self._t.padding_side = side

    @property
    def truncation_side(self) -> str:
        return self._t.truncation_side

    @truncation_side.setter
    def truncation_side(self, side: str) -> None:
        self._t.truncation_side = side

    @property
    def special_tokens_map(self) -> Dict[str, Any]:
        return self._t.special_tokens_map()

    def get_vocab(self) -> Dict[str, int]:
        return self._t.get_vocab()

    # ---- encoding ----
    def __call__(self, text: Union[str, Sequence[str], None] = None,
                 text_pair: Union[str, Sequence[str], None] = None, add_special_tokens: bool = True,
                 padding: Union[bool, str] = False, truncation: Union[bool, str, None] = None,
                 max_length: Optional[int] = None, stride: int = 0, is_split_into_words: bool = False,
                 pad_to_multiple_of: Optional[int] = None, padding_side: Optional[str] = None,
                 return_tensors: Optional[str] = None, return_token_type_ids: Optional[bool] = None,
                 return_attention_mask: Optional[bool] = None, return_overflowing_tokens: bool = False,
                 return_special_tokens_mask: bool = False, return_offsets_mapping: bool = False,
                 return_length: bool = False, verbose: bool = True, **kwargs: Any) -> BatchEncoding:
        if text is None:
            raise ValueError("You need to specify either `text` or `text_target`.")
        if return_overflowing_tokens:
            raise NotImplementedError("return_overflowing_tokens is not supported")
        if is_split_into_words:
            # 4.51: a list of words is one example, a list of lists of words a batch
            if not isinstance(text, (list, tuple)):  # what tokenizers says of a str given as words
                raise TypeError("PreTokenizedEncodeInput must be Union[PreTokenizedInputSequence, "
                                "Tuple[PreTokenizedInputSequence, PreTokenizedInputSequence]]")
            batched = bool(text) and isinstance(text[0], (list, tuple))
        else:
            batched = not isinstance(text, str)
        texts = [list(t) for t in text] if is_split_into_words and batched else \
            list(text) if batched else [list(text) if is_split_into_words else text]
        pairs = None
        if text_pair is not None:
            pairs = ([list(t) for t in text_pair] if is_split_into_words else list(text_pair)) if batched else \
                [list(text_pair) if is_split_into_words else text_pair]
            if len(pairs) != len(texts):
                raise ValueError(f"batch length of `text`: {len(texts)} does not match batch length of "
                                 f"`text_pair`: {len(pairs)}.")
        pad = {True: "longest", False: "do_not_pad"}.get(padding, padding) if isinstance(padding, bool) else padding
        if truncation is None and max_length is not None:
            truncation = True  # 4.51 truncates to max_length then (longest_first), with a warning
        trunc = None
        if truncation is True:
            trunc = "longest_first"
        elif isinstance(truncation, str) and truncation != "do_not_truncate":
            trunc = truncation
        out = self._t.encode_batch(list(zip(texts, pairs)) if pairs is not None else texts, pairs is not None,
                                   add_special_tokens, pad, trunc, max_length, stride, pad_to_multiple_of,
                                   padding_side, is_split_into_words)
        want_types = return_token_type_ids if return_token_type_ids is not None else \
            "token_type_ids" in self.model_input_names
        want_mask = return_attention_mask if return_attention_mask is not None else \
            "attention_mask" in self.model_input_names
        keys = ["input_ids"] + (["token_type_ids"] if want_types else []) + (["attention_mask"] if want_mask else [])
        keys += (["special_tokens_mask"] if return_special_tokens_mask else [])
        keys += (["offset_mapping"] if return_offsets_mapping else [])
        enc = BatchEncoding()
        for k in keys:
            v = out[k]
            if k == "offset_mapping":
                v = [[list(o) for o in row] for row in v]
            if not batched and return_tensors is None:
                v = v[0]
            enc[k] = _tensor(v, return_tensors, k) if k != "offset_mapping" or return_tensors is None else \
                np.asarray(v, dtype=np.int64)
        enc.__dict__["_word_ids"] = out["word_ids"]
        enc.__dict__["_tokens"] = out["tokens"]
        if return_length:
            lengths = [len(r) for r in out["input_ids"]]
            enc["length"] = _tensor(lengths if batched or return_tensors else lengths[0], return_tensors, "length")
        return enc

    def encode(self, text: str, text_pair: Optional[str] = None, add_special_tokens: bool = True,
               **kwargs: Any) -> Any:
        enc = self(text, text_pair=text_pair, add_special_tokens=add_special_tokens, **kwargs)
        return enc["input_ids"]

    def tokenize(self, text: str, pair: Optional[str] = None, add_special_tokens: bool = False, **kwargs: Any) -> List[str]:
        return self._t.tokenize(text, add_special_tokens)

    def convert_tokens_to_ids(self, tokens: Union[str, List[str]]) -> Union[Optional[int], List[Optional[int]]]:
        if isinstance(tokens, str):
            found = self._t.convert_tokens_to_ids(tokens)
            return found if found is not None else self._t.unk_token_id
        return [self.convert_tokens_to_ids(t) for t in tokens]

    def convert_ids_to_tokens(self, ids: Any, skip_special_tokens: bool = False) -> Any:
        if isinstance(ids, (int, np.integer)):
            return self._t.convert_ids_to_tokens(int(ids))
        special = set(self._t.special_tokens_map().values()) if skip_special_tokens else set()
        tokens = [self._t.convert_ids_to_tokens(i) for i in _ids_list(ids)]
        return [t for t in tokens if t not in special]

    # ---- decoding ----
    def decode(self, token_ids: Any, skip_special_tokens: bool = False,
               clean_up_tokenization_spaces: Optional[bool] = None, **kwargs: Any) -> str:
        return self._t.decode(_ids_list(token_ids), skip_special_tokens, clean_up_tokenization_spaces)

    def batch_decode(self, sequences: Any, skip_special_tokens: bool = False,
                     clean_up_tokenization_spaces: Optional[bool] = None, **kwargs: Any) -> List[str]:
        rows = [_ids_list(s) for s in (as_array(sequences) if hasattr(sequences, "__dlpack__") else sequences)]
        return self._t.batch_decode(rows, skip_special_tokens, clean_up_tokenization_spaces)

    # ---- chat ----
    def apply_chat_template(self, conversation: Any, tools: Optional[List[Any]] = None,
                            documents: Optional[List[Dict[str, str]]] = None, chat_template: Optional[str] = None,
                            add_generation_prompt: bool = False, continue_final_message: bool = False,
                            tokenize: bool = True, padding: Union[bool, str] = False, truncation: bool = False,
                            max_length: Optional[int] = None, return_tensors: Optional[str] = None,
                            return_dict: bool = False, return_assistant_tokens_mask: bool = False,
                            tokenizer_kwargs: Optional[Dict[str, Any]] = None, **kwargs: Any) -> Any:
        if return_assistant_tokens_mask:
            raise NotImplementedError("return_assistant_tokens_mask is not supported")
        if return_dict and not tokenize:
            raise ValueError("`return_dict=True` is incompatible with `tokenize=False`, because there is no dict "
                             "of tokenizer outputs to return.")
        batched = isinstance(conversation, (list, tuple)) and bool(conversation) and (
            isinstance(conversation[0], (list, tuple)) or hasattr(conversation[0], "messages"))
        convs = conversation if batched else [conversation]
        convs = [c.messages if hasattr(c, "messages") else c for c in convs]
        texts = [self._t.apply_chat_template(c, tools, documents, chat_template, add_generation_prompt,
                                             continue_final_message, False, False, kwargs)["text"] for c in convs]
        if not tokenize:
            return texts if batched else texts[0]
        # 4.51 encodes the rendered text without adding special tokens (the template has them)
        enc = self(texts, add_special_tokens=False, padding=padding, truncation=truncation, max_length=max_length,
                   return_tensors=return_tensors, **(tokenizer_kwargs or {}))
        if not batched and return_tensors is None:
            enc = BatchEncoding({k: v[0] for k, v in enc.items()})
        if return_dict:
            return enc
        return enc["input_ids"]

    # ---- saving ----
    def save_pretrained(self, save_directory: str | os.PathLike, push_to_hub: bool = False, **kwargs: Any) -> tuple:
        folder = os.fspath(save_directory)
        files = tuple(os.path.join(folder, f) for f in self._t.save_pretrained(folder))
        if push_to_hub:
            repo_id = kwargs.pop("repo_id", os.path.basename(os.path.normpath(folder)))
            self.push_to_hub(repo_id, **kwargs)
        return files

    def push_to_hub(self, repo_id: str, **kwargs: Any) -> str:
        kwargs.pop("use_temp_dir", None)
        return self._t.push_to_hub(repo_id, {k: v for k, v in kwargs.items() if v is not None})

    def __repr__(self) -> str:
        return (f"{self._t.class_name}(vocab_size={self._t.vocab_size}, model_max_length={self._t.model_max_length}, "
                f"padding_side='{self.padding_side}', truncation_side='{self.truncation_side}')")


class AutoTokenizer:
    """AutoTokenizer.from_pretrained(path_or_repo_id, revision=..., ...): the fast tokenizer of the folder."""

    def __init__(self) -> None:
        raise EnvironmentError("AutoTokenizer is designed to be instantiated using the "
                               "`AutoTokenizer.from_pretrained(pretrained_model_name_or_path)` method.")

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, *inputs: Any,
                        **kwargs: Any) -> PreTrainedTokenizerFast:
        return PreTrainedTokenizerFast.from_pretrained(pretrained_model_name_or_path, *inputs, **kwargs)
