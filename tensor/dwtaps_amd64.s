//go:build amd64 && !noasm

#include "textflag.h"

// Sum of the taps for rows of columns: for every output row r and every
// block of columns, for every tap t, load srcs[t]'s base pointer (a slice
// header is 24 bytes) plus r·lds floats, broadcast wts[t], and accumulate
// wts[t]·srcs[t][r·lds + block] into the block's registers; then add the
// bias and store to dst[r·ldd + block]. R14 holds the row offset of the
// sources in bytes.

// func dwTapsRowsAVX512(dst []float32, n, ldd, rows int, srcs [][]float32, lds int, wts []float32, bias float32)
TEXT ·dwTapsRowsAVX512(SB), NOSPLIT, $0-108
	MOVQ         dst_base+0(FP), DI
	MOVQ         srcs_base+48(FP), SI
	MOVQ         srcs_len+56(FP), R8
	MOVQ         wts_base+80(FP), R9
	VBROADCASTSS bias+104(FP), Z31
	MOVQ         rows+40(FP), BX
	XORQ         R14, R14

rowloop:
	TESTQ BX, BX
	JZ    done
	MOVQ  n+24(FP), CX
	XORQ  AX, AX                          // byte offset of the block in the row

block64:
	CMPQ   CX, $64
	JLT    block16
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ   SI, R11
	MOVQ   R9, R12
	MOVQ   R8, R10

tap64:
	MOVQ         (R11), R13
	ADDQ         R14, R13
	VBROADCASTSS (R12), Z4
	VFMADD231PS  (R13)(AX*1), Z4, Z0
	VFMADD231PS  64(R13)(AX*1), Z4, Z1
	VFMADD231PS  128(R13)(AX*1), Z4, Z2
	VFMADD231PS  192(R13)(AX*1), Z4, Z3
	ADDQ         $24, R11
	ADDQ         $4, R12
	DECQ         R10
	JNZ          tap64
	VADDPS       Z31, Z0, Z0
	VADDPS       Z31, Z1, Z1
	VADDPS       Z31, Z2, Z2
	VADDPS       Z31, Z3, Z3
	VMOVUPS      Z0, (DI)(AX*1)
	VMOVUPS      Z1, 64(DI)(AX*1)
	VMOVUPS      Z2, 128(DI)(AX*1)
	VMOVUPS      Z3, 192(DI)(AX*1)
	ADDQ         $256, AX
	SUBQ         $64, CX
	JMP          block64

block16:
	CMPQ   CX, $16
	JLT    tail
	VPXORD Z0, Z0, Z0
	MOVQ   SI, R11
	MOVQ   R9, R12
	MOVQ   R8, R10

tap16:
	MOVQ             (R11), R13
	ADDQ             R14, R13
	VMOVUPS          (R13)(AX*1), Z5
	VFMADD231PS.BCST (R12), Z5, Z0
	ADDQ             $24, R11
	ADDQ             $4, R12
	DECQ             R10
	JNZ              tap16
	VADDPS           Z31, Z0, Z0
	VMOVUPS          Z0, (DI)(AX*1)
	ADDQ             $64, AX
	SUBQ             $16, CX
	JMP              block16

tail:
	TESTQ  CX, CX
	JZ     rowend
	MOVL   $1, DX
	SHLL   CX, DX
	DECL   DX
	KMOVW  DX, K1                         // the n % 16 remaining columns
	VPXORD Z0, Z0, Z0
	MOVQ   SI, R11
	MOVQ   R9, R12
	MOVQ   R8, R10

tapTail:
	MOVQ             (R11), R13
	ADDQ             R14, R13
	VMOVUPS.Z        (R13)(AX*1), K1, Z5  // masked lanes are not read
	VFMADD231PS.BCST (R12), Z5, Z0
	ADDQ             $24, R11
	ADDQ             $4, R12
	DECQ             R10
	JNZ              tapTail
	VADDPS           Z31, Z0, Z0
	VMOVUPS          Z0, K1, (DI)(AX*1)

rowend:
	MOVQ ldd+32(FP), DX
	SHLQ $2, DX
	ADDQ DX, DI
	MOVQ lds+72(FP), DX
	SHLQ $2, DX
	ADDQ DX, R14
	DECQ BX
	JMP  rowloop

done:
	VZEROUPPER
	RET
