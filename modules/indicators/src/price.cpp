// SPDX-License-Identifier: Apache-2.0
#include "registry_util.hpp"

namespace tradpal::indicators::detail {

void register_price(std::vector<IndicatorInfo>& /*out*/) {}

}  // namespace tradpal::indicators::detail
