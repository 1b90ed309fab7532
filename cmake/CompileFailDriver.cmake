# Run as: cmake -D BUILD_DIR=... -D TARGET=... -D SOURCE=... [-D CONFIG=...] -P this-file
# Passes (exit 0) only when building TARGET fails AND the compiler output matches the
# regex on SOURCE's first line (`// expect: <regex>`). See tests/compile_fail/CMakeLists.txt.

foreach(var IN ITEMS BUILD_DIR TARGET SOURCE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "CompileFailDriver: -D ${var}=... is required")
  endif()
endforeach()

# file(READ) rather than file(STRINGS): the latter mangles `;` and `[` in the regex.
file(READ "${SOURCE}" head LIMIT 4096)
string(REGEX MATCH "^[^\r\n]*" first_line "${head}")
if(NOT first_line MATCHES "^// expect: (.+)$")
  message(FATAL_ERROR "${SOURCE}: first line must be `// expect: <regex>`")
endif()
string(STRIP "${CMAKE_MATCH_1}" expected)
# An optional second line `// errors: <N>` pins how many errors the compiler reports (a misuse
# that is named once must not bring a cascade of errors from the code built on it).
set(expected_errors "")
if(head MATCHES "^[^\r\n]*\r?\n// errors: ([0-9]+)")
  set(expected_errors "${CMAKE_MATCH_1}")
endif()

set(config_args)
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()

execute_process(
  COMMAND "${CMAKE_COMMAND}" --build "${BUILD_DIR}" --target "${TARGET}" ${config_args}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)

if(result EQUAL 0)
  message(FATAL_ERROR
    "${TARGET} compiled, but it must not (expected an error matching: ${expected})\n${output}")
endif()
if(NOT output MATCHES "${expected}")
  message(FATAL_ERROR
    "${TARGET} failed to compile as it should, but no diagnostic matches `${expected}`:\n"
    "${output}")
endif()
if(NOT expected_errors STREQUAL "")
  string(REGEX MATCHALL ": error: " errors "${output}")
  list(LENGTH errors n_errors)
  if(NOT n_errors EQUAL expected_errors)
    message(FATAL_ERROR
      "${TARGET} failed to compile with ${n_errors} errors, expected ${expected_errors}:\n${output}")
  endif()
endif()
message(STATUS "${TARGET}: failed to compile as expected (matched `${expected}`)")
