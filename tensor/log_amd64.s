//go:build amd64 && !noasm

#include "textflag.h"

// Eight-wide copies of the logf constants (see log.go) as bit patterns.

DATA logMant<>+0(SB)/4, $0x807fffff
DATA logMant<>+4(SB)/4, $0x807fffff
DATA logMant<>+8(SB)/4, $0x807fffff
DATA logMant<>+12(SB)/4, $0x807fffff
DATA logMant<>+16(SB)/4, $0x807fffff
DATA logMant<>+20(SB)/4, $0x807fffff
DATA logMant<>+24(SB)/4, $0x807fffff
DATA logMant<>+28(SB)/4, $0x807fffff
GLOBL logMant<>(SB), RODATA|NOPTR, $32

DATA logHalfExp<>+0(SB)/4, $0x3f000000
DATA logHalfExp<>+4(SB)/4, $0x3f000000
DATA logHalfExp<>+8(SB)/4, $0x3f000000
DATA logHalfExp<>+12(SB)/4, $0x3f000000
DATA logHalfExp<>+16(SB)/4, $0x3f000000
DATA logHalfExp<>+20(SB)/4, $0x3f000000
DATA logHalfExp<>+24(SB)/4, $0x3f000000
DATA logHalfExp<>+28(SB)/4, $0x3f000000
GLOBL logHalfExp<>(SB), RODATA|NOPTR, $32

DATA logSqrtHf<>+0(SB)/4, $0x3f3504f3
DATA logSqrtHf<>+4(SB)/4, $0x3f3504f3
DATA logSqrtHf<>+8(SB)/4, $0x3f3504f3
DATA logSqrtHf<>+12(SB)/4, $0x3f3504f3
DATA logSqrtHf<>+16(SB)/4, $0x3f3504f3
DATA logSqrtHf<>+20(SB)/4, $0x3f3504f3
DATA logSqrtHf<>+24(SB)/4, $0x3f3504f3
DATA logSqrtHf<>+28(SB)/4, $0x3f3504f3
GLOBL logSqrtHf<>(SB), RODATA|NOPTR, $32

DATA logOne<>+0(SB)/4, $0x3f800000
DATA logOne<>+4(SB)/4, $0x3f800000
DATA logOne<>+8(SB)/4, $0x3f800000
DATA logOne<>+12(SB)/4, $0x3f800000
DATA logOne<>+16(SB)/4, $0x3f800000
DATA logOne<>+20(SB)/4, $0x3f800000
DATA logOne<>+24(SB)/4, $0x3f800000
DATA logOne<>+28(SB)/4, $0x3f800000
GLOBL logOne<>(SB), RODATA|NOPTR, $32

DATA logL0<>+0(SB)/4, $0x3d9021bb
DATA logL0<>+4(SB)/4, $0x3d9021bb
DATA logL0<>+8(SB)/4, $0x3d9021bb
DATA logL0<>+12(SB)/4, $0x3d9021bb
DATA logL0<>+16(SB)/4, $0x3d9021bb
DATA logL0<>+20(SB)/4, $0x3d9021bb
DATA logL0<>+24(SB)/4, $0x3d9021bb
DATA logL0<>+28(SB)/4, $0x3d9021bb
GLOBL logL0<>(SB), RODATA|NOPTR, $32

DATA logL1<>+0(SB)/4, $0xbdebd1b8
DATA logL1<>+4(SB)/4, $0xbdebd1b8
DATA logL1<>+8(SB)/4, $0xbdebd1b8
DATA logL1<>+12(SB)/4, $0xbdebd1b8
DATA logL1<>+16(SB)/4, $0xbdebd1b8
DATA logL1<>+20(SB)/4, $0xbdebd1b8
DATA logL1<>+24(SB)/4, $0xbdebd1b8
DATA logL1<>+28(SB)/4, $0xbdebd1b8
GLOBL logL1<>(SB), RODATA|NOPTR, $32

DATA logL2<>+0(SB)/4, $0x3def251a
DATA logL2<>+4(SB)/4, $0x3def251a
DATA logL2<>+8(SB)/4, $0x3def251a
DATA logL2<>+12(SB)/4, $0x3def251a
DATA logL2<>+16(SB)/4, $0x3def251a
DATA logL2<>+20(SB)/4, $0x3def251a
DATA logL2<>+24(SB)/4, $0x3def251a
DATA logL2<>+28(SB)/4, $0x3def251a
GLOBL logL2<>(SB), RODATA|NOPTR, $32

