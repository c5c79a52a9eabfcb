// SPDX-License-Identifier: Apache-2.0
// TRADPAL_HD marks a function that the CPU code calls and that a CUDA kernel calls too (the
// per-bar arithmetic of the simulator and the indicators' recurrences, shared so that the GPU
// sweep and the GPU batch indicators give the same bits).
// Under nvcc it is __host__ __device__; for the C++ compiler it is nothing.
#pragma once

#if defined(__CUDACC__)
#define TRADPAL_HD __host__ __device__
#define TRADPAL_HD_INLINE __host__ __device__ __forceinline__
#else
#define TRADPAL_HD
#define TRADPAL_HD_INLINE [[gnu::always_inline]] inline
#endif
