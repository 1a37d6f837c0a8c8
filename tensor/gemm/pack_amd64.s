//go:build amd64 && !noasm

#include "textflag.h"

// func transpose8AVX(blocks int, src []float32, lds int, dst []float32, ldd int, alpha float32)
TEXT ·transpose8AVX(SB), NOSPLIT, $0-76
	MOVQ blocks+0(FP), CX
	MOVQ src_base+8(FP), SI
	MOVQ lds+32(FP), R8
	MOVQ dst_base+40(FP), DI
	MOVQ ldd+64(FP), DX
	VBROADCASTSS alpha+72(FP), Y15
	SHLQ $2, R8
	SHLQ $2, DX
	LEAQ (R8)(R8*2), R9  // 3·lds
	LEAQ (DX)(DX*2), R10 // 3·ldd
	TESTQ CX, CX
	JZ   done

loop:
	// Rows 0-7 of the 8×8 block: SI, SI+lds, ..., SI+7·lds.
	MOVQ SI, AX
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(R8*1), Y1
	VMOVUPS (AX)(R8*2), Y2
	VMOVUPS (AX)(R9*1), Y3
	LEAQ (AX)(R8*4), AX
	VMOVUPS (AX), Y4
	VMOVUPS (AX)(R8*1), Y5
	VMOVUPS (AX)(R8*2), Y6
	VMOVUPS (AX)(R9*1), Y7

	VUNPCKLPS Y1, Y0, Y8  // r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5]
	VUNPCKHPS Y1, Y0, Y9  // r0[2] r1[2] r0[3] r1[3] | ...
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y1

	VSHUFPS $0x44, Y10, Y8, Y0 // column 0 | 4 of rows 0-3
	VSHUFPS $0xEE, Y10, Y8, Y2 // column 1 | 5
	VSHUFPS $0x44, Y11, Y9, Y3 // column 2 | 6
	VSHUFPS $0xEE, Y11, Y9, Y4 // column 3 | 7
	VSHUFPS $0x44, Y14, Y12, Y5 // column 0 | 4 of rows 4-7
	VSHUFPS $0xEE, Y14, Y12, Y6
	VSHUFPS $0x44, Y1, Y13, Y7
	VSHUFPS $0xEE, Y1, Y13, Y8

	VPERM2F128 $0x20, Y5, Y0, Y9  // column 0
	VPERM2F128 $0x20, Y6, Y2, Y10 // column 1
	VPERM2F128 $0x20, Y7, Y3, Y11 // column 2
	VPERM2F128 $0x20, Y8, Y4, Y12 // column 3
	VPERM2F128 $0x31, Y5, Y0, Y0  // column 4
	VPERM2F128 $0x31, Y6, Y2, Y2  // column 5
	VPERM2F128 $0x31, Y7, Y3, Y3  // column 6
	VPERM2F128 $0x31, Y8, Y4, Y4  // column 7

	VMULPS Y15, Y9, Y9
	VMULPS Y15, Y10, Y10
	VMULPS Y15, Y11, Y11
	VMULPS Y15, Y12, Y12
	VMULPS Y15, Y0, Y0
	VMULPS Y15, Y2, Y2
	VMULPS Y15, Y3, Y3
	VMULPS Y15, Y4, Y4

	MOVQ DI, BX
	VMOVUPS Y9, (BX)
	VMOVUPS Y10, (BX)(DX*1)
	VMOVUPS Y11, (BX)(DX*2)
	VMOVUPS Y12, (BX)(R10*1)
	LEAQ (BX)(DX*4), BX
	VMOVUPS Y0, (BX)
	VMOVUPS Y2, (BX)(DX*1)
	VMOVUPS Y3, (BX)(DX*2)
	VMOVUPS Y4, (BX)(R10*1)

	ADDQ $32, SI
	LEAQ (BX)(DX*4), DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// func copyRowsAVX(kc int, src []float32, lds int, dst []float32, nr int, alpha float32)
TEXT ·copyRowsAVX(SB), NOSPLIT, $0-76
	MOVQ kc+0(FP), CX
	MOVQ src_base+8(FP), SI
	MOVQ lds+32(FP), R8
	MOVQ dst_base+40(FP), DI
	MOVQ nr+64(FP), R9
	VBROADCASTSS alpha+72(FP), Y1
	SHLQ $2, R8
	SHRQ $3, R9
	TESTQ CX, CX
	JZ   copydone
	TESTQ R9, R9
	JZ   copydone

copyrow:
	MOVQ SI, AX
	MOVQ R9, R10

copyvec:
	// Fetch the same columns eight rows ahead: the rows are far apart,
	// so the hardware prefetcher does not see them as one stream.
	PREFETCHT0 (AX)(R8*8)
	VMULPS  (AX), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, AX
	ADDQ $32, DI
	DECQ R10
	JNZ  copyvec

	ADDQ R8, SI
	DECQ CX
	JNZ  copyrow

copydone:
	VZEROUPPER
	RET
