#!/usr/bin/env python3
"""Oracle for the tokenizer tests: builds a wide text corpus and runs it through Hugging Face
`tokenizers` for every tokenizer.json under test, writing the expected results that
tests/tokenizers/test_corpus.cpp checks line by line (CI needs no Python).

Tokenizers under test: the five fixtures in ../shared/fixtures/hf/tokenizers plus variants made
here by editing their JSON (other normalizers, pre-tokenizers, post-processors, added-token flags,
WordLevel) and two small models trained here with `tokenizers` trainers (BPE with
continuing_subword_prefix/end_of_word_suffix, Unigram). The variants are written to
tests/data/tokenizers/models/<name>/tokenizer.json; any other model folder there (made by
make_precompiled_tokenizer.py) is included as it is.

Usage:  python tests/oracle/make_tokenizer_corpus.py   (needs `pip install tokenizers`)
Output: tests/data/tokenizers/corpus.jsonl         one JSON string per line (the texts)
        tests/data/tokenizers/expected/<name>.txt  per text: "n h_ids h_offsets h_text" where n is
            the number of tokens, h_ids hashes "id,id,...", h_offsets "s-e,s-e,..." (character
            offsets), h_text the tokens joined by U+001F, U+001E, decode(skip_special=False), U+001E,
            decode(skip_special=True)
        tests/data/tokenizers/expected/<name>.pairs.txt  "i j n h_ids h_type_ids" for encode(text[i], text[j])
        tests/data/tokenizers/expected/meta.json   versions and counts
Hashes are 32-bit FNV-1a of the UTF-8 bytes, as 8 hex digits (the files stay small; the C++ test
prints our own ids/offsets for a failing line so it can be compared with Python by hand).
"""
import copy
import json
import os
import random
import sys

import tokenizers
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "hf", "tokenizers")
OUT = os.path.join(ROOT, "tests", "data", "tokenizers")


def fnv1a(s: str) -> str:
    """32-bit FNV-1a of the UTF-8 bytes, as 8 hex digits."""
    h = 0x811C9DC5
    for b in s.encode("utf-8"):
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return "%08x" % h


def ids_str(ids):
    return ",".join(str(i) for i in ids)


def offsets_str(offsets):
    return ",".join("%d-%d" % (s, e) for s, e in offsets)


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------
POOLS = {
    "latin": ["Hello", "world", "The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog",
              "tokenization", "Transformers", "ARE", "great", "MixedCase", "camelCaseWord", "snake_case_word",
              "UPPER", "lower", "a", "I", "x", "supercalifragilisticexpialidocious"],
    "accents": ["café", "naïve", "résumé", "Ünïcödé", "àccents", "Ångström", "façade", "jalapeño", "Ñandú",
                "crème brûlée", "Zürich", "São Paulo", "Dvořák", "Łódź", "İstanbul", "ıi", "straße", "STRASSE"],
    "combining": ["e\u0301", "a\u0308", "o\u0302\u0323", "z\u0335\u0322a\u035dl\u0335g\u0336o", "n\u0303",
                  "\u0301start", "q\u0307\u0323", "A\u030a", "\u1100\u1161\u11a8", "ệ", "ǘ"],
    "greek": ["Καλημέρα", "κόσμε", "ΣΊΣΥΦΟΣ", "ὈΔΥΣΣΕΎΣ", "λόγος", "Σ", "ς"],
    "cyrillic": ["Привет", "мир", "Съешь", "же", "ещё", "ЁЛКА", "україна"],
    "arabic": ["مرحبا", "بالعالم", "السلام عليكم", "١٢٣٤٥", "ﻻ"],
    "hebrew": ["שלום", "עולם", "בְּרֵאשִׁית"],
    "indic": ["नमस्ते", "दुनिया", "हिन्दी", "ক্ষ", "தமிழ்", "ಕನ್ನಡ", "๑๒๓"],
    "thai": ["สวัสดี", "ภาษาไทย"],
    "cjk": ["日本語", "中文字符测试", "漢字", "你好世界", "𠀋𠀀", "\U0002b820\U0002b920", "々〆", "龍"],
    "kana": ["のテキスト", "ひらがな", "カタカナ", "ｶﾀｶﾅ", "ー"],
    "hangul": ["한국어", "안녕하세요", "ㄱㄴㄷ"],
    "emoji": ["🤗", "🚀", "👩\u200d👩\u200d👧", "👍🏽", "🇫🇷", "❤️", "🏳️\u200d🌈", "😀😃😄", "⌚", "\u2764\ufe0f"],
    "symbols": ["©", "®", "™", "°", "±", "×", "÷", "∑", "∞", "≠", "≤", "→", "★", "♪", "€", "£", "¥", "$", "§", "¶",
                "—", "–", "…", "«", "»", "„", "“", "”", "‘", "’", "¿", "¡", "•", "·", "½", "²", "³", "ⅷ", "Ⅻ"],
    "fullwidth": ["Ａｂｃ", "ｆｕｌｌｗｉｄｔｈ", "１２３", "！？", "ﬁ", "ﬂ", "ﬃ", "㎏", "㍿", "Ⓐ", "ℌ", "ℵ"],
    "numbers": ["0", "7", "42", "1234567", "3.14159", "1,000,000", "-12", "+7", "2024-01-31", "10:45", "0x1F",
                "1e-9", "٣", "५", "½", "①", "9999999999"],
    "punct": [".", ",", "!", "?", ";", ":", "'", "\"", "(", ")", "[", "]", "{", "}", "<", ">", "/", "\\", "|", "@",
              "#", "%", "^", "&", "*", "-", "_", "=", "+", "~", "`", "...", "--", "!!", "?!", "''", "\"\""],
    "contractions": ["don't", "you're", "I'll", "it's", "we've", "she'd", "I'm", "DON'T", "IT'S", "WE'VE", "o'clock",
                     "rock'n'roll", "'s", "'S", "’s"],
    "code": ["def f(x):", "return x + 1", "x = foo(bar) + baz[3] * 2;", "if (a && b) { c++; }", "std::vector<int>",
             "#include <stdio.h>", "print('hi')", "<div class=\"x\">", "SELECT * FROM t;", "a->b", "i += 1",
             "https://example.com/path?q=1&r=2", "user@example.org", "C:\\Users\\x", "~/bin/run.sh"],
    "space": [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\r", "\u00a0", "\u2009", "\u3000", "\u200b", "\ufeff",
              "\u2028", "\u2029", "\u0085", "\u180e", "\u202f", "\u205f", "\u1680", " \t \n "],
    "control": ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1c", "\x1f", "\x7f", "\x80", "\x9f",
                "\u00ad", "\u200c", "\u200d", "\u200e", "\u202e", "\ue000", "\uf8ff", "\U000f0000", "\ufffd",
                "\u0378", "\U000e0001", "\U0010ffff"],
}


