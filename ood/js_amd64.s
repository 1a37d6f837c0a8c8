//go:build amd64 && !noasm

#include "textflag.h"

// Offsets into jsConsts (32 bytes per broadcast constant).
#define C_INVT 0
#define C_FK 32
#define C_INVK 64
#define C_LOGK 96
#define C_HALFSIGN 128
#define C_ONE 160
#define C_TWOLN2 192
#define C_EXPLO 224
#define C_LOG2E 256
#define C_HALF 288
#define C_C1 320
#define C_C2 352
#define C_EP0 384
#define C_EP1 416
#define C_EP2 448
#define C_EP3 480
#define C_EP4 512
#define C_EP5 544
#define C_I127 576
#define C_MANT 608
#define C_HALFBITS 640
#define C_SQRTHF 672
#define C_LP0 704
#define C_LP1 736
#define C_LP2 768
#define C_LP3 800
#define C_LP4 832
#define C_LP5 864
#define C_LP6 896
#define C_LP7 928
#define C_LP8 960
#define C_NEGHALF 992
#define C_I126 1024

// EXP: Y0 = exp(Y0) (Cephes expf, the steps of exp32); clobbers Y1-Y3.
#define EXP \
	VMAXPS C_EXPLO(R10), Y0, Y0 \
	VMOVUPS C_LOG2E(R10), Y1 \
	VFMADD213PS C_HALF(R10), Y0, Y1 \
	VROUNDPS $1, Y1, Y1 \
	VFNMADD231PS C_C1(R10), Y1, Y0 \
	VFNMADD231PS C_C2(R10), Y1, Y0 \
	VMOVUPS C_EP0(R10), Y2 \
	VFMADD213PS C_EP1(R10), Y0, Y2 \
	VFMADD213PS C_EP2(R10), Y0, Y2 \
	VFMADD213PS C_EP3(R10), Y0, Y2 \
	VFMADD213PS C_EP4(R10), Y0, Y2 \
	VFMADD213PS C_EP5(R10), Y0, Y2 \
	VMULPS Y0, Y0, Y3 \
	VFMADD213PS Y0, Y3, Y2 \
	VADDPS C_ONE(R10), Y2, Y2 \
	VCVTTPS2DQ Y1, Y1 \
	VPADDD C_I127(R10), Y1, Y1 \
	VPSLLD $23, Y1, Y1 \
	VMULPS Y1, Y2, Y0

// LOG: Y0 = log(Y0) for normal positive Y0 (Cephes logf, the steps of
// log32); clobbers Y1-Y3.
#define LOG \
	VPSRLD $23, Y0, Y1 \
	VPSUBD C_I126(R10), Y1, Y1 \
	VCVTDQ2PS Y1, Y1 \
	VANDPS C_MANT(R10), Y0, Y0 \
	VORPS C_HALFBITS(R10), Y0, Y0 \
	VCMPPS $1, C_SQRTHF(R10), Y0, Y2 \
	VANDPS Y0, Y2, Y3 \
	VANDPS C_ONE(R10), Y2, Y2 \
	VSUBPS Y2, Y1, Y1 \
	VSUBPS C_ONE(R10), Y0, Y0 \
	VADDPS Y3, Y0, Y0 \
	VMULPS Y0, Y0, Y3 \
	VMOVUPS C_LP0(R10), Y2 \
	VFMADD213PS C_LP1(R10), Y0, Y2 \
	VFMADD213PS C_LP2(R10), Y0, Y2 \
	VFMADD213PS C_LP3(R10), Y0, Y2 \
	VFMADD213PS C_LP4(R10), Y0, Y2 \
	VFMADD213PS C_LP5(R10), Y0, Y2 \
	VFMADD213PS C_LP6(R10), Y0, Y2 \
	VFMADD213PS C_LP7(R10), Y0, Y2 \
	VFMADD213PS C_LP8(R10), Y0, Y2 \
	VMULPS Y0, Y2, Y2 \
	VMULPS Y3, Y2, Y2 \
	VFMADD231PS C_C2(R10), Y1, Y2 \
	VFMADD231PS C_NEGHALF(R10), Y3, Y2 \
	VADDPS Y2, Y0, Y0 \
	VFMADD231PS C_C1(R10), Y1, Y0

