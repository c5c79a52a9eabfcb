// SPDX-License-Identifier: Apache-2.0
#include <tradpal/cli/app.hpp>

int main(int argc, char** argv) {
    return tradpal::cli::run(argc, argv);
}
