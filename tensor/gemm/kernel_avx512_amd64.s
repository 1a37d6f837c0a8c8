//go:build amd64 && !noasm

#include "textflag.h"

// One k step of the 8x32 AVX-512 kernel: load the 32 packed B values of
// step s into two zmm registers (b0, b1), then for each of the 8 rows
// multiply them by the row's packed A value, broadcast straight from memory
// by the FMA itself, and accumulate into Z0..Z15 (two registers per row).
#define STEP8x32(s, b0, b1) \
	VMOVUPS (s*128)(BX), b0 \
	VMOVUPS (s*128+64)(BX), b1 \
	VFMADD231PS.BCST (s*32)(AX), b0, Z0 \
	VFMADD231PS.BCST (s*32)(AX), b1, Z1 \
	VFMADD231PS.BCST (s*32+4)(AX), b0, Z2 \
	VFMADD231PS.BCST (s*32+4)(AX), b1, Z3 \
	VFMADD231PS.BCST (s*32+8)(AX), b0, Z4 \
	VFMADD231PS.BCST (s*32+8)(AX), b1, Z5 \
	VFMADD231PS.BCST (s*32+12)(AX), b0, Z6 \
	VFMADD231PS.BCST (s*32+12)(AX), b1, Z7 \
	VFMADD231PS.BCST (s*32+16)(AX), b0, Z8 \
	VFMADD231PS.BCST (s*32+16)(AX), b1, Z9 \
	VFMADD231PS.BCST (s*32+20)(AX), b0, Z10 \
	VFMADD231PS.BCST (s*32+20)(AX), b1, Z11 \
	VFMADD231PS.BCST (s*32+24)(AX), b0, Z12 \
	VFMADD231PS.BCST (s*32+24)(AX), b1, Z13 \
	VFMADD231PS.BCST (s*32+28)(AX), b0, Z14 \
	VFMADD231PS.BCST (s*32+28)(AX), b1, Z15

// C row = acc + beta·C row (Z31 holds beta), then step to the next row.
#define UPD8x32(lo, hi) \
	VFMADD231PS (DI), Z31, lo \
	VFMADD231PS 64(DI), Z31, hi \
	VMOVUPS lo, (DI) \
	VMOVUPS hi, 64(DI) \
	ADDQ    DX, DI

// C row = acc, then step to the next row.
#define STO8x32(lo, hi) \
	VMOVUPS lo, (DI) \
	VMOVUPS hi, 64(DI) \
	ADDQ    DX, DI

// Prefetch the two cache lines of one C row and step to the next row.
#define PFC8x32 \
	PREFETCHT0 (SI) \
	PREFETCHT0 64(SI) \
	ADDQ       DX, SI

// func kernel8x32AVX512(kc int, a, b, c []float32, ldc int, beta float32)
TEXT ·kernel8x32AVX512(SB), NOSPLIT, $0-92
	MOVQ kc+0(FP), CX
	MOVQ a_base+8(FP), AX
	MOVQ b_base+32(FP), BX
	MOVQ c_base+56(FP), DI
	MOVQ ldc+80(FP), DX
	SHLQ $2, DX

	// Bring the C tile toward L1 while the k loop runs.
	MOVQ DI, SI
	PFC8x32
	PFC8x32
	PFC8x32
	PFC8x32
	PFC8x32
	PFC8x32
	PFC8x32
	PFC8x32

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

	MOVQ CX, R8
	SHRQ $2, R8
	JZ   tail

loop4:
	PREFETCHT0 (32*16)(AX)
	STEP8x32(0, Z16, Z17)
	STEP8x32(1, Z18, Z19)
	STEP8x32(2, Z16, Z17)
	STEP8x32(3, Z18, Z19)
	ADDQ $128, AX
	ADDQ $512, BX
	DECQ R8
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   store

loop1:
	STEP8x32(0, Z16, Z17)
	ADDQ $32, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  loop1

store:
	MOVL beta+88(FP), R9
	ANDL $0x7fffffff, R9 // +0 and -0 both mean "do not read C"
	JZ   overwrite
	VBROADCASTSS beta+88(FP), Z31
	UPD8x32(Z0, Z1)
	UPD8x32(Z2, Z3)
	UPD8x32(Z4, Z5)
	UPD8x32(Z6, Z7)
	UPD8x32(Z8, Z9)
	UPD8x32(Z10, Z11)
	UPD8x32(Z12, Z13)
	UPD8x32(Z14, Z15)
	VZEROUPPER
	RET

overwrite:
	STO8x32(Z0, Z1)
	STO8x32(Z2, Z3)
	STO8x32(Z4, Z5)
	STO8x32(Z6, Z7)
	STO8x32(Z8, Z9)
	STO8x32(Z10, Z11)
	STO8x32(Z12, Z13)
	STO8x32(Z14, Z15)
	VZEROUPPER
	RET
