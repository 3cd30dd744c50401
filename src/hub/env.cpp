// Environment, token, names and URLs of the Hub, as huggingface_hub 0.30 / transformers 4.51 read them.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "transformers/hub/hub.hpp"

namespace transformers::hub {
namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

bool env_truthy(const char* name) {
  auto v = env(name);
  if (!v) return false;
  std::string s = *v;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s == "1" || s == "ON" || s == "YES" || s == "TRUE";
}

// os.path.expanduser for the "~" and "~/..." forms.
std::string expand_user(const std::string& p) {
  if (p.empty() || p[0] != '~' || (p.size() > 1 && p[1] != '/')) return p;
  auto home = env("HOME");
  return home ? *home + p.substr(1) : p;
}

// Python's str.strip() for ASCII whitespace.
std::string strip(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n\f\v");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n\f\v");
  return s.substr(b, e - b + 1);
}

// huggingface_hub's _clean_token: CR/LF removed, then stripped; empty means no token.
std::optional<std::string> clean_token(const std::string& t) {
  std::string s;
  for (char c : t)
    if (c != '\r' && c != '\n') s += c;
  s = strip(s);
  if (s.empty()) return std::nullopt;
  return s;
}

// urllib.parse.quote with the given safe characters (always-safe: A-Za-z0-9_.-~).
std::string quote(const std::string& s, const std::string& safe) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~' || safe.find(c) != std::string::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

bool is_offline_mode() { return env_truthy("HF_HUB_OFFLINE") || env_truthy("TRANSFORMERS_OFFLINE"); }

std::string hf_home() {
  if (auto v = env("HF_HOME")) return expand_user(*v);
  if (auto x = env("XDG_CACHE_HOME")) return expand_user(*x) + "/huggingface";
  return expand_user("~/.cache/huggingface");
}

std::string default_cache_dir() {
  // transformers' TRANSFORMERS_CACHE chain wins over the hub's own variables.
  for (const char* name : {"TRANSFORMERS_CACHE", "PYTORCH_TRANSFORMERS_CACHE", "PYTORCH_PRETRAINED_BERT_CACHE",
                           "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"})
    if (auto v = env(name)) return expand_user(*v);
  return hf_home() + "/hub";
}

std::string hf_endpoint() {
  std::string e = env("HF_ENDPOINT").value_or("https://huggingface.co");
  while (!e.empty() && e.back() == '/') e.pop_back();
  return e;
}

std::optional<std::string> get_token(const HubOptions& opts) {
  if (opts.token) return clean_token(*opts.token);  // "" = explicit "no token" (token=False)
  if (env_truthy("HF_HUB_DISABLE_IMPLICIT_TOKEN")) return std::nullopt;
  for (const char* name : {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"})
    if (auto v = env(name))
      if (auto t = clean_token(*v)) return t;
  std::string path = env("HF_TOKEN_PATH") ? expand_user(*env("HF_TOKEN_PATH")) : hf_home() + "/token";
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return clean_token(ss.str());
}

std::string user_agent(const HubOptions& opts) {
  std::string ua = std::string("transformers.cpp/") + TRANSFORMERS_VERSION;
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  if (info != nullptr && info->version != nullptr) ua += std::string("; libcurl/") + info->version;
  if (!opts.user_agent.empty()) ua += "; " + opts.user_agent;
  return ua;
}

void validate_repo_id(const std::string& repo_id) {
  // huggingface_hub.utils.validate_repo_id: at most one '/', word chars, '-', '.'; no '--' or '..';
  // no leading/trailing '-' or '.'; not ending in ".git"; at most 96 characters.
  static const std::regex re(R"(^(\b[\w\-.]+\b/)?\b[\w\-.]+\b$)");
  auto fail = [&](const std::string& why) {
    throw ValueError("Repo id must be in the form 'repo_name' or 'namespace/repo_name': '" + repo_id + "' (" + why + ")");
  };
  if (repo_id.empty()) fail("empty");
  if (repo_id.size() > 96) fail("longer than 96 characters");
  if (!std::regex_match(repo_id, re)) fail("invalid characters or too many '/'");
  if (repo_id.find("--") != std::string::npos || repo_id.find("..") != std::string::npos) fail("'--' and '..' are forbidden");
  if (repo_id.size() >= 4 && repo_id.compare(repo_id.size() - 4, 4, ".git") == 0) fail("cannot end with '.git'");
}

static void check_repo_type(const std::string& t) {
  if (t != "model" && t != "dataset" && t != "space")
    throw ValueError("Invalid repo type: expected 'model', 'dataset' or 'space', found '" + t + "'");
}

std::string repo_folder_name(const std::string& repo_id, const std::string& repo_type) {
  check_repo_type(repo_type);
  std::string out = repo_type + "s";
  std::stringstream ss(repo_id);
  for (std::string part; std::getline(ss, part, '/');) out += "--" + part;
  return out;
}

std::string hf_hub_url(const std::string& repo_id, const std::string& filename, const HubOptions& opts) {
  check_repo_type(opts.repo_type);
  std::string path = opts.subfolder.empty() ? filename : opts.subfolder + "/" + filename;
  std::string prefix = opts.repo_type == "model" ? "" : opts.repo_type + "s/";
  std::string endpoint = opts.endpoint.empty() ? hf_endpoint() : opts.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  std::string revision = opts.revision.empty() ? "main" : opts.revision;
  return endpoint + "/" + prefix + repo_id + "/resolve/" + quote(revision, "") + "/" + quote(path, "/");
}

bool is_commit_hash(const std::string& revision) {
  if (revision.size() != 40) return false;
  return std::all_of(revision.begin(), revision.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace transformers::hub
