"""Model outputs with transformers 4.51's class and field names (CausalLMOutputWithPast,
MaskedLMOutput, SequenceClassifierOutput, ...): a dict of the fields that are set, in the class's
field order, readable as attributes (a field of the class that is not set reads as None) and by
position (to_tuple order), as transformers' ModelOutput is.

The engine fills them directly (python/src/models.cpp reads `_codes`, the engine field behind each
name), so a forward call builds one object and no intermediate dict."""
from __future__ import annotations

from typing import Any, Dict, Tuple

# The engine's output fields, numbered as python/src/models.cpp reads them (-1: never set here).
_ENGINE_FIELDS = {"loss": 0, "logits": 1, "last_hidden_state": 2, "pooler_output": 3, "start_logits": 4,
                  "end_logits": 5, "prediction_logits": 6, "seq_relationship_logits": 7, "past_key_values": 8,
                  "hidden_states": 9, "attentions": 10}


class ModelOutput(dict):
    """transformers' ModelOutput. Subclasses name their fields in `_fields` (4.51's dataclass order)."""

    _fields: Tuple[str, ...] = ("loss", "logits", "last_hidden_state", "pooler_output", "start_logits",
                                "end_logits", "prediction_logits", "seq_relationship_logits", "past_key_values",
                                "hidden_states", "attentions")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._prepare()

    @classmethod
    def _prepare(cls) -> None:
        cls._fieldset = frozenset(cls._fields)
        cls._codes = tuple(_ENGINE_FIELDS.get(f, -1) for f in cls._fields)
        # whether the engine makes a key/value cache for this output (decoders with use_cache)
        cls._with_cache = "past_key_values" in cls._fieldset and cls.__dict__.get("_with_cache", True)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            if name in type(self)._fieldset:
                return None
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, (int, slice)):
            return self.to_tuple()[key]
        return super().__getitem__(key)

    def to_tuple(self) -> Tuple[Any, ...]:
        return tuple(self.values())


ModelOutput._prepare()


def _output(name: str, fields: str, with_cache: bool = True) -> type:
    cls = type(name, (ModelOutput,), {"_fields": tuple(fields.split()), "_with_cache": with_cache,
                                      "__doc__": f"transformers' {name}."})
    cls.__module__ = __name__
    return cls


# The field lists of transformers 4.51 (tests/data/python/output_classes_hf451.json is the oracle).
BaseModelOutput = _output("BaseModelOutput", "last_hidden_state hidden_states attentions")
BaseModelOutputWithPast = _output("BaseModelOutputWithPast", "last_hidden_state past_key_values hidden_states attentions")
BaseModelOutputWithPastAndCrossAttentions = _output(
    "BaseModelOutputWithPastAndCrossAttentions",
    "last_hidden_state past_key_values hidden_states attentions cross_attentions")
BaseModelOutputWithPoolingAndCrossAttentions = _output(
    "BaseModelOutputWithPoolingAndCrossAttentions",
    "last_hidden_state pooler_output hidden_states past_key_values attentions cross_attentions",
    with_cache=False)  # the BERT-family base models: never decoders here, so never a cache
BaseModelOutputWithPooling = _output("BaseModelOutputWithPooling",
                                     "last_hidden_state pooler_output hidden_states attentions")
MoeModelOutputWithPast = _output("MoeModelOutputWithPast",
                                 "last_hidden_state past_key_values hidden_states attentions router_logits")
CausalLMOutputWithPast = _output("CausalLMOutputWithPast", "loss logits past_key_values hidden_states attentions")
CausalLMOutputWithCrossAttentions = _output("CausalLMOutputWithCrossAttentions",
                                            "loss logits past_key_values hidden_states attentions cross_attentions")
MoeCausalLMOutputWithPast = _output("MoeCausalLMOutputWithPast",
                                    "loss aux_loss logits past_key_values hidden_states attentions router_logits")
MaskedLMOutput = _output("MaskedLMOutput", "loss logits hidden_states attentions")
SequenceClassifierOutput = _output("SequenceClassifierOutput", "loss logits hidden_states attentions")
SequenceClassifierOutputWithPast = _output("SequenceClassifierOutputWithPast",
                                           "loss logits past_key_values hidden_states attentions")
TokenClassifierOutput = _output("TokenClassifierOutput", "loss logits hidden_states attentions")
QuestionAnsweringModelOutput = _output("QuestionAnsweringModelOutput",
                                       "loss start_logits end_logits hidden_states attentions")
MultipleChoiceModelOutput = _output("MultipleChoiceModelOutput", "loss logits hidden_states attentions")
NextSentencePredictorOutput = _output("NextSentencePredictorOutput", "loss logits hidden_states attentions")
BertForPreTrainingOutput = _output("BertForPreTrainingOutput",
                                   "loss prediction_logits seq_relationship_logits hidden_states attentions")

# Encoder families (no key/value cache in their outputs); every other architecture is a decoder.
_ENCODERS = ("XLMRoberta", "Roberta", "DistilBert", "Bert", "DebertaV2", "MPNet", "ModernBert")
# Classes whose output differs from their family's rule below.
_SPECIAL: Dict[str, type] = {
    "GPT2Model": BaseModelOutputWithPastAndCrossAttentions,
    "GPT2LMHeadModel": CausalLMOutputWithCrossAttentions,
    "DistilBertModel": BaseModelOutput,
    "DebertaV2Model": BaseModelOutput,
    "MPNetModel": BaseModelOutputWithPooling,
    "ModernBertModel": BaseModelOutput,
    "MixtralModel": MoeModelOutputWithPast,
    "MixtralForCausalLM": MoeCausalLMOutputWithPast,
    "Qwen2MoeModel": MoeModelOutputWithPast,
    "Qwen2MoeForCausalLM": MoeCausalLMOutputWithPast,
    "BertForPreTraining": BertForPreTrainingOutput,
    "BertForNextSentencePrediction": NextSentencePredictorOutput,
}
_BY_HEAD = (  # (class-name suffix, encoder output, decoder output)
    ("ForCausalLM", CausalLMOutputWithPast, CausalLMOutputWithPast),
    ("ForMaskedLM", MaskedLMOutput, MaskedLMOutput),
    ("ForSequenceClassification", SequenceClassifierOutput, SequenceClassifierOutputWithPast),
    ("ForTokenClassification", TokenClassifierOutput, TokenClassifierOutput),
    ("ForQuestionAnswering", QuestionAnsweringModelOutput, QuestionAnsweringModelOutput),
    ("ForMultipleChoice", MultipleChoiceModelOutput, MultipleChoiceModelOutput),
    ("Model", BaseModelOutputWithPoolingAndCrossAttentions, BaseModelOutputWithPast),
)


def output_class(model_class: str) -> type:
    """The output class 4.51's `model_class`.forward returns (ModelOutput when not known)."""
    if model_class in _SPECIAL:
        return _SPECIAL[model_class]
    encoder = model_class.startswith(_ENCODERS)
    for suffix, enc, dec in _BY_HEAD:
        if model_class.endswith(suffix):
            return enc if encoder else dec
    return ModelOutput


__all__ = ["ModelOutput", "output_class"] + [n for n, v in list(globals().items())
                                              if isinstance(v, type) and issubclass(v, ModelOutput)
                                              and v is not ModelOutput]