def special_texts(specials):
    out = []
    for s in specials:
        out += [s, " " + s, s + " ", " " + s + " ", "a" + s + "b", s + s, "x " + s + "y", s.upper(), s[:-1]]
    return out


def build_corpus(specials):
    rnd = random.Random(20260528)
    lines = []
    # 1. every pool entry alone, and with neighbours
    for name, items in POOLS.items():
        for it in items:
            lines.append(it)
            lines.append("word " + it + " word")
            lines.append(it + it)
    # 2. whitespace runs and edge shapes
    for n in range(0, 9):
        lines.append(" " * n)
        lines.append(" " * n + "a" + " " * n)
        lines.append("a" + " " * n + "b")
        lines.append("\n" * n + "x")
        lines.append("a" + "\t" * n + "b")
    # 3. long words around the WordPiece limit and longer
    for n in (1, 2, 50, 99, 100, 101, 120, 200, 500):
        lines.append("a" * n)
        lines.append("ab" * (n // 2) + " end")
        lines.append("é" * n)
        lines.append("日" * (n // 4 + 1))
    # 4. special tokens inside text
    sp = special_texts(specials)
    lines += sp
    # 5. random mixtures
    names = list(POOLS)
    joiners = [" ", "", " ", "\n", "  ", "\t", " ", ", ", ". "]
    while len(lines) < 3000:
        k = rnd.randint(1, 12)
        parts = []
        for _ in range(k):
            if rnd.random() < 0.06:
                parts.append(rnd.choice(sp))
            else:
                parts.append(rnd.choice(POOLS[rnd.choice(names)]))
        text = ""
        for p in parts:
            text += p + rnd.choice(joiners)
        if rnd.random() < 0.5:
            text = text.rstrip(" ")
        lines.append(text)
    # de-duplicate, keep order
    seen, out = set(), []
    for l in lines:
        if l not in seen:
            seen.add(l)
            out.append(l)
    return out


# ---------------------------------------------------------------------------------------------
# Tokenizers under test
# ---------------------------------------------------------------------------------------------
def load_fixture(name):
    with open(os.path.join(FIXTURES, name, "tokenizer.json"), encoding="utf-8") as f:
        return json.load(f)


def added(id_, content, special=True, normalized=False, lstrip=False, rstrip=False, single_word=False):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": normalized, "special": special}


def variants():
    v = {}
    # RoBERTa style: prefix space, RobertaProcessing with trimmed offsets, <mask> with lstrip.
    j = load_fixture("gpt2_bpe")
    n = len(j["model"]["vocab"])
    j["added_tokens"] += [added(n, "<s>"), added(n + 1, "</s>"), added(n + 2, "<mask>", lstrip=True)]
    j["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    j["post_processor"] = {"type": "RobertaProcessing", "sep": ["</s>", n + 1], "cls": ["<s>", n],
                           "trim_offsets": True, "add_prefix_space": True}
    v["roberta_bytelevel"] = j
    # GPT-2 with ByteLevel trim_offsets in the post-processor, added non-special tokens.
    j = load_fixture("gpt2_bpe")
    j["added_tokens"] += [added(n, "[NEW]", special=False, normalized=True),
                          added(n + 1, "<sw>", special=False, single_word=True),
                          added(n + 2, "<rs>", special=True, rstrip=True)]
    j["post_processor"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    v["gpt2_trim_added"] = j
    # WordPiece with other normalizers/pre-tokenizers and BertProcessing.
    j = load_fixture("bert_wordpiece")
    n = len(j["model"]["vocab"])
    j["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"},
                                                           {"type": "Strip", "strip_left": True, "strip_right": True}]}
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [{"type": "Whitespace"},
                                                                {"type": "Digits", "individual_digits": True}]}
    j["post_processor"] = {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]}
    j["added_tokens"] += [added(n, "hello world", special=False, normalized=True),
                          added(n + 1, "[sw]", special=True, single_word=True)]
    v["wordpiece_nfkc_digits"] = j
    # WordPiece, cased BERT normalizer without Chinese handling; punctuation contiguous.
    j = load_fixture("bert_wordpiece")
    j["normalizer"] = {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": False,
                       "strip_accents": True, "lowercase": False}
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "WhitespaceSplit"}, {"type": "Punctuation", "behavior": "Contiguous"}]}
    v["wordpiece_cased_punct"] = j
    # NFD + StripAccents + Lowercase with CharDelimiterSplit and Digits contiguous.
    j = load_fixture("bert_wordpiece")
    j["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"},
                                                           {"type": "Lowercase"}, {"type": "NFC"}]}
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [{"type": "CharDelimiterSplit", "delimiter": " "},
                                                                {"type": "Digits", "individual_digits": False}]}
    v["wordpiece_nfd_chardelim"] = j
    # Llama-2, non-legacy conversion: Metaspace(first, split=false), no normalizer.
    j = load_fixture("llama2_bytefallback")
    j["normalizer"] = None
    j["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}
    j["decoder"] = {"type": "Sequence", "decoders": [{"type": "Metaspace", "replacement": "\u2581",
                                                     "prepend_scheme": "first", "split": False},
                                                    {"type": "ByteFallback"}, {"type": "Fuse"}]}
    v["llama2_metaspace_first"] = j
    # Llama-3 style with Split behaviours chained before ByteLevel.
    j = load_fixture("llama3_regex_bpe")
    pre = j["pre_tokenizer"]["pretokenizers"]
    j["pre_tokenizer"]["pretokenizers"] = [
        {"type": "Split", "pattern": {"String": "-"}, "behavior": "MergedWithPrevious", "invert": False},
        {"type": "Split", "pattern": {"Regex": "\\d"}, "behavior": "MergedWithNext", "invert": False},
        {"type": "Split", "pattern": {"Regex": "[.,]+"}, "behavior": "Contiguous", "invert": False},
        {"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Removed", "invert": True},
    ] + pre
    v["llama3_split_behaviors"] = j
    # Unigram with a Replace normalizer and Prepend, Metaspace never.
    j = load_fixture("unigram_metaspace")
    j["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "NFKD"}, {"type": "Replace", "pattern": {"Regex": "[0-9]+"}, "content": "#"},
        {"type": "Replace", "pattern": {"String": "  "}, "content": " "}]}
    j["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": True}
    j["decoder"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": True}
    v["unigram_replace_never"] = j
    # WordLevel on the WordPiece vocab.
    j = load_fixture("bert_wordpiece")
    j["model"] = {"type": "WordLevel", "vocab": j["model"]["vocab"], "unk_token": "[UNK]"}
    j["pre_tokenizer"] = {"type": "Whitespace"}
    j["decoder"] = None
    v["wordlevel_whitespace"] = j
    return v


def trained(corpus):
    from tokenizers import decoders, models, normalizers, pre_tokenizers, trainers
    out = {}
    t = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    t.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(), normalizers.Lowercase()])
    t.pre_tokenizer = pre_tokenizers.Whitespace()
    t.decoder = decoders.BPEDecoder(suffix="</w>")
    tr = trainers.BpeTrainer(vocab_size=600, special_tokens=["[UNK]", "[CLS]", "[SEP]"],
                             continuing_subword_prefix="##", end_of_word_suffix="</w>")
    t.train_from_iterator(corpus, tr)
    out["bpe_prefix_suffix"] = json.loads(t.to_str())
    t = Tokenizer(models.Unigram())
    t.normalizer = normalizers.NFKC()
    t.pre_tokenizer = pre_tokenizers.Metaspace()
    t.decoder = decoders.Metaspace()
    tr = trainers.UnigramTrainer(vocab_size=400, special_tokens=["<unk>", "<s>"], unk_token="<unk>")
    rnd = random.Random(11)
    words = [w for k in ("latin", "accents", "greek", "cyrillic", "numbers", "contractions", "cjk", "kana")
             for w in POOLS[k]]
    simple = [" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 8))) for _ in range(3000)]
    t.train_from_iterator(simple, tr)
    out["unigram_trained"] = json.loads(t.to_str())
    return out


def main():
    fixture_names = ["gpt2_bpe", "bert_wordpiece", "unigram_metaspace", "llama2_bytefallback", "llama3_regex_bpe"]
    specials = set()
    for name in fixture_names:
        for a in load_fixture(name)["added_tokens"]:
            if not a["content"].startswith("<0x"):
                specials.add(a["content"])
    specials |= {"<mask>", "[NEW]", "<sw>", "<rs>", "[sw]", "hello world"}
    corpus = build_corpus(sorted(specials))

    os.makedirs(os.path.join(OUT, "expected"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "models"), exist_ok=True)
    with open(os.path.join(OUT, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for line in corpus:
            f.write(json.dumps(line, ensure_ascii=True) + "\n")

    tok_jsons = {}
    for name in fixture_names:
        tok_jsons[name] = None  # read from the fixtures by the test
    extra = variants()
    extra.update(trained(corpus[:1500]))
    for name, j in extra.items():
        d = os.path.join(OUT, "models", name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(j, f, ensure_ascii=False, separators=(",", ":"))
        tok_jsons[name] = j

    # Models made by other oracle scripts (e.g. make_precompiled_tokenizer.py) are kept as they are.
    for name in sorted(os.listdir(os.path.join(OUT, "models"))):
        if name not in tok_jsons and os.path.exists(os.path.join(OUT, "models", name, "tokenizer.json")):
            tok_jsons[name] = "file"

    rnd = random.Random(7)
    pair_idx = sorted(rnd.sample(range(len(corpus)), 300))
    meta = {"tokenizers_version": tokenizers.__version__, "lines": len(corpus), "tokenizers": {}}
    for name in tok_jsons:
        path = (os.path.join(FIXTURES, name, "tokenizer.json") if tok_jsons[name] is None
                else os.path.join(OUT, "models", name, "tokenizer.json"))
        tok = Tokenizer.from_file(path)
        encs = tok.encode_batch(corpus, add_special_tokens=True)
        with open(os.path.join(OUT, "expected", name + ".txt"), "w", encoding="utf-8") as f:
            for e in encs:
                text = ("\x1f".join(e.tokens) + "\x1e" + tok.decode(e.ids, skip_special_tokens=False) + "\x1e"
                        + tok.decode(e.ids, skip_special_tokens=True))
                f.write("%d %s %s %s\n" % (len(e.ids), fnv1a(ids_str(e.ids)), fnv1a(offsets_str(e.offsets)),
                                             fnv1a(text)))
        pairs = [(corpus[i], corpus[(i * 7 + 3) % len(corpus)]) for i in pair_idx]
        pencs = tok.encode_batch(pairs, add_special_tokens=True)
        with open(os.path.join(OUT, "expected", name + ".pairs.txt"), "w", encoding="utf-8") as f:
            for (i, e) in zip(pair_idx, pencs):
                f.write("%d %d %d %s %s\n" % (i, (i * 7 + 3) % len(corpus), len(e.ids), fnv1a(ids_str(e.ids)),
                                               fnv1a(ids_str(e.type_ids))))
        meta["tokenizers"][name] = {"path": os.path.relpath(path, ROOT), "tokens": sum(len(e.ids) for e in encs)}
    with open(os.path.join(OUT, "expected", "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    sys.exit(main())
