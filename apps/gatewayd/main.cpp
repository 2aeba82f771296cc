#include "app.hpp"

#ifdef GATEWAY_WITH_MIMALLOC
#include <mimalloc.h>
#endif

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
#ifdef GATEWAY_WITH_MIMALLOC
    // Named in `--version`; the call also keeps the linker from dropping the library.
    const int v = mi_version();
    gatewayd::allocator_name = "mimalloc " + std::to_string(v / 100) + "." +
                               std::to_string(v / 10 % 10) + "." + std::to_string(v % 10);
#endif
    return gatewayd::main_with_args(args, std::cout, std::cerr);
}
