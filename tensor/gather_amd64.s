//go:build amd64 && !noasm

#include "textflag.h"

// func gatherRowsAVX2(dst []float32, ldd int, src []float32, offs []int32, n int)
// For each i < len(offs) and j < n (a positive multiple of 8):
// dst[i*ldd+j] = src[offs[i]+j]. n == 32 (one 32-wide GEMM panel row) has
// an unrolled loop.
TEXT ·gatherRowsAVX2(SB), NOSPLIT, $0-88
	MOVQ dst_base+0(FP), DI
	MOVQ ldd+24(FP), R8
	SHLQ $2, R8
	MOVQ src_base+32(FP), SI
	MOVQ offs_base+56(FP), BX
	MOVQ offs_len+64(FP), CX
	MOVQ n+80(FP), DX
	SHRQ $3, DX
	TESTQ CX, CX
	JZ   gatherdone
	TESTQ DX, DX
	JZ   gatherdone
	CMPQ DX, $4
	JEQ  gather32

gatherrow:
	MOVLQSX (BX), AX
	LEAQ    (SI)(AX*4), R9
	MOVQ    DI, R10
	MOVQ    DX, R11

gathervec:
	VMOVUPS (R9), Y0
	VMOVUPS Y0, (R10)
	ADDQ    $32, R9
	ADDQ    $32, R10
	DECQ    R11
	JNE     gathervec
	ADDQ    $4, BX
	ADDQ    R8, DI
	DECQ    CX
	JNE     gatherrow
	VZEROUPPER
	RET

gather32:
	MOVLQSX (BX), AX
	LEAQ    (SI)(AX*4), R9
	VMOVUPS (R9), Y0
	VMOVUPS 32(R9), Y1
	VMOVUPS 64(R9), Y2
	VMOVUPS 96(R9), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $4, BX
	ADDQ    R8, DI
	DECQ    CX
	JNE     gather32
	VZEROUPPER

gatherdone:
	RET
