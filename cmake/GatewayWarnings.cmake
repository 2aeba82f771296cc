# Warnings for gateway's own targets only; consumers never inherit them.
add_library(gateway_warnings INTERFACE)
target_compile_options(gateway_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wold-style-cast -Woverloaded-virtual
    $<$<BOOL:${GATEWAY_WERROR}>:-Werror>
    # GCC 12 reports coroutine frames as allocated and freed by mismatched operators (a known
    # false positive at -O1 and above).
    $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>
    # GCC 12 at -O3 reports `"literal" + std::string` as an overlapping memcpy (GCC bug 105329,
    # a false positive in libstdc++'s inlined string code), which broke the Release build of the
    # tests.
    $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)
