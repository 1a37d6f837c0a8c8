//go:build amd64 && !noasm

#include "textflag.h"

// One k step of the 6x16 AVX2 kernel: load the 16 packed B values of step
// s into Y12:Y13, broadcast the 6 packed A values and accumulate rows 0-5
// into Y0..Y11 (two registers per row).
#define STEP6x16(s) \
	VMOVUPS (s*64)(BX), Y12 \
	VMOVUPS (s*64+32)(BX), Y13 \
	VBROADCASTSS (s*24)(AX), Y14 \
	VBROADCASTSS (s*24+4)(AX), Y15 \
	VFMADD231PS Y12, Y14, Y0 \
	VFMADD231PS Y13, Y14, Y1 \
	VFMADD231PS Y12, Y15, Y2 \
	VFMADD231PS Y13, Y15, Y3 \
	VBROADCASTSS (s*24+8)(AX), Y14 \
	VBROADCASTSS (s*24+12)(AX), Y15 \
	VFMADD231PS Y12, Y14, Y4 \
	VFMADD231PS Y13, Y14, Y5 \
	VFMADD231PS Y12, Y15, Y6 \
	VFMADD231PS Y13, Y15, Y7 \
	VBROADCASTSS (s*24+16)(AX), Y14 \
	VBROADCASTSS (s*24+20)(AX), Y15 \
	VFMADD231PS Y12, Y14, Y8 \
	VFMADD231PS Y13, Y14, Y9 \
	VFMADD231PS Y12, Y15, Y10 \
	VFMADD231PS Y13, Y15, Y11

// Row update for beta != 0: C row = acc + beta·C row (Y15 holds beta).
#define UPD6x16(lo, hi) \
	VFMADD231PS (DI), Y15, lo \
	VFMADD231PS 32(DI), Y15, hi \
	VMOVUPS lo, (DI) \
	VMOVUPS hi, 32(DI) \
	ADDQ    DX, DI

#define STO6x16(lo, hi) \
	VMOVUPS lo, (DI) \
	VMOVUPS hi, 32(DI) \
	ADDQ    DX, DI

// func kernel6x16AVX2(kc int, a, b, c []float32, ldc int, beta float32)
TEXT ·kernel6x16AVX2(SB), NOSPLIT, $0-92
	MOVQ kc+0(FP), CX
	MOVQ a_base+8(FP), AX
	MOVQ b_base+32(FP), BX
	MOVQ c_base+56(FP), DI
	MOVQ ldc+80(FP), DX
	SHLQ $2, DX

	// Bring the C tile toward L1 while the k loop runs.
	MOVQ DI, SI
	PREFETCHT0 (SI)
	PREFETCHT0 63(SI)
	ADDQ DX, SI
	PREFETCHT0 (SI)
	PREFETCHT0 63(SI)
	ADDQ DX, SI
	PREFETCHT0 (SI)
	PREFETCHT0 63(SI)
	ADDQ DX, SI
	PREFETCHT0 (SI)
	PREFETCHT0 63(SI)
	ADDQ DX, SI
	PREFETCHT0 (SI)
	PREFETCHT0 63(SI)
	ADDQ DX, SI
	PREFETCHT0 (SI)
	PREFETCHT0 63(SI)

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	MOVQ CX, R8
	SHRQ $2, R8
	JZ   tail

loop4:
	PREFETCHT0 (24*16)(AX)
	STEP6x16(0)
	STEP6x16(1)
	PREFETCHT0 (64*8)(BX)
	STEP6x16(2)
	STEP6x16(3)
	ADDQ $96, AX
	ADDQ $256, BX
	DECQ R8
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   store

loop1:
	STEP6x16(0)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  loop1

store:
	MOVL beta+88(FP), R9
	ANDL $0x7fffffff, R9 // +0 and -0 both mean "do not read C"
	JZ   overwrite
	VBROADCASTSS beta+88(FP), Y15
	UPD6x16(Y0, Y1)
	UPD6x16(Y2, Y3)
	UPD6x16(Y4, Y5)
	UPD6x16(Y6, Y7)
	UPD6x16(Y8, Y9)
	UPD6x16(Y10, Y11)
	VZEROUPPER
	RET

overwrite:
	STO6x16(Y0, Y1)
	STO6x16(Y2, Y3)
	STO6x16(Y4, Y5)
	STO6x16(Y6, Y7)
	STO6x16(Y8, Y9)
	STO6x16(Y10, Y11)
	VZEROUPPER
	RET
