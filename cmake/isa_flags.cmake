# Kernel files named *_avx512bf16.cpp / *_avx512vnni.cpp / *_avx512.cpp / *_avx2.cpp get their ISA flags per file, so
# the rest of the binary stays baseline x86-64 and runs on any CPU; the kernels are only called
# after run-time CPU feature detection picked them. Source properties are per directory, so every
# directory that compiles these files (the library, fuzz/) calls this on its own list.
function(transformers_set_isa_flags)
  foreach(src ${ARGN})
    if(src MATCHES "_avx512bf16\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS
        "-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mavx512bf16;-mfma;-mavx2;-mf16c")
    elseif(src MATCHES "_avx512vnni\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS
        "-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mavx512vnni;-mfma;-mavx2;-mf16c")
    elseif(src MATCHES "_avx512\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS
        "-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mfma;-mavx2;-mf16c")
    elseif(src MATCHES "_avx2\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mf16c")
    endif()
  endforeach()
endfunction()
