// Config defaults built from another class's table (see config_init.hpp): a Llama-like config
// class states only what its configuration_<arch>.py changes.
#include "config_init.hpp"

namespace transformers::models_detail {

json defaults_from(const json& base, const json& changed, std::initializer_list<const char*> dropped) {
  json out = base;
  for (const char* key : dropped) {
    if (!out.contains(key)) throw ValueError(std::string("defaults_from: the base table has no key '") + key + "' to drop");
    out.erase(key);
  }
  for (auto& [key, value] : changed.items()) out[key] = value;
  return out;
}

}  // namespace transformers::models_detail
