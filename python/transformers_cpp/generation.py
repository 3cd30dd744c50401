"""generate()'s outputs and streamers with transformers 4.51's names."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np


class GenerateDecoderOnlyOutput:
    """generate(..., return_dict_in_generate=True): sequences, and scores / logits when asked
    (output_scores / output_logits); beam search adds sequences_scores and beam_indices."""

    def __init__(self, sequences: np.ndarray, scores: Optional[Tuple[np.ndarray, ...]] = None,
                 logits: Optional[Tuple[np.ndarray, ...]] = None, sequences_scores: Optional[np.ndarray] = None,
                 beam_indices: Optional[np.ndarray] = None):
        self.sequences = sequences
        self.scores = scores
        self.logits = logits
        self.sequences_scores = sequences_scores
        self.beam_indices = beam_indices
        self.attentions = None
        self.hidden_states = None
        self.past_key_values = None

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


class BaseStreamer:
    """generate(streamer=...) calls put() with the prompt [batch, len], then with each step's tokens
    [batch], and end() once; any object with these two methods works."""

    def put(self, value: np.ndarray) -> None:
        raise NotImplementedError()

    def end(self) -> None:
        raise NotImplementedError()


class TextStreamer(BaseStreamer):
    """Prints the text as it is generated (batch size 1): whole words at a time, a line at a newline,
    the rest at the end; skip_prompt leaves the prompt out; decode_kwargs go to tokenizer.decode."""

    def __init__(self, tokenizer: Any, skip_prompt: bool = False, **decode_kwargs: Any):
        self.tokenizer = tokenizer
        self.skip_prompt = skip_prompt
        self.decode_kwargs = decode_kwargs
        self.token_cache: list = []
        self.print_len = 0
        self.next_tokens_are_prompt = True

    def put(self, value: np.ndarray) -> None:
        value = np.asarray(value)
        if value.ndim > 1 and value.shape[0] > 1:
            raise ValueError("TextStreamer only supports batch size 1")
        if value.ndim > 1:
            value = value[0]
        if self.skip_prompt and self.next_tokens_are_prompt:
            self.next_tokens_are_prompt = False
            return
        self.next_tokens_are_prompt = False
        self.token_cache.extend(int(t) for t in value.reshape(-1))
        text = self.tokenizer.decode(self.token_cache, **self.decode_kwargs)
        if text.endswith("\n"):
            printable = text[self.print_len:]
            self.token_cache = []
            self.print_len = 0
        else:
            # up to the last space: a word may still grow (or a multi-byte character complete)
            printable = text[self.print_len: text.rfind(" ") + 1]
            self.print_len += len(printable)
        self.on_finalized_text(printable)

    def end(self) -> None:
        text = self.tokenizer.decode(self.token_cache, **self.decode_kwargs) if self.token_cache else ""
        printable = text[self.print_len:]
        self.token_cache = []
        self.print_len = 0
        self.next_tokens_are_prompt = True
        self.on_finalized_text(printable, stream_end=True)

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        print(text, flush=True, end="" if not stream_end else None)
