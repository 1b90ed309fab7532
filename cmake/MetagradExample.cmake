# metagrad_add_program(<target> OUTPUT_NAME <name> TEST <ctest-name>
#                      [ARGS_FILE <file>] SOURCES <src>...)
#
# Shared by examples and docs snippets: an executable of our own (warnings as errors),
# registered as a ctest that runs it. ARGS_FILE, if it exists, holds the command-line
# arguments for the ctest run (shell-like quoting; @VAR@ references to CMake variables
# such as @PROJECT_SOURCE_DIR@ are expanded).
find_package(ZLIB QUIET) # examples reading the gzipped Fashion-MNIST files need it

function(metagrad_add_program target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "OUTPUT_NAME;TEST;ARGS_FILE" "SOURCES")

  add_executable(${target} ${arg_SOURCES})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME "${arg_OUTPUT_NAME}")
  target_link_libraries(${target} PRIVATE metagrad::metagrad metagrad_warnings metagrad_sanitize)
  if(ZLIB_FOUND)
    target_link_libraries(${target} PRIVATE ZLIB::ZLIB)
  endif()

  metagrad_add_run(${arg_TEST} ${target} "${arg_ARGS_FILE}")
endfunction()

# metagrad_add_run(<ctest-name> <target> <args-file>): a ctest running <target> with the arguments
# of <args-file> (if it exists), in the current binary directory.
function(metagrad_add_run test target args_file)
  set(run_args)
  if(args_file AND EXISTS "${args_file}")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${args_file}")
    file(READ "${args_file}" raw)
    string(CONFIGURE "${raw}" raw @ONLY)
    separate_arguments(run_args UNIX_COMMAND "${raw}")
  endif()
  add_test(NAME ${test} COMMAND ${target} ${run_args}
           WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  set_tests_properties(${test} PROPERTIES TIMEOUT 1200)
endfunction()
