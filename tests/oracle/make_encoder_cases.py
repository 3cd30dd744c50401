#!/usr/bin/env python3
"""Oracle for the encoder families and heads (issue #23): RoBERTa, XLM-RoBERTa, DistilBERT and BERT's
heads, with transformers 4.51.3.

    /work/venv/bin/python tests/oracle/make_encoder_cases.py [--out tests/data/models/encoders]

Tiny random checkpoints (hidden 32, 2 layers, 4 heads, vocab 99, weights std 0.25 as models_parity.redraw
draws them). Per architecture one "base" case is a full save_pretrained folder (its *ForMaskedLM); every
other head of that architecture is a case folder with config.json (config.to_json_file) and
head.safetensors holding only the tensors the base checkpoint lacks (its classifier, pooler, ...): the
head model is built on the base case's weights, which keeps the committed data small. Each case has
expected.safetensors: the inputs (a padded batch; padded positions hold pad_token_id, which RoBERTa's
position ids depend on), the outputs named in the metadata ("logits", or "start_logits"/"end_logits", ...)
with eager attention, and the outputs with sdpa (suffix "_sdpa"); the base cases and the base model
classes also all hidden states and attention probabilities. Metadata: class, outputs, base (the base case, or ""), auto (the Auto class that must
resolve to this class).
"""
import argparse
import json
import os
import shutil
import sys

import torch
import transformers
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models_parity import masks, redraw  # noqa: E402

assert transformers.__version__ == "4.51.3", transformers.__version__
torch.set_grad_enabled(False)
T = transformers

BERTLIKE = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=20,
                max_position_embeddings=16)
DISTIL = dict(vocab_size=99, dim=32, n_layers=2, n_heads=4, hidden_dim=20, max_position_embeddings=16)


def inputs_for(config, seed, batch, seq, mask_kind, choices=0, token_types=False):
    g = torch.Generator().manual_seed(seed + 1)
    shape = (batch, choices, seq) if choices else (batch, seq)
    ids = torch.randint(3, config.vocab_size, shape, generator=g)
    mask = masks(mask_kind, batch * max(choices, 1), seq).view(shape)
    ids = ids.masked_fill(mask == 0, config.pad_token_id)
    res = {"input_ids": ids, "attention_mask": mask}
    if token_types:
        res["token_type_ids"] = torch.randint(0, config.type_vocab_size, shape, generator=g)
    return res


def build(cls, config, attn):
    return cls._from_config(config, attn_implementation=attn).eval()


def base_weights(model, base_model):
    """The base case's tensors under this model's names (a base model class has no prefix)."""
    sd = base_model.state_dict()
    if hasattr(model, model.base_model_prefix):
        return sd
    p = model.base_model_prefix + "."
    return {k[len(p):]: v for k, v in sd.items() if k.startswith(p)}


def make(out_dir, name, cls, config, seed, batch, seq, mask_kind, outputs, auto, base=None, choices=0,
         token_types=False, extra=None):
    """base: (name, model) of the base case whose weights this head model starts from."""
    torch.manual_seed(seed)
    model = build(cls, config, "eager")
    redraw(model, seed)
    if base is not None:  # the base case's tensors where the names agree; the head's own stay redrawn
        have = base_weights(model, base[1])
        model.load_state_dict({k: v for k, v in have.items() if k in model.state_dict()}, strict=False)
    model.tie_weights()
    if cls._supports_sdpa:
        sdpa = build(cls, config, "sdpa")
        sdpa.load_state_dict(model.state_dict())
        sdpa.tie_weights()

    inputs = inputs_for(config, seed, batch, seq, mask_kind, choices, token_types)
    exp = dict(inputs)
    o = model(**inputs, output_hidden_states=True, output_attentions=True)
    for k in outputs:
        exp[k] = getattr(o, k)
    if base is None or cls.__name__.endswith("Model"):  # the heads add nothing below the top layer
        exp["hidden_states"] = torch.stack(o.hidden_states)
        exp["attentions"] = torch.stack(o.attentions)
    if cls._supports_sdpa:
        s = sdpa(**inputs)
        for k in outputs:
            exp[k + "_sdpa"] = getattr(s, k)
    if extra:
        exp.update(extra)

    d = os.path.join(out_dir, name)
    shutil.rmtree(d, ignore_errors=True)
    if base is None:
        model.save_pretrained(d)
        for f in os.listdir(d):
            if f == "generation_config.json":
                os.remove(os.path.join(d, f))
    else:
        os.makedirs(d)
        model.config.architectures = [cls.__name__]
        model.config.to_json_file(os.path.join(d, "config.json"))
        have = base_weights(model, base[1])
        own = {k: v.contiguous() for k, v in model.state_dict().items() if k not in have}
        save_file(own, os.path.join(d, "head.safetensors"))
    meta = {"class": cls.__name__, "outputs": outputs, "base": base[0] if base else "", "auto": auto}
    if not cls._supports_sdpa:  # 4.51 refuses attn_implementation="sdpa" for the class (ValueError)
        meta["sdpa"] = False
    save_file({k: v.contiguous() for k, v in exp.items()}, os.path.join(d, "expected.safetensors"),
              metadata={k: json.dumps(v) for k, v in meta.items()})
    return name, model


