#pragma once
// What 4.51's Trainer decides around the optimiser: which parameters get weight decay
// (get_parameter_names / Trainer.get_decay_parameter_names), the two parameter groups
// create_optimizer builds from them, and the token count a gradient-accumulation window divides
// its summed loss by (Trainer.get_batch_samples' num_items_in_batch).
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "transformers/core/tensor.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/nn/module.hpp"
#include "transformers/training/optimization.hpp"

namespace transformers::training {

// trainer_pt_utils.get_parameter_names: every parameter name not inside a module whose class is
// one of forbidden_layer_types (at any depth) and whose full name, lower-cased, contains none of
// forbidden_layer_names (substring test, as 4.51 does). Tied weights appear under each name.
std::vector<std::string> get_parameter_names(const nn::Module& model, const std::set<std::string>& forbidden_layer_types,
                                             const std::vector<std::string>& forbidden_layer_names = {});

// Trainer.get_decay_parameter_names: forbidden types are ALL_LAYERNORM_LAYERS (nn.LayerNorm, and
// LlamaRMSNorm once modeling_llama is imported, i.e. for a Llama model; the other families' RMSNorm
// classes are not in that list, so their final norm weight is decayed unless its name says
// "layernorm"/"rmsnorm"), forbidden names "bias", "layernorm", "rmsnorm".
std::vector<std::string> get_decay_parameter_names(const PreTrainedModel& model);

// Trainer.create_optimizer's groups over trainable_parameters(model): first the decayed
// parameters (weight_decay), then the rest (0.0), each in named_parameters order. Run it before
// building the optimizer; it makes read-only parameters writable as trainable_parameters does.
std::vector<ParamGroup> decay_parameter_groups(PreTrainedModel& model, double weight_decay);

// Trainer.get_batch_samples: the labels different from -100 over every micro-batch of one
// accumulation window (before any shift: 4.51 counts a causal LM's first label too).
int64_t count_num_items_in_batch(const std::vector<Tensor>& labels_per_batch);

// The row order of epoch `epoch` as 4.51 Trainer's train dataloader yields it: accelerate's
// SeedableRandomSampler seeds a torch generator with seed + epoch (args.seed, which Trainer gave
// torch.manual_seed) and RandomSampler takes torch.randperm(n) from it. Reproduced exactly: torch's
// CPU generator is MT19937 seeded with the seed's low 32 bits, and randperm is a Fisher-Yates pass
// swapping r[i] with r[i + random() % (n - i)]. ValueError for n at or beyond uint32 max / 20, where
// torch draws 64-bit numbers instead.
std::vector<int64_t> seeded_random_order(int64_t n, uint64_t seed, int64_t epoch);

}  // namespace transformers::training