DATA logL3<>+0(SB)/4, $0xbdfe5d4f
DATA logL3<>+4(SB)/4, $0xbdfe5d4f
DATA logL3<>+8(SB)/4, $0xbdfe5d4f
DATA logL3<>+12(SB)/4, $0xbdfe5d4f
DATA logL3<>+16(SB)/4, $0xbdfe5d4f
DATA logL3<>+20(SB)/4, $0xbdfe5d4f
DATA logL3<>+24(SB)/4, $0xbdfe5d4f
DATA logL3<>+28(SB)/4, $0xbdfe5d4f
GLOBL logL3<>(SB), RODATA|NOPTR, $32

DATA logL4<>+0(SB)/4, $0x3e11e9bf
DATA logL4<>+4(SB)/4, $0x3e11e9bf
DATA logL4<>+8(SB)/4, $0x3e11e9bf
DATA logL4<>+12(SB)/4, $0x3e11e9bf
DATA logL4<>+16(SB)/4, $0x3e11e9bf
DATA logL4<>+20(SB)/4, $0x3e11e9bf
DATA logL4<>+24(SB)/4, $0x3e11e9bf
DATA logL4<>+28(SB)/4, $0x3e11e9bf
GLOBL logL4<>(SB), RODATA|NOPTR, $32

DATA logL5<>+0(SB)/4, $0xbe2aae50
DATA logL5<>+4(SB)/4, $0xbe2aae50
DATA logL5<>+8(SB)/4, $0xbe2aae50
DATA logL5<>+12(SB)/4, $0xbe2aae50
DATA logL5<>+16(SB)/4, $0xbe2aae50
DATA logL5<>+20(SB)/4, $0xbe2aae50
DATA logL5<>+24(SB)/4, $0xbe2aae50
DATA logL5<>+28(SB)/4, $0xbe2aae50
GLOBL logL5<>(SB), RODATA|NOPTR, $32

DATA logL6<>+0(SB)/4, $0x3e4cceac
DATA logL6<>+4(SB)/4, $0x3e4cceac
DATA logL6<>+8(SB)/4, $0x3e4cceac
DATA logL6<>+12(SB)/4, $0x3e4cceac
DATA logL6<>+16(SB)/4, $0x3e4cceac
DATA logL6<>+20(SB)/4, $0x3e4cceac
DATA logL6<>+24(SB)/4, $0x3e4cceac
DATA logL6<>+28(SB)/4, $0x3e4cceac
GLOBL logL6<>(SB), RODATA|NOPTR, $32

DATA logL7<>+0(SB)/4, $0xbe7ffffc
DATA logL7<>+4(SB)/4, $0xbe7ffffc
DATA logL7<>+8(SB)/4, $0xbe7ffffc
DATA logL7<>+12(SB)/4, $0xbe7ffffc
DATA logL7<>+16(SB)/4, $0xbe7ffffc
DATA logL7<>+20(SB)/4, $0xbe7ffffc
DATA logL7<>+24(SB)/4, $0xbe7ffffc
DATA logL7<>+28(SB)/4, $0xbe7ffffc
GLOBL logL7<>(SB), RODATA|NOPTR, $32

DATA logL8<>+0(SB)/4, $0x3eaaaaaa
DATA logL8<>+4(SB)/4, $0x3eaaaaaa
DATA logL8<>+8(SB)/4, $0x3eaaaaaa
DATA logL8<>+12(SB)/4, $0x3eaaaaaa
DATA logL8<>+16(SB)/4, $0x3eaaaaaa
DATA logL8<>+20(SB)/4, $0x3eaaaaaa
DATA logL8<>+24(SB)/4, $0x3eaaaaaa
DATA logL8<>+28(SB)/4, $0x3eaaaaaa
GLOBL logL8<>(SB), RODATA|NOPTR, $32

DATA logQ1<>+0(SB)/4, $0xb95e8083
DATA logQ1<>+4(SB)/4, $0xb95e8083
DATA logQ1<>+8(SB)/4, $0xb95e8083
DATA logQ1<>+12(SB)/4, $0xb95e8083
DATA logQ1<>+16(SB)/4, $0xb95e8083
DATA logQ1<>+20(SB)/4, $0xb95e8083
DATA logQ1<>+24(SB)/4, $0xb95e8083
DATA logQ1<>+28(SB)/4, $0xb95e8083
GLOBL logQ1<>(SB), RODATA|NOPTR, $32

