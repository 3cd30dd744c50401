#pragma once
// HubOptions: the one "where from" options struct. Python passes the same keyword arguments
// (revision, token, cache_dir, local_files_only, force_download, proxies, subfolder) to every
// from_pretrained — model, config, generation config, tokenizer — and on to huggingface_hub; here
// they are this one struct, held as `.hub` by FromPretrainedOptions, ConfigLoadOptions,
// GenerationConfigLoadOptions and AutoTokenizerOptions and taken as is by every hub call:
//
//   AutoModelForCausalLM::from_pretrained("org/name", {.torch_dtype = "auto",
//                                                       .hub = {.revision = "v1.0", .local_files_only = true}});
//   AutoTokenizer::from_pretrained("org/name", {.hub = {.revision = "v1.0"}});
//
// The path or repo id itself stays the first argument of each call, as in Python.
// Header of its own (no other include of the library) so that the layers below the Hub client's
// callers (modeling, generation, tokenizers) see the options without the hub functions.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace transformers::hub {

// Called while a file downloads: (filename in repo, bytes so far, total bytes or 0 when unknown).
using ProgressCallback = std::function<void(const std::string& filename, std::uint64_t done, std::uint64_t total)>;

struct HubOptions {
  std::string revision = "main";           // branch, tag, 40-hex commit or refs/pr/N
  std::string cache_dir;                   // empty: default hub cache (see default_cache_dir())
  std::optional<std::string> token;        // nullopt: implicit (env, token file); "": send no token
  bool force_download = false;             // ignore cached copies and download again
  bool local_files_only = false;           // never touch the network (also forced by offline env)
  std::map<std::string, std::string> proxies;  // requests-style: {"https": "http://proxy:3128"}, "all", "http://host"
  std::string repo_type = "model";         // "model", "dataset" or "space"
  std::string user_agent;                  // extra "key/value; ..." appended to our User-Agent
  std::string subfolder;                   // file lives in subfolder/filename inside the repo (or folder)
  std::string endpoint;                    // empty: HF_ENDPOINT or https://huggingface.co
  ProgressCallback progress;               // optional download progress
};

}  // namespace transformers::hub
