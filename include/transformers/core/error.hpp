#pragma once
// One exception hierarchy for the whole library. Every error says what was expected and what was
// found, and names the file / tensor / key it is about. Bad input never aborts the process.
#include <stdexcept>
#include <string>

namespace transformers {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file or directory that should exist does not (or cannot be opened).
class FileNotFoundError : public Error { using Error::Error; };
// Bytes on disk that do not follow their format (safetensors header, pickle, JSON, ...).
class FormatError : public Error { using Error::Error; };
// Tensor shapes or sizes that do not agree.
class ShapeError : public Error { using Error::Error; };
// A dtype, op or option combination we do not support (yet).
class UnsupportedError : public Error { using Error::Error; };
// A file asks for something we refuse to do (e.g. a pickle calling os.system).
class SecurityError : public Error { using Error::Error; };
// An argument value that is out of range or inconsistent (Python's ValueError).
class ValueError : public Error { using Error::Error; };
// A name looked up in a mapping that does not hold it (Python's KeyError).
class KeyError : public Error { using Error::Error; };
// The environment refused something: I/O failure, network, out of memory.
class EnvironmentError : public Error { using Error::Error; };

}  // namespace transformers
