# Every docs/**/*.cpp is a self-contained program that is compiled and run as ctest
# doc_<path_with_underscores>, so the snippets shown in the documentation cannot rot.
# Binaries land in ${CMAKE_BINARY_DIR}/docs.
include(MetagradExample)

file(GLOB_RECURSE metagrad_doc_snippets CONFIGURE_DEPENDS
  RELATIVE "${PROJECT_SOURCE_DIR}/docs" "${PROJECT_SOURCE_DIR}/docs/*.cpp")
foreach(rel IN LISTS metagrad_doc_snippets)
  string(REGEX REPLACE "\\.cpp$" "" name "${rel}")
  string(REGEX REPLACE "[^A-Za-z0-9_]" "_" name "${name}")
  metagrad_add_program(doc_${name}
    OUTPUT_NAME doc_${name}
    TEST doc_${name}
    SOURCES "${PROJECT_SOURCE_DIR}/docs/${rel}")
  target_link_libraries(doc_${name} PRIVATE metagrad_check_opt)
  set_target_properties(doc_${name} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/docs")
endforeach()