HEADS = {  # head -> (config kwargs, seed offset, batch, seq, padding, outputs, Auto class, choices)
    "Model": ({}, 1, 2, 8, "middle", ["last_hidden_state", "pooler_output"], "AutoModel", 0),
    "ForSequenceClassification": ({"num_labels": 3}, 2, 3, 8, "left", ["logits"],
                                  "AutoModelForSequenceClassification", 0),
    "ForTokenClassification": ({"num_labels": 5}, 3, 2, 8, "right", ["logits"], "AutoModelForTokenClassification", 0),
    "ForQuestionAnswering": ({}, 4, 3, 8, "right", ["start_logits", "end_logits"], "AutoModelForQuestionAnswering", 0),
    "ForMultipleChoice": ({}, 5, 2, 7, "right", ["logits"], "AutoModelForMultipleChoice", 3),
    "ForNextSentencePrediction": ({}, 6, 3, 8, "left", ["logits"], "AutoModelForNextSentencePrediction", 0),
    "ForPreTraining": ({}, 7, 3, 8, "right", ["prediction_logits", "seq_relationship_logits"],
                       "AutoModelForPreTraining", 0),
}
SNAKE = {"Model": "model", "ForSequenceClassification": "seq_cls", "ForTokenClassification": "token_cls",
         "ForQuestionAnswering": "qa", "ForMultipleChoice": "multiple_choice", "ForNextSentencePrediction": "nsp",
         "ForPreTraining": "pretraining"}


def family(out, prefix, config_cls, seed, cfg, mlm_mask, token_types, heads, base_extra=None, model_outputs=None,
           name=None, seq=None):
    """One architecture: the MaskedLM base case, then `heads` on the same weights. name: the case
    folders' prefix (default prefix.lower()); seq: one sequence length for every case instead of HEADS'."""
    name = name or prefix.lower()
    made = {}
    base = make(out, f"{name}_masked_lm", getattr(T, prefix + "ForMaskedLM"), config_cls(**cfg), seed, 3,
                seq or 8, mlm_mask, ["logits"], "AutoModelForMaskedLM", token_types=token_types, extra=base_extra)
    for head in heads:
        kw, off, b, s, pad, outputs, auto, choices = HEADS[head]
        if head == "Model" and model_outputs:
            outputs = model_outputs
        made[head] = make(out, f"{name}_{SNAKE[head]}", getattr(T, prefix + head), config_cls(**cfg, **kw),
                          seed + off, b, seq or s, pad, outputs, auto, base=base, choices=choices,
                          token_types=token_types)[1]
    return made


ROBERTA_HEADS = ["Model", "ForSequenceClassification", "ForTokenClassification", "ForQuestionAnswering",
                 "ForMultipleChoice"]


