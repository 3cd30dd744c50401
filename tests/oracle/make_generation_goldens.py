#!/usr/bin/env python
"""Goldens for tests/generation, made by transformers 4.51.3's own generation code.

Run with /work/venv/bin/python (transformers==4.51.3, torch CPU). Writes
tests/data/generation/processors.json  (each processor/warper on fixed input_ids and scores),
tests/data/generation/generate.json    (generate() on the tiny gpt2/llama fixture models),
tests/data/generation/stop_strings.json (StopStringCriteria with a fixture tokenizer).
Float32 values are written with repr() of their float64 widening (exact round trip); infinities and
NaN as the strings "inf", "-inf", "nan".
"""
import json
import math
import os
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast
from transformers.generation import logits_process as lp
from transformers.generation.stopping_criteria import StopStringCriteria

assert transformers.__version__ == "4.51.3", transformers.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "generation")
FIX = os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "hf")


def fl(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def floats(t):
    return [[fl(v) for v in row] for row in t.tolist()]


def processor_cases():
    g = torch.Generator().manual_seed(0)
    B, L, V = 3, 6, 40
    input_ids = torch.randint(0, 12, (B, L), generator=g)
    # Repeated patterns so n-gram, bad-word and sequence-bias prefixes match in some rows.
    input_ids[0] = torch.tensor([3, 7, 3, 7, 5, 3])
    input_ids[1] = torch.tensor([1, 2, 3, 9, 9, 9])
    scores = (torch.randn(B, V, generator=g) * 3).float()
    scores[2, 5] = scores[2, 6]  # a tie
    short_ids = input_ids[:, :1].clone()
    cases = []

    def add(name, proc, params, ids=input_ids, sc=scores):
        out = proc(ids.clone(), sc.clone())
        cases.append({"name": name, "processor": type(proc).__name__, "params": params,
                      "input_ids": ids.tolist(), "scores": floats(sc), "expected": floats(out)})

    add("repetition_penalty_1.3", lp.RepetitionPenaltyLogitsProcessor(1.3), {"penalty": 1.3})
    add("repetition_penalty_0.7", lp.RepetitionPenaltyLogitsProcessor(0.7), {"penalty": 0.7})
    add("no_repeat_ngram_2", lp.NoRepeatNGramLogitsProcessor(2), {"ngram_size": 2})
    add("no_repeat_ngram_3", lp.NoRepeatNGramLogitsProcessor(3), {"ngram_size": 3})
    add("no_repeat_ngram_7", lp.NoRepeatNGramLogitsProcessor(7), {"ngram_size": 7})
    bad = [[5], [2], [3, 7], [9, 9, 4], [1, 2, 3, 9, 9, 9, 8]]
    add("bad_words", lp.NoBadWordsLogitsProcessor(bad, eos_token_id=2), {"bad_words_ids": bad, "eos_token_id": [2]})
    add("min_length_active", lp.MinLengthLogitsProcessor(10, [2, 4]), {"min_length": 10, "eos_token_id": [2, 4]})
    add("min_length_inactive", lp.MinLengthLogitsProcessor(6, [2, 4]), {"min_length": 6, "eos_token_id": [2, 4]})
    add("min_new_tokens_active", lp.MinNewTokensLengthLogitsProcessor(3, 4, 2),
        {"prompt_length_to_skip": 3, "min_new_tokens": 4, "eos_token_id": [2]})
    add("min_new_tokens_inactive", lp.MinNewTokensLengthLogitsProcessor(3, 3, 2),
        {"prompt_length_to_skip": 3, "min_new_tokens": 3, "eos_token_id": [2]})
    add("forced_bos_active", lp.ForcedBOSTokenLogitsProcessor(7), {"bos_token_id": 7}, ids=short_ids)
    add("forced_bos_inactive", lp.ForcedBOSTokenLogitsProcessor(7), {"bos_token_id": 7})
    add("forced_eos_active", lp.ForcedEOSTokenLogitsProcessor(7, [2, 11]), {"max_length": 7, "eos_token_id": [2, 11]})
    add("forced_eos_inactive", lp.ForcedEOSTokenLogitsProcessor(9, 2), {"max_length": 9, "eos_token_id": [2]})
    add("suppress_tokens", lp.SuppressTokensLogitsProcessor([1, 4, 9, 39]), {"suppress_tokens": [1, 4, 9, 39]})
    add("begin_suppress_active", lp.SuppressTokensAtBeginLogitsProcessor([0, 3], 6),
        {"begin_suppress_tokens": [0, 3], "begin_index": 6})
    add("begin_suppress_inactive", lp.SuppressTokensAtBeginLogitsProcessor([0, 3], 5),
        {"begin_suppress_tokens": [0, 3], "begin_index": 5})
    add("exponential_decay", lp.ExponentialDecayLengthPenalty((2, 1.5), [2, 7], 2),
        {"start_index": 2, "decay_factor": 1.5, "eos_token_id": [2, 7], "input_ids_seq_length": 2})
    add("exponential_decay_inactive", lp.ExponentialDecayLengthPenalty((4, 1.5), 2, 2),
        {"start_index": 4, "decay_factor": 1.5, "eos_token_id": [2], "input_ids_seq_length": 2})
    add("logit_normalization", lp.LogitNormalization(), {})
    sb = [[[4], 2.5], [[3, 7], -1.5], [[9, 9], 1.0], [[9, 9, 9, 4], 0.25], [[3], 0.5]]
    add("sequence_bias", lp.SequenceBiasLogitsProcessor(sb), {"sequence_bias": sb})
    nan_scores = scores.clone()
    nan_scores[0, 1] = float("nan")
    nan_scores[1, 2] = float("inf")
    nan_scores[2, 3] = float("-inf")
    add("inf_nan_remove", lp.InfNanRemoveLogitsProcessor(), {}, sc=nan_scores)
    add("temperature_0.7", lp.TemperatureLogitsWarper(0.7), {"temperature": 0.7})
    add("temperature_1.3", lp.TemperatureLogitsWarper(1.3), {"temperature": 1.3})
    add("top_k_5", lp.TopKLogitsWarper(5), {"top_k": 5, "min_tokens_to_keep": 1})
    add("top_k_1_keep_3", lp.TopKLogitsWarper(1, min_tokens_to_keep=3), {"top_k": 1, "min_tokens_to_keep": 3})
    add("top_p_0.8", lp.TopPLogitsWarper(0.8), {"top_p": 0.8, "min_tokens_to_keep": 1})
    add("top_p_0.3_keep_2", lp.TopPLogitsWarper(0.3, min_tokens_to_keep=2), {"top_p": 0.3, "min_tokens_to_keep": 2})
    add("min_p_0.1", lp.MinPLogitsWarper(0.1), {"min_p": 0.1, "min_tokens_to_keep": 1})
    add("min_p_0.5_keep_3", lp.MinPLogitsWarper(0.5, min_tokens_to_keep=3), {"min_p": 0.5, "min_tokens_to_keep": 3})
    add("typical_p_0.9", lp.TypicalLogitsWarper(0.9), {"mass": 0.9, "min_tokens_to_keep": 1})
    add("typical_p_0.5_keep_2", lp.TypicalLogitsWarper(0.5, min_tokens_to_keep=2), {"mass": 0.5, "min_tokens_to_keep": 2})
    add("epsilon_0.03", lp.EpsilonLogitsWarper(0.03), {"epsilon": 0.03, "min_tokens_to_keep": 1})
    add("epsilon_0.2_keep_3", lp.EpsilonLogitsWarper(0.2, min_tokens_to_keep=3), {"epsilon": 0.2, "min_tokens_to_keep": 3})
    add("eta_0.03", lp.EtaLogitsWarper(0.03), {"epsilon": 0.03, "min_tokens_to_keep": 1})
    add("eta_0.2_keep_2", lp.EtaLogitsWarper(0.2, min_tokens_to_keep=2), {"epsilon": 0.2, "min_tokens_to_keep": 2})
    return cases


def generate_cases():
    cases = []
    prompts = {"single": ([[18, 54, 9, 56, 47]], None),
               "left_pad": ([[18, 54, 9, 56, 47, 55], [0, 0, 84, 90, 76, 61], [0, 0, 0, 0, 12, 33]],
                            [[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1]]),
               "left_pad_nomask": ([[18, 54, 9, 56, 47, 55], [0, 0, 84, 90, 76, 61], [0, 0, 0, 0, 12, 33]], None)}
    configs = [
        # beam search variants
        ("beam4_ret2", "left_pad", dict(num_beams=4, num_return_sequences=2, max_new_tokens=8)),
        ("beam4_eos_list_lp2_early_true", "left_pad", dict(num_beams=4, num_return_sequences=4, max_new_tokens=10,
                                                            eos_token_id=[54, 70], length_penalty=2.0, early_stopping=True)),
        ("beam4_eos_list_lp2_early_false", "left_pad", dict(num_beams=4, num_return_sequences=3, max_new_tokens=10,
                                                             eos_token_id=[54, 70], length_penalty=2.0, early_stopping=False)),
        ("beam4_eos_list_lp05_never", "left_pad", dict(num_beams=4, num_return_sequences=2, max_new_tokens=10,
                                                        eos_token_id=[54, 70], length_penalty=0.5, early_stopping="never")),
        ("beam3_eos_lpneg_never", "single", dict(num_beams=3, num_return_sequences=3, max_new_tokens=9,
                                                  eos_token_id=[96], length_penalty=-1.0, early_stopping="never")),
        ("beam5_eos_lp1_false", "single", dict(num_beams=5, num_return_sequences=5, max_new_tokens=12,
                                                eos_token_id=[54, 96, 70], early_stopping=False)),
        ("beam2_min_new", "single", dict(num_beams=2, max_new_tokens=7, min_new_tokens=3, eos_token_id=70)),
        ("beam3_no_repeat", "left_pad", dict(num_beams=3, max_new_tokens=8, no_repeat_ngram_size=2, repetition_penalty=1.2)),
        # greedy with processors
        ("greedy_bad_words", "left_pad", dict(max_new_tokens=8, bad_words_ids=[[54], [70, 54], [96, 96]])),
        ("greedy_forced_bos_eos", "single", dict(max_new_tokens=6, forced_bos_token_id=33, forced_eos_token_id=[5, 6])),
        ("greedy_suppress", "left_pad", dict(max_new_tokens=6, suppress_tokens=[54, 96], begin_suppress_tokens=[70, 1])),
        ("greedy_sequence_bias", "left_pad", dict(max_new_tokens=8, sequence_bias=[[[54], -3.0], [[54, 54], -50.0], [[70], 1.5]])),
        ("greedy_eos_list", "left_pad", dict(max_new_tokens=10, eos_token_id=[96, 1, 30])),
        ("greedy_min_length_exp_decay", "left_pad", dict(max_length=16, min_length=9, eos_token_id=[1, 96],
                                                         exponential_decay_length_penalty=(2, 1.8))),
        ("greedy_renormalize_rep", "single", dict(max_new_tokens=8, repetition_penalty=0.8, renormalize_logits=True)),
        ("greedy_no_pad_token", "left_pad", dict(max_new_tokens=8, pad_token_id=None, eos_token_id=[96])),
        ("greedy_max_length_default", "single", dict()),
        ("greedy_inferred_mask", "left_pad_nomask", dict(max_new_tokens=6)),
        ("greedy_no_cache", "left_pad", dict(max_new_tokens=6, use_cache=False)),
        ("beam3_no_cache_lp0", "left_pad", dict(num_beams=3, num_return_sequences=2, max_new_tokens=6, use_cache=False,
                                                eos_token_id=[54, 96], length_penalty=0.0)),
        ("greedy_max_length_min_length", "left_pad", dict(max_length=13, min_length=12, eos_token_id=[54, 70, 96, 1])),
    ]
    for arch in ["gpt2", "llama"]:
        model = AutoModelForCausalLM.from_pretrained(os.path.join(FIX, "models", arch, "model"),
                                                     torch_dtype=torch.float32, attn_implementation="eager")
        model.eval()
        for name, prompt, kw in configs:
            ids, mask = prompts[prompt]
            ids_t = torch.tensor(ids)
            args = dict(kw)
            if mask is not None:
                args["attention_mask"] = torch.tensor(mask)
            with torch.no_grad():
                out = model.generate(ids_t, do_sample=False, return_dict_in_generate=True, output_scores=True,
                                     output_logits=True, **args)
            case = {"arch": arch, "name": name, "input_ids": ids, "attention_mask": mask,
                    "kwargs": {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()},
                    "sequences": out.sequences.tolist()}
            if getattr(out, "sequences_scores", None) is not None:
                case["sequences_scores"] = [fl(v) for v in out.sequences_scores.tolist()]
            if getattr(out, "beam_indices", None) is not None:
                case["beam_indices"] = out.beam_indices.tolist()
            if "num_beams" not in kw:
                # processed scores of each step (greedy): [steps][batch][vocab]
                case["scores"] = [floats(s) for s in out.scores]
            cases.append(case)
    return cases


def stop_string_cases():
    tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(FIX, "tokenizers", "gpt2_bpe", "tokenizer.json"))
    texts = ["Hello world, this is the end.", "I said stop", "stopping now", "no match here", "the cat sat",
             "end"]
    stops = ["stop", "end.", "cat sat", "t s"]
    crit = StopStringCriteria(tokenizer=tok, stop_strings=stops)
    rows = []
    for t in texts:
        ids = tok(t, add_special_tokens=False)["input_ids"]
        # every prefix, so both "just matched" and "matched earlier" are covered
        for n in range(1, len(ids) + 1):
            r = crit(torch.tensor([ids[:n]]), None)
            rows.append({"input_ids": ids[:n], "expected": bool(r[0])})
    return {"tokenizer": "gpt2_bpe", "stop_strings": stops, "cases": rows}


def dump(name, obj):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(obj, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    dump("processors.json", {"transformers_version": transformers.__version__, "cases": processor_cases()})
    dump("stop_strings.json", stop_string_cases())
    dump("generate.json", {"transformers_version": transformers.__version__, "cases": generate_cases()})
    print("ok")
