/* The bytecode of an expression evaluated on a device (kernels/expr_eval.kern), shared by
 * the host compiler (host/frame/expr/expr_compile.c) and the kernel, so both agree on one layout.
 * Plain C: included by host C, OpenCL C and CUDA alike (no dialect types here).
 *
 * A program is an array of 64-bit words:
 *   [0] instruction count   [1] column count   [2] output type   [3] 1 when some instruction
 *       is a checked cast (it may raise the error flag)
 *   then per column 2 words: (type | has_validity << 8 | bit shift << 16), row bits of its
 *       values (8 * width, 1 for bool)
 *   then per instruction 2 words: (op | a << 8 | b << 16), immediate (literal bits)
 * Instructions are postfix over a stack of (64-bit value, valid bit). A value is in one of
 * the evaluator's lanes (host/frame/expr/expr.h): int64 bits, uint64 bits or a double's bits. The
 * compiler resolves every lane, so each opcode knows how to read its operands. */
#ifndef WEFT_KERNEL_EXPR_PROGRAM_H
#define WEFT_KERNEL_EXPR_PROGRAM_H

#define WK_EXPR_MAX_COLUMNS 16
#define WK_EXPR_MAX_INSTR 128
#define WK_EXPR_STACK 16
#define WK_EXPR_HEADER_WORDS 4
/* Bytes of the program buffer: header, columns and instructions at their maximum. */
#define WK_EXPR_PROGRAM_BYTES \
  (8 * (WK_EXPR_HEADER_WORDS + 2 * WK_EXPR_MAX_COLUMNS + 2 * WK_EXPR_MAX_INSTR))

/* What the kernel writes: the result column's values (and validity), or a filter's mask
 * (bit i = row i is valid and true). */
#define WK_EXPR_MODE_VALUES 0
#define WK_EXPR_MODE_MASK 1

/* Where column c's values and validity lie in the one input buffer of a partition: regions
 * of whole 64-byte blocks, in column order (values then validity), each sized for `stride`
 * rows plus one byte for the bit shift of bitmaps. */
#define WK_EXPR_REGION_BYTES(bits, stride) (((((bits) * (stride) + 7) / 8 + 1) + 63) / 64 * 64)

/* weft_type and weft_binary_op values as the kernel sees them (the host checks they match
 * include/weft.h). */
#define WK_T_BOOL 0
#define WK_T_INT8 1
#define WK_T_INT16 2
#define WK_T_INT32 3
#define WK_T_INT64 4
#define WK_T_UINT8 5
#define WK_T_UINT16 6
#define WK_T_UINT32 7
#define WK_T_UINT64 8
#define WK_T_FLOAT32 9
#define WK_T_FLOAT64 10
#define WK_T_DATE32 12
#define WK_T_TIMESTAMP_US 13
#define WK_CMP_EQ 5
#define WK_CMP_NE 6
#define WK_CMP_LT 7
#define WK_CMP_LE 8
#define WK_CMP_GT 9
#define WK_CMP_GE 10
#define WK_DT_YEAR 0
#define WK_DT_MONTH 1
#define WK_DT_DAY 2
#define WK_DT_WEEKDAY 3

enum wk_expr_op {
  WK_OP_LOAD,        /* a = column */
  WK_OP_LIT,         /* imm = value bits, b = 1 when valid */
  WK_OP_NORM,        /* a = weft_type: narrow the top like weft__normalize */
  WK_OP_I2F,         /* top: int64 lane -> double */
  WK_OP_U2F,         /* top: uint64 lane -> double */
  WK_OP_ADD_F, WK_OP_SUB_F, WK_OP_MUL_F, WK_OP_DIV_F, WK_OP_MOD_F,
  WK_OP_ADD_I, WK_OP_SUB_I, WK_OP_MUL_I, /* wrap on 64 bits */
  WK_OP_MOD_I, WK_OP_MOD_U,              /* x % 0 is null */
  WK_OP_CMP_F, WK_OP_CMP_I, WK_OP_CMP_U, /* a = weft_binary_op (EQ..GE) */
  WK_OP_CMP_SU,      /* signed against uint64; b = 1 when the left operand is the uint64 */
  WK_OP_AND, WK_OP_OR, /* Kleene */
  WK_OP_NOT, WK_OP_NEG_F, WK_OP_NEG_I, WK_OP_ABS_F, WK_OP_ABS_I,
  WK_OP_IS_NULL, WK_OP_IS_NOT_NULL,
  WK_OP_SQRT,        /* log and exp stay on the CPU: see host/frame/expr/expr_compile.c */
  WK_OP_FILL_NULL,
  WK_OP_F2BOOL, WK_OP_I2BOOL,
  WK_OP_CAST_F2I,    /* a = target type: truncates, checked */
  WK_OP_CAST_U2I,    /* a = target type: checked, bits kept */
  WK_OP_CAST_I2I,    /* a = target type, b = source type: date32 <-> timestamp, checked */
  WK_OP_WHEN,        /* (cond, then, otherwise) -> then where cond is valid and true */
  WK_OP_FLOOR_F, WK_OP_CEIL_F,
  WK_OP_ROUND_F,     /* imm = the bits of 10^decimals as a double, 0 for decimals = 0 */
  WK_OP_FLOORDIV_F, WK_OP_FLOORDIV_I, WK_OP_FLOORDIV_U, /* integer x // 0 is null */
  WK_OP_DT_PART,     /* a = WK_DT_*, b = 1 for a timestamp (else a date) */
  WK_OP_TOTAL_DAYS,  /* microseconds -> whole days, toward zero */
  WK_OP_TSHIFT,      /* x +- y in microseconds; a = 1 to subtract, b = bit 0: x is a date,
                        bit 1: y is a date; imm = 1 to give a date (floor to the day) */
  WK_OP_COUNT
};

#endif