def deberta_losses(model, path):
    """DebertaV2ForSequenceClassification's own loss (problem_type unset) on the case's inputs: integer
    labels with a negative one (dropped), all negative (0), label distributions. (A [batch, 1] column of
    labels fails in 4.51's gather.)"""
    e = {k: v for k, v in inputs_for(model.config, 171, 3, 8, "right").items()}
    g = torch.Generator().manual_seed(172)
    labels = {"int_mixed": torch.tensor([2, -1, 0]), "int_none": torch.tensor([-1, -1, -1]),
              "soft": torch.softmax(torch.randn(3, 3, generator=g), -1)}
    for k, lab in labels.items():
        model.config.problem_type = None
        e["labels_" + k] = lab
        e["loss_" + k] = model(**{n: e[n] for n in ("input_ids", "attention_mask")}, labels=lab).loss.reshape(())
    save_file({k: v.contiguous() for k, v in e.items()}, path)


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "models", "encoders"))
    a = ap.parse_args()
    shutil.rmtree(a.out, ignore_errors=True)
    os.makedirs(a.out)
    # RoBERTa: pad_token_id 1, so positions start at 2; one token type as the released checkpoints.
    family(a.out, "Roberta", T.RobertaConfig, 101, dict(BERTLIKE, type_vocab_size=1), "right", False, ROBERTA_HEADS)
    family(a.out, "XLMRoberta", T.XLMRobertaConfig, 111, dict(BERTLIKE, hidden_act="gelu_new"), "left", True,
           ROBERTA_HEADS)
    # BERT's heads beyond MaskedLM / sequence / token classification (those have cases in models_parity.py).
    family(a.out, "Bert", T.BertConfig, 131, dict(BERTLIKE), "middle", True,
           ["ForQuestionAnswering", "ForMultipleChoice", "ForNextSentencePrediction", "ForPreTraining"])
    # DistilBERT with sinusoidal position embeddings: the checkpoint stores them (redrawn here), and the
    # table a fresh model initialises is recorded as "sinusoidal" for from_config.
    distil = dict(DISTIL, sinusoidal_pos_embds=True, activation="gelu")
    torch.manual_seed(0)
    fresh = T.DistilBertModel(T.DistilBertConfig(**distil)).embeddings.position_embeddings.weight.detach().clone()
    family(a.out, "DistilBert", T.DistilBertConfig, 121, distil, "right", False, ROBERTA_HEADS,
           base_extra={"sinusoidal": fresh}, model_outputs=["last_hidden_state"])
    # MPNet: 20 positions, so the relative position bias reaches its logarithmic buckets (|j - i| >= 8);
    # "buckets" is 4.51's relative_position_bucket for j - i = -600..600 (past the 128 clamp).
    rel = torch.arange(-600, 601)
    buckets = T.models.mpnet.modeling_mpnet.MPNetEncoder.relative_position_bucket(rel)
    family(a.out, "MPNet", T.MPNetConfig, 141, dict(BERTLIKE, max_position_embeddings=24), "right", False,
           ROBERTA_HEADS, base_extra={"relative_position": rel, "buckets": buckets}, seq=20)
    # DeBERTa-v2 as v3 ships it: shared attention keys, c2p + p2c over log buckets (position_buckets 8, so
    # |i - j| > 4 is bucketed at 20 positions), LayerNorm'ed relative embeddings, no absolute positions,
    # no token types, the legacy MLM head. "log_buckets": 4.51's make_log_bucket_position for
    # i - j = -1100..1100 with deberta-v3's (256, 512) and with this config's (8, 24).
    make_log = T.models.deberta_v2.modeling_deberta_v2.make_log_bucket_position
    rel = torch.arange(-1100, 1101)
    v3 = dict(BERTLIKE, max_position_embeddings=24, relative_attention=True, position_buckets=8,
              max_relative_positions=-1, pos_att_type=["p2c", "c2p"], share_att_key=True, norm_rel_ebd="layer_norm",
              position_biased_input=False, type_vocab_size=0, layer_norm_eps=1e-7)
    made = family(a.out, "DebertaV2", T.DebertaV2Config, 151, v3, "right", False, ROBERTA_HEADS,
                  base_extra={"relative_position": rel, "log_buckets_256_512": make_log(rel, 256, 512).long(),
                              "log_buckets_8_24": make_log(rel, 8, 24).long()},
                  model_outputs=["last_hidden_state"], seq=20)
    deberta_losses(made["ForSequenceClassification"], os.path.join(a.out, "debertav2_seq_cls", "losses.safetensors"))
    # DeBERTa-v2 as v2-xlarge ships it: own pos_key_proj / pos_query_proj, plain relative positions up to
    # max_position_embeddings, pos_att_type as the old "p2c|c2p" string, absolute positions, token types,
    # the ConvLayer after the first layer; and the non-legacy MLM head (untied, as 4.51 needs it).
    v2 = dict(BERTLIKE, max_position_embeddings=24, relative_attention=True, pos_att_type="p2c|c2p",
              norm_rel_ebd="layer_norm", type_vocab_size=2, conv_kernel_size=3, conv_act="gelu", legacy=False,
              tie_word_embeddings=False, layer_norm_eps=1e-7)
    family(a.out, "DebertaV2", T.DebertaV2Config, 161, v2, "left", True, ["Model", "ForSequenceClassification"],
           model_outputs=["last_hidden_state"], name="debertav2_conv", seq=12)
    from make_modernbert_cases import modernbert_cases  # ModernBERT's cases live in this folder too
    modernbert_cases(a.out)


if __name__ == "__main__":
    main()
