#pragma once
// docs/CLI.md: a command that fails prints exactly one line on stderr, `error: ...`. The library
// prints warnings on stderr as it goes (e.g. sdpa falling back for output_attentions), which made a
// failing run print two or more lines. While a command runs, StderrHold keeps what is written to
// stderr in memory; the command's end decides: on success it is written out unchanged, on failure
// it is dropped and only the error line is printed. When stderr is a terminal nothing is held
// (a person sees warnings and progress bars as they happen).
namespace transformers::cli {

class StderrHold {
 public:
  StderrHold();
  ~StderrHold();  // as release(true)
  // Ends the hold: writes the held text to the real stderr when `replay`, else drops it.
  void release(bool replay);
  StderrHold(const StderrHold&) = delete;
  StderrHold& operator=(const StderrHold&) = delete;

 private:
  int saved_ = -1;  // the real stderr
  int held_ = -1;   // memory file standing in for it
};

}  // namespace transformers::cli