// func jsAVX2(dst, src *float32, stride, k, n int, scratch *float32, c *jsConsts)
//
// Registers: DI dst, SI src (channel 0 of the current 8 pixels), R8 channel
// stride in bytes, CX k, DX pixels left, R9 scratch, R10 constants.
// Per block: Y14 = max·invT, Y13 = S, Y12 = Σ e·z then u Σ r ln r,
// Y11 = K/S, Y10 = Σ (1+r) ln(1+r), Y15 = invT.
TEXT ·jsAVX2(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
	MOVQ k+24(FP), CX
	MOVQ n+32(FP), DX
	MOVQ scratch+40(FP), R9
	MOVQ c+48(FP), R10
	VMOVUPS C_INVT(R10), Y15

block:
	// Pass 1: per-pixel maximum over the K channels.
	MOVQ SI, R11
	VMOVUPS (R11), Y0
	MOVQ CX, R12
	DECQ R12

maxloop:
	ADDQ R8, R11
	VMAXPS (R11), Y0, Y0
	DECQ R12
	JNZ  maxloop
	VMULPS Y15, Y0, Y14

	// Pass 2: e = exp(l·invT − max·invT); S += e; A += e·z; keep e.
	VXORPS Y13, Y13, Y13
	VXORPS Y12, Y12, Y12
	MOVQ   SI, R11
	MOVQ   R9, R13
	MOVQ   CX, R12

exploop:
	VMULPS      (R11), Y15, Y0
	VSUBPS      Y14, Y0, Y0
	VMOVAPS     Y0, Y4
	EXP
	VMOVUPS     Y0, (R13)
	VADDPS      Y0, Y13, Y13
	VFMADD231PS Y4, Y0, Y12
	ADDQ        R8, R11
	ADDQ        $32, R13
	DECQ        R12
	JNZ         exploop

	// A/S − ln S + ln K, and q = K/S.
	VMOVUPS C_ONE(R10), Y1
	VDIVPS  Y13, Y1, Y5
	VMOVAPS Y13, Y0
	LOG
	VMULPS  Y5, Y12, Y12
	VSUBPS  Y0, Y12, Y12
	VADDPS  C_LOGK(R10), Y12, Y12
	VMULPS  C_FK(R10), Y5, Y11

	// Pass 3: B += t ln t with t = 1 + e·q.
	VXORPS Y10, Y10, Y10
	MOVQ   R9, R13
	MOVQ   CX, R12

logloop:
	VMOVUPS     C_ONE(R10), Y0
	VFMADD231PS (R13), Y11, Y0
	VMOVAPS     Y0, Y5
	LOG
	VFMADD231PS Y5, Y0, Y10
	ADDQ        $32, R13
	DECQ        R12
	JNZ         logloop

	// JS = ½ (2 ln 2 + Y12 − B/K), times sign.
	VFNMADD231PS C_INVK(R10), Y10, Y12
	VADDPS       C_TWOLN2(R10), Y12, Y12
	VMULPS       C_HALFSIGN(R10), Y12, Y12
	VMOVUPS      Y12, (DI)

	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, DX
	JNZ  block
	VZEROUPPER
	RET

// func statsAVX2(src *float32, stride, k, n int, m, s, a, zs *float32, arg *int32, withExp int, c *jsConsts)
//
// For n pixels (a positive multiple of 8, k >= 1) writes the softmaxStats of
// blockStats: m = max, arg = first argmax, and if withExp != 0, with
// z = (l − m)·invT: s = Σ e^z, a = Σ e^z·z, zs = Σ z.
// Registers: SI src, R8 stride bytes, CX k, DX pixels left, R10 constants,
// R14/R15/BX/AX/BP outputs; Y15 invT, Y14 m, Y13 s, Y12 a, Y11 zs,
// Y7 channel index, Y6 argmax (as floats).
TEXT ·statsAVX2(SB), NOSPLIT, $0-88
	MOVQ src+0(FP), SI
	MOVQ stride+8(FP), R8
	SHLQ $2, R8
	MOVQ k+16(FP), CX
	MOVQ n+24(FP), DX
	MOVQ m+32(FP), R14
	MOVQ s+40(FP), R15
	MOVQ a+48(FP), BX
	MOVQ zs+56(FP), AX
	MOVQ arg+64(FP), DI
	MOVQ withExp+72(FP), R9
	MOVQ c+80(FP), R10
	VMOVUPS C_INVT(R10), Y15

sblock:
	// Pass 1: maximum and first argmax.
	MOVQ   SI, R11
	VMOVUPS (R11), Y14
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   CX, R12
	DECQ   R12
	JZ     smaxdone

smaxloop:
	ADDQ      R8, R11
	VADDPS    C_ONE(R10), Y7, Y7
	VMOVUPS   (R11), Y1
	VCMPPS    $1, Y1, Y14, Y2
	VMAXPS    Y1, Y14, Y14
	VBLENDVPS Y2, Y7, Y6, Y6
	DECQ      R12
	JNZ       smaxloop

smaxdone:
	VMOVUPS    Y14, (R14)
	VCVTTPS2DQ Y6, Y6
	VMOVDQU    Y6, (DI)
	TESTQ      R9, R9
	JZ         snext

	// Pass 2: z = (l − m)·invT; s += e^z; a += e^z·z; zs += z.
	VXORPS Y13, Y13, Y13
	VXORPS Y12, Y12, Y12
	VXORPS Y11, Y11, Y11
	MOVQ   SI, R11
	MOVQ   CX, R12

sexploop:
	VMOVUPS     (R11), Y0
	VSUBPS      Y14, Y0, Y0
	VMULPS      Y15, Y0, Y0
	VADDPS      Y0, Y11, Y11
	VMOVAPS     Y0, Y4
	EXP
	VADDPS      Y0, Y13, Y13
	VFMADD231PS Y4, Y0, Y12
	ADDQ        R8, R11
	DECQ        R12
	JNZ         sexploop
	VMOVUPS     Y13, (R15)
	VMOVUPS     Y12, (BX)
	VMOVUPS     Y11, (AX)

snext:
	ADDQ $32, SI
	ADDQ $32, R14
	ADDQ $32, R15
	ADDQ $32, BX
	ADDQ $32, AX
	ADDQ $32, DI
	SUBQ $8, DX
	JNZ  sblock
	VZEROUPPER
	RET
