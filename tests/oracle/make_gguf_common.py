"""Shared by the make_gguf_* oracle scripts."""


def finish(writer):
    """Writes a gguf.GGUFWriter's header, metadata and tensors, and closes the file."""
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
