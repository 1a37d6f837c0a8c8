//go:build amd64 && !noasm

#include "textflag.h"

// The 10x32 AVX-512 kernel: kernel8x32AVX512 with two more rows (twenty
// accumulators Z0..Z19, B in Z20..Z23). It exists for products with 10, 20
// or 30 rows, such as a 10-class segmentation head, where the 8-row tile
// would compute 16 rows for every 10.
#define STEP10x32(s, b0, b1) \
	VMOVUPS (s*128)(BX), b0 \
	VMOVUPS (s*128+64)(BX), b1 \
	VFMADD231PS.BCST (s*40+0)(AX), b0, Z0 \
	VFMADD231PS.BCST (s*40+0)(AX), b1, Z1 \
	VFMADD231PS.BCST (s*40+4)(AX), b0, Z2 \
	VFMADD231PS.BCST (s*40+4)(AX), b1, Z3 \
	VFMADD231PS.BCST (s*40+8)(AX), b0, Z4 \
	VFMADD231PS.BCST (s*40+8)(AX), b1, Z5 \
	VFMADD231PS.BCST (s*40+12)(AX), b0, Z6 \
	VFMADD231PS.BCST (s*40+12)(AX), b1, Z7 \
	VFMADD231PS.BCST (s*40+16)(AX), b0, Z8 \
	VFMADD231PS.BCST (s*40+16)(AX), b1, Z9 \
	VFMADD231PS.BCST (s*40+20)(AX), b0, Z10 \
	VFMADD231PS.BCST (s*40+20)(AX), b1, Z11 \
	VFMADD231PS.BCST (s*40+24)(AX), b0, Z12 \
	VFMADD231PS.BCST (s*40+24)(AX), b1, Z13 \
	VFMADD231PS.BCST (s*40+28)(AX), b0, Z14 \
	VFMADD231PS.BCST (s*40+28)(AX), b1, Z15 \
	VFMADD231PS.BCST (s*40+32)(AX), b0, Z16 \
	VFMADD231PS.BCST (s*40+32)(AX), b1, Z17 \
	VFMADD231PS.BCST (s*40+36)(AX), b0, Z18 \
	VFMADD231PS.BCST (s*40+36)(AX), b1, Z19

// C row = acc + beta·C row (Z31 holds beta), then step to the next row.
#define UPD10x32(lo, hi) \
	VFMADD231PS (DI), Z31, lo \
	VFMADD231PS 64(DI), Z31, hi \
	VMOVUPS lo, (DI) \
	VMOVUPS hi, 64(DI) \
	ADDQ    DX, DI

// C row = acc, then step to the next row.
#define STO10x32(lo, hi) \
	VMOVUPS lo, (DI) \
	VMOVUPS hi, 64(DI) \
	ADDQ    DX, DI

// Prefetch the two cache lines of one C row and step to the next row.
#define PFC10x32 \
	PREFETCHT0 (SI) \
	PREFETCHT0 64(SI) \
	ADDQ       DX, SI

// func kernel10x32AVX512(kc int, a, b, c []float32, ldc int, beta float32)
TEXT ·kernel10x32AVX512(SB), NOSPLIT, $0-92
	MOVQ kc+0(FP), CX
	MOVQ a_base+8(FP), AX
	MOVQ b_base+32(FP), BX
	MOVQ c_base+56(FP), DI
	MOVQ ldc+80(FP), DX
	SHLQ $2, DX

	MOVQ DI, SI
	PFC10x32
	PFC10x32
	PFC10x32
	PFC10x32
	PFC10x32
	PFC10x32
	PFC10x32
	PFC10x32
	PFC10x32
	PFC10x32

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
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19

	MOVQ CX, R8
	SHRQ $2, R8
	JZ   tail

loop4:
	PREFETCHT0 (40*16)(AX)
	STEP10x32(0, Z20, Z21)
	STEP10x32(1, Z22, Z23)
	STEP10x32(2, Z20, Z21)
	STEP10x32(3, Z22, Z23)
	ADDQ $160, AX
	ADDQ $512, BX
	DECQ R8
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   store

loop1:
	STEP10x32(0, Z20, Z21)
	ADDQ $40, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  loop1

store:
	MOVL beta+88(FP), R9
	ANDL $0x7fffffff, R9 // +0 and -0 both mean "do not read C"
	JZ   overwrite
	VBROADCASTSS beta+88(FP), Z31
	UPD10x32(Z0, Z1)
	UPD10x32(Z2, Z3)
	UPD10x32(Z4, Z5)
	UPD10x32(Z6, Z7)
	UPD10x32(Z8, Z9)
	UPD10x32(Z10, Z11)
	UPD10x32(Z12, Z13)
	UPD10x32(Z14, Z15)
	UPD10x32(Z16, Z17)
	UPD10x32(Z18, Z19)
	VZEROUPPER
	RET

overwrite:
	STO10x32(Z0, Z1)
	STO10x32(Z2, Z3)
	STO10x32(Z4, Z5)
	STO10x32(Z6, Z7)
	STO10x32(Z8, Z9)
	STO10x32(Z10, Z11)
	STO10x32(Z12, Z13)
	STO10x32(Z14, Z15)
	STO10x32(Z16, Z17)
	STO10x32(Z18, Z19)
	VZEROUPPER
	RET
