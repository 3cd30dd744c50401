# The sources of every layer a user's file reaches before any model code runs: core, io (safetensors,
# torch pickle, shard index, GGUF, TF HDF5, Flax msgpack), tokenizers, hub and the two config classes. The fuzz build (fuzz/) and
# the CI sanitizer subset (sanitize/) both compile exactly this list a second time with sanitizers,
# which is far cheaper than a second build of the whole library.
file(GLOB TRANSFORMERS_PARSER_SOURCES CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/src/core/*.cpp
  ${PROJECT_SOURCE_DIR}/src/core/isa/*.cpp
  ${PROJECT_SOURCE_DIR}/src/io/*.cpp
  ${PROJECT_SOURCE_DIR}/src/tokenizers/*.cpp
  ${PROJECT_SOURCE_DIR}/src/tokenizers/jinja/*.cpp
  ${PROJECT_SOURCE_DIR}/src/hub/*.cpp)
foreach(src modeling/configuration_utils.cpp modeling/config_defaults.cpp modeling/json_io.cpp modeling/json_config.cpp
            generation/configuration_utils.cpp)
  if(EXISTS ${PROJECT_SOURCE_DIR}/src/${src})
    list(APPEND TRANSFORMERS_PARSER_SOURCES ${PROJECT_SOURCE_DIR}/src/${src})
  endif()
endforeach()
# core/isa's per-level files (Tensor::to's vector conversions) need their level's flags in every
# directory that compiles them (source properties are per directory).
transformers_set_isa_flags(${TRANSFORMERS_PARSER_SOURCES})

# The parser-level reliability tests (bad inputs, hostile files, kill-during-save of the io layer,
# tokenizers used from several threads): they need nothing beyond the sources above.
set(TRANSFORMERS_PARSER_RELIABILITY_TESTS
  ${PROJECT_SOURCE_DIR}/tests/reliability/test_mutated_fixtures.cpp
  ${PROJECT_SOURCE_DIR}/tests/reliability/test_hostile_inputs.cpp
  ${PROJECT_SOURCE_DIR}/tests/reliability/test_tf_flax_hostile.cpp
  ${PROJECT_SOURCE_DIR}/tests/reliability/test_json_inputs.cpp
  ${PROJECT_SOURCE_DIR}/tests/reliability/test_atomic_save.cpp
  ${PROJECT_SOURCE_DIR}/tests/reliability/test_concurrency_tokenizers.cpp
  ${PROJECT_SOURCE_DIR}/tests/core/test_sizes.cpp)
set(TRANSFORMERS_PARSER_TEST_DEFINITIONS
  TRANSFORMERS_FIXTURES_DIR="${PROJECT_SOURCE_DIR}/../shared/fixtures"
  TRANSFORMERS_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
  TRANSFORMERS_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  TRANSFORMERS_BINARY_DIR="${PROJECT_BINARY_DIR}")
