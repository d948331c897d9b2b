/* The portable kernel dialect: device code written once, compiled by nvcc for CUDA and by
 * the OpenCL runtime (OpenCL C 1.2) for OpenCL, so the PoCL run in CI checks the same logic
 * a GPU runs. Kernels use only these macros and types, never CUDA or OpenCL spellings. */
#ifndef WEFT_KERNEL_DIALECT_H
#define WEFT_KERNEL_DIALECT_H

/* Every operation is rounded on its own (no fused multiply-add contraction) on every device:
 * OpenCL here, nvcc --fmad=false in cuda/, -ffp-contract=off on the host, so devices agree
 * to the bit on elementwise results. Where a kernel wants a fused multiply-add (the k-NN inner
 * products), it says so with WK_FMA, and the CPU uses fmaf at the same place. */
#if defined(__OPENCL_VERSION__)
#pragma OPENCL FP_CONTRACT OFF
#ifdef WK_HAS_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
typedef ulong wk_u64;
typedef long wk_i64;
typedef uint wk_u32;
typedef int wk_i32;
typedef uchar wk_u8;
typedef char wk_i8;
typedef ushort wk_u16;
typedef short wk_i16;
#define WK_KERNEL __kernel
#define WK_GLOBAL __global
#define WK_LOCAL __local            /* declares a work-group array inside a kernel */
#define WK_LOCAL_PTR __local        /* qualifies a pointer parameter to such an array */
#define WK_BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
/* Work-group barrier that also orders the group's global memory accesses. */
#define WK_BARRIER_GLOBAL() barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE)
/* 32-bit atomics on a local-memory wk_u32; they return the old value. */
#define WK_ATOMIC_INC_LOCAL(p) atomic_inc(p)
#define WK_ATOMIC_ADD_LOCAL(p, v) atomic_add((p), (v))
/* 32-bit atomics on a global wk_u32 (core OpenCL 1.2); they return the old value. */
#define WK_ATOMIC_CAS_GLOBAL(p, cmp, v) atomic_cmpxchg((p), (cmp), (v))
#define WK_ATOMIC_MIN_GLOBAL(p, v) atomic_min((p), (v))
#define WK_ATOMIC_INC_GLOBAL(p) atomic_inc(p)
#define WK_F32_BITS(f) as_uint(f)
#define WK_F32_FROM_BITS(u) as_float(u)
#define WK_FMA(a, b, c) fma((a), (b), (c)) /* fused: one rounding, contract flags aside */
#define WK_GLOBAL_ID() ((wk_u64)get_global_id(0))
#define WK_GLOBAL_SIZE() ((wk_u64)get_global_size(0))
#define WK_LOCAL_ID() ((wk_u32)get_local_id(0))
#define WK_LOCAL_SIZE() ((wk_u32)get_local_size(0))
#define WK_GROUP_ID() ((wk_u64)get_group_id(0))
#define WK_NUM_GROUPS() ((wk_u64)get_num_groups(0))
#define WK_INLINE inline
/* The CPU's NaN bits (0x7ff8...): OpenCL's NAN is a float whose payload some compilers
 * widen to 0x7fffffffe0000000, which a min/max of only NaN (group_by) then returned. */
#define WK_NAN_F64 as_double(0x7ff8000000000000UL)
/* A double's bits and back (only with WK_HAS_FP64). */
#define WK_AS_F64(bits) as_double(bits)
#define WK_F64_AS_I64(x) as_long(x)

#elif defined(__CUDACC__)
typedef unsigned long long wk_u64;
typedef long long wk_i64;
typedef unsigned int wk_u32;
typedef int wk_i32;
typedef unsigned char wk_u8;
typedef signed char wk_i8;
typedef unsigned short wk_u16;
typedef short wk_i16;
#define WK_HAS_FP64 1
#define WK_KERNEL extern "C" __global__
#define WK_GLOBAL
#define WK_LOCAL __shared__
#define WK_LOCAL_PTR
#define WK_BARRIER() __syncthreads()
#define WK_BARRIER_GLOBAL() __syncthreads()
#define WK_ATOMIC_INC_LOCAL(p) atomicAdd((p), 1u)
#define WK_ATOMIC_ADD_LOCAL(p, v) atomicAdd((p), (v))
#define WK_ATOMIC_CAS_GLOBAL(p, cmp, v) atomicCAS((p), (cmp), (v))
#define WK_ATOMIC_MIN_GLOBAL(p, v) atomicMin((p), (v))
#define WK_ATOMIC_INC_GLOBAL(p) atomicAdd((p), 1u)
#define WK_F32_BITS(f) __float_as_uint(f)
#define WK_F32_FROM_BITS(u) __uint_as_float(u)
#define WK_FMA(a, b, c) __fmaf_rn((a), (b), (c))
#define WK_GLOBAL_ID() ((wk_u64)blockIdx.x * blockDim.x + threadIdx.x)
#define WK_GLOBAL_SIZE() ((wk_u64)gridDim.x * blockDim.x)
#define WK_LOCAL_ID() ((wk_u32)threadIdx.x)
#define WK_LOCAL_SIZE() ((wk_u32)blockDim.x)
#define WK_GROUP_ID() ((wk_u64)blockIdx.x)
#define WK_NUM_GROUPS() ((wk_u64)gridDim.x)
#define WK_INLINE __device__ inline
#define WK_NAN_F64 (__longlong_as_double(0x7ff8000000000000LL))
#define WK_AS_F64(bits) __longlong_as_double(bits)
#define WK_F64_AS_I64(x) __double_as_longlong(x)

#else
#error "kernels/dialect.h is for device code: compile with nvcc or an OpenCL runtime"
#endif

/* Work-group size every kernel of weft is launched with (reductions size local arrays by it). */
#define WK_GROUP_SIZE 256

/* Arrow validity: bit i of byte i/8, 1 = valid. */
WK_INLINE int wk_bit(WK_GLOBAL const wk_u8 *bitmap, wk_u64 i) {
  return (bitmap[i >> 3] >> (i & 7)) & 1;
}

#endif /* WEFT_KERNEL_DIALECT_H */
