#pragma once
// RFC 4648 base64 with padding (the Hub's commit payloads, serve's base64 embeddings).
#include <string>
#include <string_view>

namespace transformers {

std::string base64_encode(std::string_view bytes);

}  // namespace transformers
