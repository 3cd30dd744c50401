#!/usr/bin/env python3
"""Builds the small seed corpora of the fuzz targets (fuzz/corpus/<target>/).

Seeds are copies of small shared fixtures (configs, indexes, legacy/evil pickles, tokenizer
configs) plus files made here that are small on purpose (a libFuzzer run is faster the shorter its
inputs): tiny safetensors and torch files written by the real `safetensors`/`torch` packages and
tiny tokenizer.json files of every model type written by the real `tokenizers` package.
Run with /work/venv/bin/python; CI never runs it (the corpus is committed).
"""
import json
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parent
FIX = ROOT.parent.parent / "shared" / "fixtures" / "hf"
if not FIX.exists():
    FIX = pathlib.Path("/work/shared/fixtures/hf")
CORPUS = ROOT / "corpus"


def out(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    p = d / name
    if isinstance(data, (bytes, bytearray)):
        p.write_bytes(data)
    else:
        p.write_text(data)


def copy(target, src, name):
    out(target, name, pathlib.Path(src).read_bytes())


def configs():
    for arch in ("bert", "gpt2", "llama"):
        for variant in ("model", "cls3", "resized_up", "bf16"):
            p = FIX / "models" / arch / variant / "config.json"
            if p.exists():
                copy("config", p, f"{arch}_{variant}.json")
        p = FIX / "models" / arch / "model" / "generation_config.json"
        if p.exists():
            copy("generation_config", p, f"{arch}.json")
    out("config", "rope_5x.json", json.dumps({"model_type": "llama", "dtype": "bfloat16", "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0}, "id2label": {"0": "A", "10": "B"}, "pruned_heads": {"1": [0, 2]}}))
    out("generation_config", "rich.json", json.dumps({"eos_token_id": [2, 3], "do_sample": True, "temperature": 0.7, "top_k": 5, "num_beams": 3, "stop_strings": ["\n"], "max_new_tokens": 8}))


def indexes():
    for arch in ("gpt2", "llama"):
        copy("shard_index", FIX / "models" / arch / "sharded" / "model.safetensors.index.json", f"{arch}_st.json")
        copy("shard_index", FIX / "models" / arch / "bin_sharded" / "pytorch_model.bin.index.json", f"{arch}_bin.json")
    out("shard_index", "small.json", json.dumps({"metadata": {"total_size": 8}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "sub/model-00002-of-00002.safetensors"}}))


def safetensors_seeds():
    import torch
    from safetensors.torch import save

    torch.manual_seed(0)
    out("safetensors", "mixed.safetensors", save({
        "a": torch.randn(2, 3), "b": torch.arange(4, dtype=torch.int64), "c": torch.randn(3).half(),
        "d": torch.randn(2, 2).bfloat16(), "e": torch.tensor([True, False]), "f": torch.zeros(0, 3),
        "g": torch.tensor(1.5, dtype=torch.float64), "h": torch.tensor([1, -2], dtype=torch.int8)},
        metadata={"format": "pt"}))
    out("safetensors", "f8.safetensors", save({"x": torch.randn(4).to(torch.float8_e4m3fn), "y": torch.randn(2).to(torch.float8_e5m2)}))
    out("safetensors", "empty.safetensors", save({}))


def gguf_seeds():
    import numpy as np
    import gguf
    from gguf import GGMLQuantizationType as T, GGUFValueType as V

    rng = np.random.default_rng(0)

    def write(name, fill):
        path = CORPUS / "gguf" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        w = gguf.GGUFWriter(str(path), "llama")
        fill(w)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()

    def small(w):  # every value type, arrays of strings and arrays of arrays, three tensor types
        w.add_uint32("llama.block_count", 1)
        w.add_float32("llama.rope.freq_base", 10000.0)
        w.add_bool("b", True)
        w.add_int64("i", -3)
        w.add_float64("f", 0.5)
        w.add_array("tokenizer.ggml.tokens", ["a", "b", "<s>"])
        w.add_key_value("n", [[1, 2], [3]], V.ARRAY, sub_type=V.ARRAY)
        w.add_tensor("f32", rng.standard_normal((2, 3)).astype(np.float32))
        w.add_tensor("f16", rng.standard_normal(4).astype(np.float16))
        w.add_tensor("q8", gguf.quants.quantize(rng.standard_normal((1, 32)).astype(np.float32), T.Q8_0), raw_dtype=T.Q8_0)

    def kquants(w):  # one block of each k-quant type (random bits)
        for q in (T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1):
            block, size = gguf.GGML_QUANT_SIZES[q]
            w.add_tensor(q.name, rng.integers(0, 256, (1, size), dtype=np.uint8), raw_dtype=q)

    write("small.gguf", small)
    write("blocks.gguf", kquants)


def torch_seeds():
    import io
    import torch

    torch.manual_seed(0)
    w = torch.randn(3, 4)
    sd = {"w": w, "tied": w, "t": w.t(), "slice": w[1:], "bf": torch.randn(2).bfloat16(), "i": torch.arange(3)}
    buf = io.BytesIO()
    torch.save(sd, buf)
    out("torch_pickle", "zip.bin", buf.getvalue())
    buf = io.BytesIO()
    torch.save({"a": torch.randn(2, 2), "b": torch.ones(3, dtype=torch.int32)}, buf, _use_new_zipfile_serialization=False)
    out("torch_pickle", "legacy_small.bin", buf.getvalue())
    copy("torch_pickle", FIX / "models" / "legacy" / "legacy_format.bin", "legacy_format.bin")
    copy("torch_pickle", FIX / "models" / "legacy" / "zip_format.bin", "zip_format.bin")
    copy("torch_pickle", FIX / "models" / "evil" / "pytorch_model.bin", "evil.bin")


def tokenizer_seeds():
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    text = ["hello world", "the quick brown fox", "naïve café 東京", "jumps over the lazy dog", "hello hello"]

    def train(tok, trainer, name):
        tok.train_from_iterator(text, trainer)
        out("tokenizer_json", name, tok.to_str())

    special = ["[UNK]", "[CLS]", "[SEP]", "<s>", "</s>"]
    t = Tokenizer(models.BPE(unk_token=None))
    t.normalizer = normalizers.NFC()
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    t.decoder = decoders.ByteLevel()
    t.post_processor = processors.ByteLevel(trim_offsets=True)
    train(t, trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()[:40]), "bytelevel_bpe.json")

    t = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    t.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True)
    t.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    t.decoder = decoders.WordPiece()
    t.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 1), ("[SEP]", 2)])
    train(t, trainers.WordPieceTrainer(vocab_size=60, special_tokens=special), "wordpiece.json")

    t = Tokenizer(models.Unigram())
    t.normalizer = normalizers.Sequence([normalizers.Replace("``", '"'), normalizers.NFKC(), normalizers.Lowercase()])
    t.pre_tokenizer = pre_tokenizers.Metaspace()
    t.decoder = decoders.Metaspace()
    train(t, trainers.UnigramTrainer(vocab_size=40, special_tokens=["<unk>", "</s>"], unk_token="<unk>"), "unigram.json")

    t = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation(), pre_tokenizers.Digits(individual_digits=True)])
    t.post_processor = processors.BertProcessing(("[SEP]", 2), ("[CLS]", 1))
    train(t, trainers.WordLevelTrainer(special_tokens=special), "wordlevel.json")

    t = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    t.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    t.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    t.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    train(t, trainers.BpeTrainer(vocab_size=80, special_tokens=["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(8)]), "bytefallback_bpe.json")

    t = Tokenizer(models.BPE(ignore_merges=True))
    t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(pattern=__import__("tokenizers").Regex(r"(?i:'s|'t)|\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+|\s+"), behavior="isolated"), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    t.decoder = decoders.ByteLevel()
    train(t, trainers.BpeTrainer(vocab_size=290, special_tokens=["<|begin_of_text|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()[:30]), "regex_bpe.json")


def tokenizer_config_seeds():
    for name in ("bert_wordpiece", "gpt2_bpe", "unigram_metaspace", "llama2_bytefallback", "llama3_regex_bpe"):
        copy("tokenizer_config", FIX / "tokenizers" / name / "tokenizer_config.json", f"{name}.json")
    out("tokenizer_config", "rich.json", json.dumps({
        "model_max_length": 12, "padding_side": "left", "truncation_side": "left", "clean_up_tokenization_spaces": True,
        "bos_token": {"content": "[CLS]", "lstrip": False, "rstrip": False, "normalized": False, "single_word": False, "__type": "AddedToken"},
        "eos_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "additional_special_tokens": ["[MASK]"],
        "added_tokens_decoder": {"5": {"content": "<new>", "special": True}}, "chat_template": "{{ x }}", "tokenizer_class": "BertTokenizer"}))


def model_config_seeds():
    """fuzz_model_config: config.json NUL generation_config.json NUL control block (see the target)."""
    import struct
    gen = (FIX / "models" / "gpt2" / "model" / "generation_config.json").read_bytes()
    for which, arch in enumerate(("gpt2", "llama", "bert")):
        cfg = (FIX / "models" / arch / "model" / "config.json").read_bytes()
        cls = 1 if arch == "bert" else 0  # AutoModel for bert, AutoModelForCausalLM otherwise
        out("model_config", f"{arch}_plain", cfg)
        out("model_config", f"{arch}_numbers", cfg + b"\0" + gen + b"\0" + bytes([which | cls << 2])
            + struct.pack("<qqqq", 3, 2, 120, 8))
        # the probes of issue 29: sizes near 2^57..2^63 from the config and the command line
        big = json.loads(cfg)
        big["vocab_size"] = 2**57
        out("model_config", f"{arch}_huge_vocab", json.dumps(big).encode() + b"\0" + gen + b"\0"
            + bytes([which | 0x10]) + struct.pack("<qqqq", 1, 2**63 - 1, 2**57, 2**57))


def chat_template_seeds():
    # real chat templates of the golden set (tests/data/chat_templates/), the smaller ones
    tpl = ROOT.parent / "tests" / "data" / "chat_templates" / "templates"
    for name in ("qwen2.5-instruct", "gemma-2-it", "mistral-nemo-instruct-2407", "llama-3.2-instruct", "phi-3-mini-instruct"):
        copy("chat_template", tpl / (name + ".jinja"), name + ".jinja")


if __name__ == "__main__":
    if CORPUS.exists() and "--keep" not in sys.argv:
        shutil.rmtree(CORPUS)
    configs()
    indexes()
    safetensors_seeds()
    torch_seeds()
    gguf_seeds()
    tokenizer_seeds()
    tokenizer_config_seeds()
    model_config_seeds()
    chat_template_seeds()
    for d in sorted(CORPUS.iterdir()):
        files = list(d.iterdir())
        print(d.name, len(files), "files,", sum(f.stat().st_size for f in files), "bytes")
