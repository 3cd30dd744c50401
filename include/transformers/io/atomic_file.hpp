#pragma once
// The one way this library writes a file (every save, every CLI output, config and tokenizer
// files). Two pieces:
//
//   AtomicFile: one file. Over a missing name or a regular file, the bytes go to a temporary file
//   next to the target (same filesystem, so rename is atomic), which is fsynced and renamed over the
//   target, then the folder is fsynced: the name only ever holds the complete old or new file. A
//   symlink is followed (to the end of its chain) and the file it points at is replaced that way;
//   the link itself stays. A character device or FIFO (`--output /dev/null`, `--output /dev/stdout`
//   into a pipe) is written through, never replaced; a FIFO with no reader is an error instead of a
//   hang. A folder, block device or socket is refused (EnvironmentError naming it).
//
//   FolderSave: one save of several files into one folder (save_pretrained). It creates the folder,
//   takes an advisory lock on it (flock) for the whole save so a second save into the same folder
//   fails with an error naming the process that holds it, stages every file under a temporary
//   name, and only when all of them are complete renames them into place in the order they were
//   opened (weights first, index and configs last). A save that fails anywhere before commit()
//   (disk full, an exception) removes its temporary files and leaves the old checkpoint untouched.
//
//   io::write_file_atomic("out/config.json", text);
//   io::FolderSave save("out");
//   save.open("model.safetensors").write(bytes);
//   save.write("config.json", config_text);
//   save.commit();
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace transformers::io {

class AtomicFile {
 public:
  explicit AtomicFile(const std::filesystem::path& target);  // EnvironmentError when it cannot write there
  ~AtomicFile();  // removes the temporary file unless published
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);
  void write(std::string_view s) { write(s.data(), s.size()); }
  uint64_t written() const { return written_; }
  // finish() then publish(): the usual single-file case.
  void commit();
  // The bytes are on disk (fsynced, closed); the target name is not touched yet.
  void finish();
  // Renames the finished file over the target; with sync_folder the folder is fsynced too.
  void publish(bool sync_folder = true);
  const std::filesystem::path& target() const { return target_; }

 private:
  std::filesystem::path target_;  // the name given (for messages)
  std::filesystem::path final_;   // where the bytes end up (symlinks resolved)
  std::string tmp_;               // empty when writing through a device or FIFO
  int fd_ = -1;
  uint64_t written_ = 0;
  bool published_ = false;
};

// Writes `text` to `file` through an AtomicFile.
void write_file_atomic(const std::filesystem::path& file, std::string_view text);

class FolderSave {
 public:
  // Creates `folder` (and parents) and locks it; EnvironmentError when another save holds the lock
  // (naming its process), when the folder cannot be created, or when `folder` is a file.
  explicit FolderSave(const std::filesystem::path& folder);
  ~FolderSave();  // unpublished temporary files are removed; the lock is released
  FolderSave(const FolderSave&) = delete;
  FolderSave& operator=(const FolderSave&) = delete;

  // A staged file `name` (relative to the folder). Renamed into place by commit(), in open order.
  AtomicFile& open(const std::string& name);
  void write(const std::string& name, std::string_view text) { open(name).write(text); }
  // A file to delete after every staged file is complete and before the first rename (an old
  // index that must not survive next to half-replaced shards).
  void remove_before_publish(const std::string& name) { removals_.push_back(name); }
  // Finishes every staged file (fsync), removes the marked files, renames the staged files in open
  // order and fsyncs the folder.
  void commit();
  const std::filesystem::path& folder() const { return folder_; }
  std::vector<std::string> staged_names() const;

 private:
  std::filesystem::path folder_;
  int lock_fd_ = -1;
  std::vector<std::pair<std::string, std::unique_ptr<AtomicFile>>> files_;
  std::vector<std::string> removals_;
};

}  // namespace transformers::io
