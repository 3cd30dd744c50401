// sha256 / git blob sha1 through OpenSSL's EVP interface (libcrypto, a Debian library).
#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <vector>

#include "transformers/hub/hub.hpp"

namespace transformers::hub {
namespace {

using Ctx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

Ctx new_ctx(const EVP_MD* md) {
  Ctx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) throw EnvironmentError("OpenSSL: cannot initialise digest");
  return ctx;
}

std::string finish(EVP_MD_CTX* ctx) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx, md, &n) != 1) throw EnvironmentError("OpenSSL: digest failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

}  // namespace

std::string sha256_hex(const std::string& bytes) {
  auto ctx = new_ctx(EVP_sha256());
  EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size());
  return finish(ctx.get());
}

std::string sha256_file_hex(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw FileNotFoundError("Cannot open '" + path + "' to compute its sha256");
  auto ctx = new_ctx(EVP_sha256());
  std::vector<char> buf(1 << 20);
  while (f) {
    f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (f.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(f.gcount()));
  }
  if (f.bad()) throw EnvironmentError("Read error while hashing '" + path + "'");
  return finish(ctx.get());
}

std::string git_blob_sha1_hex(const std::string& bytes) {
  auto ctx = new_ctx(EVP_sha1());
  std::string header = "blob " + std::to_string(bytes.size());
  EVP_DigestUpdate(ctx.get(), header.data(), header.size() + 1);  // includes the '\0'
  EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size());
  return finish(ctx.get());
}

}  // namespace transformers::hub
