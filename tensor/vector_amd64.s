//go:build amd64 && !noasm

#include "textflag.h"

// func addAVX2(dst, a, b []float32)
TEXT ·addAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
	SHRQ $3, CX
	JZ   adddone

addloop:
	VMOVUPS (SI), Y0
	VADDPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNE     addloop
	VZEROUPPER

adddone:
	RET

// func subAVX2(dst, a, b []float32)
TEXT ·subAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
	SHRQ $3, CX
	JZ   subdone

subloop:
	VMOVUPS (SI), Y0
	VSUBPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNE     subloop
	VZEROUPPER

subdone:
	RET

// func mulAVX2(dst, a, b []float32)
TEXT ·mulAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
	SHRQ $3, CX
	JZ   muldone

mulloop:
	VMOVUPS (SI), Y0
	VMULPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNE     mulloop
	VZEROUPPER

muldone:
	RET

// func divAVX2(dst, a, b []float32)
TEXT ·divAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
	SHRQ $3, CX
	JZ   divdone

divloop:
	VMOVUPS (SI), Y0
	VDIVPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNE     divloop
	VZEROUPPER

divdone:
	RET

// func scaleAVX2(dst, a []float32, s float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-52
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	VBROADCASTSS s+48(FP), Y1
	SHRQ $3, CX
	JZ   scaledone

scaleloop:
	VMOVUPS (SI), Y0
	VMULPS Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     scaleloop
	VZEROUPPER

scaledone:
	RET

// func addScalarAVX2(dst, a []float32, s float32)
TEXT ·addScalarAVX2(SB), NOSPLIT, $0-52
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	VBROADCASTSS s+48(FP), Y1
	SHRQ $3, CX
	JZ   addScalardone

addScalarloop:
	VMOVUPS (SI), Y0
	VADDPS Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     addScalarloop
	VZEROUPPER

addScalardone:
	RET

// func reluAVX2(dst, a []float32)
TEXT ·reluAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	VXORPS Y1, Y1, Y1
	SHRQ $3, CX
	JZ   reludone

reluloop:
	VMOVUPS (SI), Y0
	VMAXPS  Y0, Y1, Y0     // 0 > x ? 0 : x, which keeps NaN
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     reluloop
	VZEROUPPER

reludone:
	RET

// func maxIntoAVX2(m, x []float32)
TEXT ·maxIntoAVX2(SB), NOSPLIT, $0-48
	MOVQ m_base+0(FP), DI
	MOVQ m_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	SHRQ $3, CX
	JZ   maxdone

maxloop:
	VMOVUPS (SI), Y0             // x
	VMOVUPS (DI), Y1             // m
	VMAXPS  Y1, Y0, Y2           // x > m ? x : m (m when either is NaN)
	VCMPPS  $3, Y0, Y0, Y3       // x is NaN
	VBLENDVPS Y3, Y0, Y2, Y2     // then x
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     maxloop
	VZEROUPPER

maxdone:
	RET

// func deinterleave2AVX2(d0, d1, src []float32)
// For j < len(d0)&^7: d0[j] = src[2j], d1[j] = src[2j+1].
TEXT ·deinterleave2AVX2(SB), NOSPLIT, $0-72
	MOVQ d0_base+0(FP), DI
	MOVQ d0_len+8(FP), CX
	MOVQ d1_base+24(FP), DX
	MOVQ src_base+48(FP), SI
	SHRQ $3, CX
	JZ   deidone

deiloop:
	VMOVUPS   (SI), Y0
	VMOVUPS   32(SI), Y1
	VSHUFPS   $0x88, Y1, Y0, Y2 // evens, lanes interleaved
	VSHUFPS   $0xDD, Y1, Y0, Y3 // odds
	VPERMPD   $0xD8, Y2, Y2
	VPERMPD   $0xD8, Y3, Y3
	VMOVUPS   Y2, (DI)
	VMOVUPS   Y3, (DX)
	ADDQ      $64, SI
	ADDQ      $32, DI
	ADDQ      $32, DX
	DECQ      CX
	JNE       deiloop
	VZEROUPPER

