#pragma once
// Every op family at once.
#include "transformers/ops/attention.hpp"
#include "transformers/ops/dropout.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/indexing.hpp"
#include "transformers/ops/loss.hpp"
#include "transformers/ops/matmul.hpp"
#include "transformers/ops/norm.hpp"
#include "transformers/ops/random.hpp"
#include "transformers/ops/reduce.hpp"
#include "transformers/ops/rotary.hpp"
#include "transformers/ops/softmax.hpp"
