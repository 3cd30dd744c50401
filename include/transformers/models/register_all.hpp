#pragma once
// Registers every architecture of models/ (configs and model classes) with the registries the Auto
// classes and from_pretrained read. Idempotent; call once before building models from configs.
namespace transformers {
void register_all_models();
}
