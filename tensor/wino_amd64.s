//go:build amd64 && !noasm

#include "textflag.h"

// w (Y0..Y3) for patch column k of rows 0..3, then the four outputs
// ξ = k, 4+k, 8+k, 12+k of the eight tiles: v = w0−w2, w1+w2, w2−w1, w1−w3.
#define WINO_OUT_COL \
	VSUBPS Y2, Y0, Y4 \
	VADDPS Y2, Y1, Y5 \
	VSUBPS Y1, Y2, Y6 \
	VSUBPS Y3, Y1, Y7 \
	VMOVUPS Y4, (BX) \
	VMOVUPS Y5, (BX)(R12*1) \
	VMOVUPS Y6, (BX)(R13*1) \
	VMOVUPS Y7, (BX)(R14*1) \
	ADDQ R11, BX

// func winoInputAVX2(v []float32, vs int, ev, od []float32, ld, n int)
// winoInputGeneric for n a positive multiple of 8, eight tiles per pass.
// Rows i of the patches start at ev+i·ld and od+i·ld; with d0..d3 =
// ev[j], od[j], ev[j+1], od[j+1] the row transform is d0−d2, d1+d2, d2−d1,
// d1−d3.
TEXT ·winoInputAVX2(SB), NOSPLIT, $0-96
	MOVQ v_base+0(FP), DX
	MOVQ vs+24(FP), R11
	SHLQ $2, R11
	MOVQ ev_base+32(FP), SI
	MOVQ od_base+56(FP), DI
	MOVQ ld+80(FP), R8
	SHLQ $2, R8
	MOVQ n+88(FP), CX
	SHRQ $3, CX
	JZ   winoindone
	LEAQ (R8)(R8*2), R10   // 3·ld
	MOVQ R11, R12
	SHLQ $2, R12           // 4·vs
	LEAQ (R12)(R12*1), R13 // 8·vs
	LEAQ (R12)(R13*1), R14 // 12·vs

winoinloop:
	MOVQ DX, BX
	// k = 0: d0 − d2
	VMOVUPS (SI), Y0
	VSUBPS  4(SI), Y0, Y0
	VMOVUPS (SI)(R8*1), Y1
	VSUBPS  4(SI)(R8*1), Y1, Y1
	VMOVUPS (SI)(R8*2), Y2
	VSUBPS  4(SI)(R8*2), Y2, Y2
	VMOVUPS (SI)(R10*1), Y3
	VSUBPS  4(SI)(R10*1), Y3, Y3
	WINO_OUT_COL
	// k = 1: d1 + d2
	VMOVUPS (DI), Y0
	VADDPS  4(SI), Y0, Y0
	VMOVUPS (DI)(R8*1), Y1
	VADDPS  4(SI)(R8*1), Y1, Y1
	VMOVUPS (DI)(R8*2), Y2
	VADDPS  4(SI)(R8*2), Y2, Y2
	VMOVUPS (DI)(R10*1), Y3
	VADDPS  4(SI)(R10*1), Y3, Y3
	WINO_OUT_COL
	// k = 2: d2 − d1
	VMOVUPS 4(SI), Y0
	VSUBPS  (DI), Y0, Y0
	VMOVUPS 4(SI)(R8*1), Y1
	VSUBPS  (DI)(R8*1), Y1, Y1
	VMOVUPS 4(SI)(R8*2), Y2
	VSUBPS  (DI)(R8*2), Y2, Y2
	VMOVUPS 4(SI)(R10*1), Y3
	VSUBPS  (DI)(R10*1), Y3, Y3
	WINO_OUT_COL
	// k = 3: d1 − d3
	VMOVUPS (DI), Y0
	VSUBPS  4(DI), Y0, Y0
	VMOVUPS (DI)(R8*1), Y1
	VSUBPS  4(DI)(R8*1), Y1, Y1
	VMOVUPS (DI)(R8*2), Y2
	VSUBPS  4(DI)(R8*2), Y2, Y2
	VMOVUPS (DI)(R10*1), Y3
	VSUBPS  4(DI)(R10*1), Y3, Y3
	WINO_OUT_COL
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	DECQ CX
	JNE  winoinloop
	VZEROUPPER

