"""Goldens of transformers 4.51.3's fast tokenizers called with is_split_into_words=True (pre-tokenized
words) on the shared tokenizer fixtures: input_ids, masks, offsets (characters within each word),
word_ids() and tokens, for one row, a pair, and a padded + truncated batch. A class whose 4.51
__call__ refuses pre-tokenized input (GPT2TokenizerFast without add_prefix_space) records the error.

  /work/venv/bin/python tests/oracle/make_split_into_words_cases.py
writes tests/data/python/split_into_words_hf451.json (python/tests/test_tokenizer.py reads it)."""
import json
from pathlib import Path

import transformers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

assert transformers.__version__ == "4.51.3", transformers.__version__
REPO = Path(__file__).resolve().parents[2]
TOKENIZERS = REPO.parent / "shared" / "fixtures" / "hf" / "tokenizers"
NAMES = ["bert_wordpiece", "gpt2_bpe", "llama2_bytefallback", "llama3_regex_bpe", "unigram_metaspace"]
ROW = ["Hello", "world!", "naïve", "don't", "東京", "state-of-the-art", "x"]
PAIR = ["The", "pair's", "words", "3.14"]
BATCH = [["A", "short", "row"], ["A", "much", "longer", "row", "of", "words", "that", "truncation", "cuts"]]


def encoded(tok, enc, rows):
    out = {k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids", "offset_mapping") if k in enc}
    out["offset_mapping"] = [[list(o) for o in r] for r in out["offset_mapping"]]
    out["word_ids"] = [enc.word_ids(i) for i in range(rows)]
    out["tokens"] = [enc.tokens(i) for i in range(rows)]
    return out


def main():
    cases = {}
    for name in NAMES:
        try:
            tok = AutoTokenizer.from_pretrained(TOKENIZERS / name)
        except ValueError:  # tokenizer_class "TokenizersBackend" (a newer name): the base fast class
            tok = PreTrainedTokenizerFast.from_pretrained(TOKENIZERS / name)
        c = {"class": type(tok).__name__}
        try:
            c["row"] = encoded(tok, tok([ROW], is_split_into_words=True, return_offsets_mapping=True), 1)
        except Exception as e:  # noqa: BLE001 - the refusal is the golden
            c["error"] = {"type": type(e).__name__, "message": str(e)}
            cases[name] = c
            continue
        c["pair"] = encoded(tok, tok([ROW], [PAIR], is_split_into_words=True, return_offsets_mapping=True), 1)
        if tok.pad_token is not None:
            c["batch"] = encoded(tok, tok(BATCH, is_split_into_words=True, padding=True, truncation=True, max_length=8,
                                          return_offsets_mapping=True), 2)
        # a single row given as a plain list of words (not batched)
        single = tok(ROW, is_split_into_words=True)
        c["single_input_ids"] = single["input_ids"]
        c["single_word_ids"] = single.word_ids()
        cases[name] = c
    out = {"transformers": transformers.__version__, "row": ROW, "pair": PAIR, "batch": BATCH, "cases": cases}
    path = REPO / "tests" / "data" / "python" / "split_into_words_hf451.json"
    path.write_text(json.dumps(out, ensure_ascii=False) + "\n")
    print(path, {k: ("error" if "error" in v else "ok") for k, v in cases.items()})


if __name__ == "__main__":
    main()
