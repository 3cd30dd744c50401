# The Debian libraries behind the TensorFlow and Flax weight files (issue 25): HDF5's C library for
# tf_model.h5 (libhdf5-dev) and msgpack-c for flax_model.msgpack (libmsgpack-cxx-dev, header-only
# in /usr/include, used without Boost). transformers_link_tf_flax(target scope) links a target that
# compiles src/io (the library, and the sanitized parser builds of fuzz/ and sanitize/). HDF5's
# include path and definitions go on the one source file that uses them (source properties are per
# directory, hence set in the function), so no other object's flags change and ccache keeps serving
# them. Plain paths, not an imported target, so the installed export set needs nothing more.
enable_language(C)  # FindHDF5 probes the library with a C test program
find_package(HDF5 REQUIRED COMPONENTS C)
find_path(MSGPACK_CXX_INCLUDE_DIR msgpack.hpp REQUIRED)
function(transformers_link_tf_flax target scope)
  set_property(SOURCE ${PROJECT_SOURCE_DIR}/src/io/tf_h5.cpp APPEND PROPERTY INCLUDE_DIRECTORIES ${HDF5_C_INCLUDE_DIRS})
  set_property(SOURCE ${PROJECT_SOURCE_DIR}/src/io/tf_h5.cpp APPEND PROPERTY COMPILE_DEFINITIONS ${HDF5_C_DEFINITIONS})
  target_link_libraries(${target} ${scope} ${HDF5_C_LIBRARIES})
endfunction()
