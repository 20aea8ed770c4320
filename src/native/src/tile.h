// Tile: out has shape dims[d] * reps[d]; out[i] = x[i mod dims] along every axis.
#pragma once

namespace kit {

void tile(int rank, const long* dims, const long* reps, const float* x, float* out);

}  // namespace kit