DATA logMinusHalf<>+0(SB)/4, $0xbf000000
DATA logMinusHalf<>+4(SB)/4, $0xbf000000
DATA logMinusHalf<>+8(SB)/4, $0xbf000000
DATA logMinusHalf<>+12(SB)/4, $0xbf000000
DATA logMinusHalf<>+16(SB)/4, $0xbf000000
DATA logMinusHalf<>+20(SB)/4, $0xbf000000
DATA logMinusHalf<>+24(SB)/4, $0xbf000000
DATA logMinusHalf<>+28(SB)/4, $0xbf000000
GLOBL logMinusHalf<>(SB), RODATA|NOPTR, $32

DATA logQ2<>+0(SB)/4, $0x3f318000
DATA logQ2<>+4(SB)/4, $0x3f318000
DATA logQ2<>+8(SB)/4, $0x3f318000
DATA logQ2<>+12(SB)/4, $0x3f318000
DATA logQ2<>+16(SB)/4, $0x3f318000
DATA logQ2<>+20(SB)/4, $0x3f318000
DATA logQ2<>+24(SB)/4, $0x3f318000
DATA logQ2<>+28(SB)/4, $0x3f318000
GLOBL logQ2<>(SB), RODATA|NOPTR, $32

DATA logMinNorm<>+0(SB)/4, $0x00800000
DATA logMinNorm<>+4(SB)/4, $0x00800000
DATA logMinNorm<>+8(SB)/4, $0x00800000
DATA logMinNorm<>+12(SB)/4, $0x00800000
DATA logMinNorm<>+16(SB)/4, $0x00800000
DATA logMinNorm<>+20(SB)/4, $0x00800000
DATA logMinNorm<>+24(SB)/4, $0x00800000
DATA logMinNorm<>+28(SB)/4, $0x00800000
GLOBL logMinNorm<>(SB), RODATA|NOPTR, $32

DATA logTwo23<>+0(SB)/4, $0x4b000000
DATA logTwo23<>+4(SB)/4, $0x4b000000
DATA logTwo23<>+8(SB)/4, $0x4b000000
DATA logTwo23<>+12(SB)/4, $0x4b000000
DATA logTwo23<>+16(SB)/4, $0x4b000000
DATA logTwo23<>+20(SB)/4, $0x4b000000
DATA logTwo23<>+24(SB)/4, $0x4b000000
DATA logTwo23<>+28(SB)/4, $0x4b000000
GLOBL logTwo23<>(SB), RODATA|NOPTR, $32

DATA logMinus23<>+0(SB)/4, $0xffffffe9
DATA logMinus23<>+4(SB)/4, $0xffffffe9
DATA logMinus23<>+8(SB)/4, $0xffffffe9
DATA logMinus23<>+12(SB)/4, $0xffffffe9
DATA logMinus23<>+16(SB)/4, $0xffffffe9
DATA logMinus23<>+20(SB)/4, $0xffffffe9
DATA logMinus23<>+24(SB)/4, $0xffffffe9
DATA logMinus23<>+28(SB)/4, $0xffffffe9
GLOBL logMinus23<>(SB), RODATA|NOPTR, $32

DATA logBias<>+0(SB)/4, $0x0000007e
DATA logBias<>+4(SB)/4, $0x0000007e
DATA logBias<>+8(SB)/4, $0x0000007e
DATA logBias<>+12(SB)/4, $0x0000007e
DATA logBias<>+16(SB)/4, $0x0000007e
DATA logBias<>+20(SB)/4, $0x0000007e
DATA logBias<>+24(SB)/4, $0x0000007e
DATA logBias<>+28(SB)/4, $0x0000007e
GLOBL logBias<>(SB), RODATA|NOPTR, $32

DATA logInf<>+0(SB)/4, $0x7f800000
DATA logInf<>+4(SB)/4, $0x7f800000
DATA logInf<>+8(SB)/4, $0x7f800000
DATA logInf<>+12(SB)/4, $0x7f800000
DATA logInf<>+16(SB)/4, $0x7f800000
DATA logInf<>+20(SB)/4, $0x7f800000
DATA logInf<>+24(SB)/4, $0x7f800000
DATA logInf<>+28(SB)/4, $0x7f800000
GLOBL logInf<>(SB), RODATA|NOPTR, $32

DATA logNegInf<>+0(SB)/4, $0xff800000
DATA logNegInf<>+4(SB)/4, $0xff800000
DATA logNegInf<>+8(SB)/4, $0xff800000
DATA logNegInf<>+12(SB)/4, $0xff800000
DATA logNegInf<>+16(SB)/4, $0xff800000
DATA logNegInf<>+20(SB)/4, $0xff800000
DATA logNegInf<>+24(SB)/4, $0xff800000
DATA logNegInf<>+28(SB)/4, $0xff800000
GLOBL logNegInf<>(SB), RODATA|NOPTR, $32