deidone:
	RET

// func interleaveAdd2AVX2(dst, s0, s1 []float32)
// For j < len(s0)&^7: dst[2j] += s0[j], dst[2j+1] += s1[j].
TEXT ·interleaveAdd2AVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ s0_base+24(FP), SI
	MOVQ s0_len+32(FP), CX
	MOVQ s1_base+48(FP), DX
	SHRQ $3, CX
	JZ   iladone

ilaloop:
	VMOVUPS    (SI), Y0
	VMOVUPS    (DX), Y1
	VUNPCKLPS  Y1, Y0, Y2
	VUNPCKHPS  Y1, Y0, Y3
	VPERM2F128 $0x20, Y3, Y2, Y4
	VPERM2F128 $0x31, Y3, Y2, Y5
	VADDPS     (DI), Y4, Y4
	VADDPS     32(DI), Y5, Y5
	VMOVUPS    Y4, (DI)
	VMOVUPS    Y5, 32(DI)
	ADDQ       $32, SI
	ADDQ       $32, DX
	ADDQ       $64, DI
	DECQ       CX
	JNE        ilaloop
	VZEROUPPER

iladone:
	RET

// func axpyAVX2(alpha float32, x, y []float32)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ y_base+32(FP), DI

loop32:
	CMPQ CX, $32
	JL   loop8
	VMULPS (SI), Y0, Y1
	VMULPS 32(SI), Y0, Y2
	VMULPS 64(SI), Y0, Y3
	VMULPS 96(SI), Y0, Y4
	VADDPS (DI), Y1, Y1
	VADDPS 32(DI), Y2, Y2
	VADDPS 64(DI), Y3, Y3
	VADDPS 96(DI), Y4, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32

loop8:
	CMPQ CX, $8
	JL   tail
	VMULPS (SI), Y0, Y1
	VADDPS (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8

tail:
	VZEROUPPER
	TESTQ CX, CX
	JE    done
	MOVSS alpha+0(FP), X0

tailloop:
	MOVSS (SI), X1
	MULSS X0, X1
	ADDSS (DI), X1
	MOVSS X1, (DI)
	ADDQ  $4, SI
	ADDQ  $4, DI
	DECQ  CX
	JNE   tailloop

done:
	RET

DATA hsThree<>+0(SB)/4, $3.0
GLOBL hsThree<>(SB), RODATA|NOPTR, $4
DATA hsSix<>+0(SB)/4, $6.0
GLOBL hsSix<>(SB), RODATA|NOPTR, $4

// func hardswishAVX2(dst, a []float32)
TEXT ·hardswishAVX2(SB), NOSPLIT, $0-48
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         a_base+24(FP), SI
	VBROADCASTSS hsThree<>(SB), Y1
	VBROADCASTSS hsSix<>(SB), Y2
	VXORPS       Y3, Y3, Y3
	SHRQ         $3, CX
	JZ           hsdone

hsloop:
	VMOVUPS (SI), Y0
	VADDPS  Y1, Y0, Y4     // x+3
	VMAXPS  Y3, Y4, Y4     // max(x+3, 0)
	VMINPS  Y2, Y4, Y4     // min(·, 6)
	VMULPS  Y4, Y0, Y4     // x·(·)
	VDIVPS  Y2, Y4, Y4     // /6
	VMOVUPS Y4, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     hsloop
	VZEROUPPER

hsdone:
	RET

// func affineAVX2(dst, a []float32, s, t float32)
TEXT ·affineAVX2(SB), NOSPLIT, $0-56
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         a_base+24(FP), SI
	VBROADCASTSS s+48(FP), Y1
	VBROADCASTSS t+52(FP), Y2
	SHRQ         $3, CX
	JZ           affdone

affloop:
	VMOVUPS (SI), Y0
	VMULPS  Y1, Y0, Y0     // a·s, rounded
	VADDPS  Y2, Y0, Y0     // + t, rounded: the Go expression's two steps
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     affloop
	VZEROUPPER

affdone:
	RET