winoindone:
	RET

// Row i of M A for eight tiles: BX points at M[4i][j]; a_i0 = m0+m1+m2
// into r0, a_i1 = m1−m2−m3 into r1; then BX moves to row i+1.
#define WINO_MA_ROW(r0, r1) \
	VMOVUPS (BX), r0 \
	VMOVUPS (BX)(R11*1), r1 \
	VADDPS  r1, r0, r0 \
	VADDPS  (BX)(R12*1), r0, r0 \
	VSUBPS  (BX)(R12*1), r1, r1 \
	VSUBPS  (BX)(R13*1), r1, r1 \
	ADDQ    R14, BX

// Interleave even columns e and odd columns o (eight each) and store the
// sixteen floats at lo (the first eight) and hi = lo+32 bytes.
#define WINO_STORE_PAIRS(e, o, lo, hi) \
	VUNPCKLPS  o, e, Y12 \
	VUNPCKHPS  o, e, Y13 \
	VPERM2F128 $0x20, Y13, Y12, Y14 \
	VPERM2F128 $0x31, Y13, Y12, Y12 \
	VMOVUPS    Y14, lo \
	VMOVUPS    Y12, hi

// func winoOutputAVX2(dst []float32, ld, rows, x0 int, m []float32, ms, n int, bias float32)
// winoOutputGeneric for n a positive multiple of 8 whose 2n columns from
// x0 all lie inside the row (the wrapper clips), eight tiles per pass.
TEXT ·winoOutputAVX2(SB), NOSPLIT, $0-92
	MOVQ dst_base+0(FP), DI
	MOVQ ld+24(FP), R8
	SHLQ $2, R8
	MOVQ rows+32(FP), R9
	MOVQ x0+40(FP), AX
	LEAQ (DI)(AX*4), DI
	MOVQ m_base+48(FP), SI
	MOVQ ms+72(FP), R11
	SHLQ $2, R11
	MOVQ n+80(FP), CX
	SHRQ $3, CX
	JZ   winooutdone
	VBROADCASTSS bias+88(FP), Y15
	LEAQ (R11)(R11*1), R12 // 2·ms
	LEAQ (R11)(R12*1), R13 // 3·ms
	LEAQ (R12)(R12*1), R14 // 4·ms

winooutloop:
	MOVQ SI, BX
	WINO_MA_ROW(Y0, Y1)
	WINO_MA_ROW(Y2, Y3)
	WINO_MA_ROW(Y4, Y5)
	WINO_MA_ROW(Y6, Y7)
	// Output row 0: a0 + a1 + a2 + bias.
	VADDPS Y2, Y0, Y8
	VADDPS Y4, Y8, Y8
	VADDPS Y15, Y8, Y8
	VADDPS Y3, Y1, Y9
	VADDPS Y5, Y9, Y9
	VADDPS Y15, Y9, Y9
	WINO_STORE_PAIRS(Y8, Y9, (DI), 32(DI))
	CMPQ R9, $2
	JNE  winooutnext
	// Output row 1: a1 − a2 − a3 + bias.
	VSUBPS Y4, Y2, Y10
	VSUBPS Y6, Y10, Y10
	VADDPS Y15, Y10, Y10
	VSUBPS Y5, Y3, Y11
	VSUBPS Y7, Y11, Y11
	VADDPS Y15, Y11, Y11
	WINO_STORE_PAIRS(Y10, Y11, (DI)(R8*1), 32(DI)(R8*1))

winooutnext:
	ADDQ $32, SI
	ADDQ $64, DI
	DECQ CX
	JNE  winooutloop
	VZEROUPPER

winooutdone:
	RET