DATA logNaN<>+0(SB)/4, $0x7fc00000
DATA logNaN<>+4(SB)/4, $0x7fc00000
DATA logNaN<>+8(SB)/4, $0x7fc00000
DATA logNaN<>+12(SB)/4, $0x7fc00000
DATA logNaN<>+16(SB)/4, $0x7fc00000
DATA logNaN<>+20(SB)/4, $0x7fc00000
DATA logNaN<>+24(SB)/4, $0x7fc00000
DATA logNaN<>+28(SB)/4, $0x7fc00000
GLOBL logNaN<>(SB), RODATA|NOPTR, $32

// func logAVX2(dst, src []float32)
// Processes the first len(src) &^ 7 elements; the caller does the tail.
TEXT ·logAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS (SI), Y0                     // x
	// Subnormals: scale by 2²³ and remember −23 for the exponent.
	VCMPPS  $0x11, logMinNorm<>(SB), Y0, Y1 // x < 2⁻¹²⁶ (false for NaN)
	VMULPS  logTwo23<>(SB), Y0, Y2
	VBLENDVPS Y1, Y2, Y0, Y2             // xs
	VANDPS  logMinus23<>(SB), Y1, Y3     // eoff (int32: −23 or 0)
	// e = (bits >> 23) − 126 + eoff; m = mantissa with exponent 126 (in [½, 1)).
	VPSRLD  $23, Y2, Y4
	VPSUBD  logBias<>(SB), Y4, Y4
	VPADDD  Y3, Y4, Y4
	VANDPS  logMant<>(SB), Y2, Y5
	VORPS   logHalfExp<>(SB), Y5, Y5     // m
	// if m < √½ { e−−; m = m + m − 1 } else { m = m − 1 }
	VCMPPS  $0x11, logSqrtHf<>(SB), Y5, Y6
	VPADDD  Y6, Y4, Y4                   // mask is −1 where true
	VANDPS  Y5, Y6, Y7
	VADDPS  Y7, Y5, Y5
	VSUBPS  logOne<>(SB), Y5, Y5         // m
	VCVTDQ2PS Y4, Y4                     // fe
	VMULPS  Y5, Y5, Y6                   // z = m²
	VMULPS  logL0<>(SB), Y5, Y7
	VADDPS  logL1<>(SB), Y7, Y7
	VMULPS  Y5, Y7, Y7
	VADDPS  logL2<>(SB), Y7, Y7
	VMULPS  Y5, Y7, Y7
	VADDPS  logL3<>(SB), Y7, Y7
	VMULPS  Y5, Y7, Y7
	VADDPS  logL4<>(SB), Y7, Y7
	VMULPS  Y5, Y7, Y7
	VADDPS  logL5<>(SB), Y7, Y7
	VMULPS  Y5, Y7, Y7
	VADDPS  logL6<>(SB), Y7, Y7
	VMULPS  Y5, Y7, Y7
	VADDPS  logL7<>(SB), Y7, Y7
	VMULPS  Y5, Y7, Y7
	VADDPS  logL8<>(SB), Y7, Y7
	VMULPS  Y5, Y7, Y7
	VMULPS  Y6, Y7, Y7                   // y = poly·m·z
	VMULPS  logQ1<>(SB), Y4, Y8
	VADDPS  Y8, Y7, Y7                   // y += q1·fe
	VMULPS  logMinusHalf<>(SB), Y6, Y8
	VADDPS  Y8, Y7, Y7                   // y += −½·z
	VADDPS  Y7, Y5, Y7                   // r = m + y
	VMULPS  logQ2<>(SB), Y4, Y8
	VADDPS  Y8, Y7, Y7                   // r += q2·fe
	// Special values: +Inf → +Inf, 0 → −Inf, x < 0 or NaN → NaN.
	VCMPPS  $0x00, logInf<>(SB), Y0, Y1  // x == +Inf
	VBLENDVPS Y1, logInf<>(SB), Y7, Y7
	VXORPS  Y2, Y2, Y2
	VCMPPS  $0x00, Y2, Y0, Y1            // x == 0 (either sign)
	VBLENDVPS Y1, logNegInf<>(SB), Y7, Y7
	VCMPPS  $0x19, Y2, Y0, Y1            // x < 0 or NaN (NGE_UQ)
	VBLENDVPS Y1, logNaN<>(SB), Y7, Y7
	VMOVUPS Y7, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     loop
	VZEROUPPER

done:
	RET
