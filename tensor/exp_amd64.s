//go:build amd64 && !noasm

#include "textflag.h"

// Eight-wide copies of the expf constants (see elementwise.go), as float32
// bit patterns (expBias is the int32 127).

DATA expLog2e<>+0(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+4(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+8(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+12(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+16(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+20(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+24(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+28(SB)/4, $0x3fb8aa3b
GLOBL expLog2e<>(SB), RODATA|NOPTR, $32

DATA expHalf<>+0(SB)/4, $0x3f000000
DATA expHalf<>+4(SB)/4, $0x3f000000
DATA expHalf<>+8(SB)/4, $0x3f000000
DATA expHalf<>+12(SB)/4, $0x3f000000
DATA expHalf<>+16(SB)/4, $0x3f000000
DATA expHalf<>+20(SB)/4, $0x3f000000
DATA expHalf<>+24(SB)/4, $0x3f000000
DATA expHalf<>+28(SB)/4, $0x3f000000
GLOBL expHalf<>(SB), RODATA|NOPTR, $32

DATA expC1<>+0(SB)/4, $0x3f318000
DATA expC1<>+4(SB)/4, $0x3f318000
DATA expC1<>+8(SB)/4, $0x3f318000
DATA expC1<>+12(SB)/4, $0x3f318000
DATA expC1<>+16(SB)/4, $0x3f318000
DATA expC1<>+20(SB)/4, $0x3f318000
DATA expC1<>+24(SB)/4, $0x3f318000
DATA expC1<>+28(SB)/4, $0x3f318000
GLOBL expC1<>(SB), RODATA|NOPTR, $32

DATA expC2<>+0(SB)/4, $0xb95e8083
DATA expC2<>+4(SB)/4, $0xb95e8083
DATA expC2<>+8(SB)/4, $0xb95e8083
DATA expC2<>+12(SB)/4, $0xb95e8083
DATA expC2<>+16(SB)/4, $0xb95e8083
DATA expC2<>+20(SB)/4, $0xb95e8083
DATA expC2<>+24(SB)/4, $0xb95e8083
DATA expC2<>+28(SB)/4, $0xb95e8083
GLOBL expC2<>(SB), RODATA|NOPTR, $32

DATA expP0<>+0(SB)/4, $0x39506967
DATA expP0<>+4(SB)/4, $0x39506967
DATA expP0<>+8(SB)/4, $0x39506967
DATA expP0<>+12(SB)/4, $0x39506967
DATA expP0<>+16(SB)/4, $0x39506967
DATA expP0<>+20(SB)/4, $0x39506967
DATA expP0<>+24(SB)/4, $0x39506967
DATA expP0<>+28(SB)/4, $0x39506967
GLOBL expP0<>(SB), RODATA|NOPTR, $32

DATA expP1<>+0(SB)/4, $0x3ab743ce
DATA expP1<>+4(SB)/4, $0x3ab743ce
DATA expP1<>+8(SB)/4, $0x3ab743ce
DATA expP1<>+12(SB)/4, $0x3ab743ce
DATA expP1<>+16(SB)/4, $0x3ab743ce
DATA expP1<>+20(SB)/4, $0x3ab743ce
DATA expP1<>+24(SB)/4, $0x3ab743ce
DATA expP1<>+28(SB)/4, $0x3ab743ce
GLOBL expP1<>(SB), RODATA|NOPTR, $32

DATA expP2<>+0(SB)/4, $0x3c088908
DATA expP2<>+4(SB)/4, $0x3c088908
DATA expP2<>+8(SB)/4, $0x3c088908
DATA expP2<>+12(SB)/4, $0x3c088908
DATA expP2<>+16(SB)/4, $0x3c088908
DATA expP2<>+20(SB)/4, $0x3c088908
DATA expP2<>+24(SB)/4, $0x3c088908
DATA expP2<>+28(SB)/4, $0x3c088908
GLOBL expP2<>(SB), RODATA|NOPTR, $32

DATA expP3<>+0(SB)/4, $0x3d2aa9c1
DATA expP3<>+4(SB)/4, $0x3d2aa9c1
DATA expP3<>+8(SB)/4, $0x3d2aa9c1
DATA expP3<>+12(SB)/4, $0x3d2aa9c1
DATA expP3<>+16(SB)/4, $0x3d2aa9c1
DATA expP3<>+20(SB)/4, $0x3d2aa9c1
DATA expP3<>+24(SB)/4, $0x3d2aa9c1
DATA expP3<>+28(SB)/4, $0x3d2aa9c1
GLOBL expP3<>(SB), RODATA|NOPTR, $32

DATA expP4<>+0(SB)/4, $0x3e2aaaaa
DATA expP4<>+4(SB)/4, $0x3e2aaaaa
DATA expP4<>+8(SB)/4, $0x3e2aaaaa
DATA expP4<>+12(SB)/4, $0x3e2aaaaa
DATA expP4<>+16(SB)/4, $0x3e2aaaaa
DATA expP4<>+20(SB)/4, $0x3e2aaaaa
DATA expP4<>+24(SB)/4, $0x3e2aaaaa
DATA expP4<>+28(SB)/4, $0x3e2aaaaa
GLOBL expP4<>(SB), RODATA|NOPTR, $32

DATA expP5<>+0(SB)/4, $0x3f000000
DATA expP5<>+4(SB)/4, $0x3f000000
DATA expP5<>+8(SB)/4, $0x3f000000
DATA expP5<>+12(SB)/4, $0x3f000000
DATA expP5<>+16(SB)/4, $0x3f000000
DATA expP5<>+20(SB)/4, $0x3f000000
DATA expP5<>+24(SB)/4, $0x3f000000
DATA expP5<>+28(SB)/4, $0x3f000000
GLOBL expP5<>(SB), RODATA|NOPTR, $32

DATA expOne<>+0(SB)/4, $0x3f800000
DATA expOne<>+4(SB)/4, $0x3f800000
DATA expOne<>+8(SB)/4, $0x3f800000
DATA expOne<>+12(SB)/4, $0x3f800000
DATA expOne<>+16(SB)/4, $0x3f800000
DATA expOne<>+20(SB)/4, $0x3f800000
DATA expOne<>+24(SB)/4, $0x3f800000
DATA expOne<>+28(SB)/4, $0x3f800000
GLOBL expOne<>(SB), RODATA|NOPTR, $32

DATA expHi<>+0(SB)/4, $0x42b17218
DATA expHi<>+4(SB)/4, $0x42b17218
DATA expHi<>+8(SB)/4, $0x42b17218
DATA expHi<>+12(SB)/4, $0x42b17218
DATA expHi<>+16(SB)/4, $0x42b17218
DATA expHi<>+20(SB)/4, $0x42b17218
DATA expHi<>+24(SB)/4, $0x42b17218
DATA expHi<>+28(SB)/4, $0x42b17218
GLOBL expHi<>(SB), RODATA|NOPTR, $32

DATA expLo<>+0(SB)/4, $0xc2cff1b4
DATA expLo<>+4(SB)/4, $0xc2cff1b4
DATA expLo<>+8(SB)/4, $0xc2cff1b4
DATA expLo<>+12(SB)/4, $0xc2cff1b4
DATA expLo<>+16(SB)/4, $0xc2cff1b4
DATA expLo<>+20(SB)/4, $0xc2cff1b4
DATA expLo<>+24(SB)/4, $0xc2cff1b4
DATA expLo<>+28(SB)/4, $0xc2cff1b4
GLOBL expLo<>(SB), RODATA|NOPTR, $32

DATA expInf<>+0(SB)/4, $0x7f800000
DATA expInf<>+4(SB)/4, $0x7f800000
DATA expInf<>+8(SB)/4, $0x7f800000
DATA expInf<>+12(SB)/4, $0x7f800000
DATA expInf<>+16(SB)/4, $0x7f800000
DATA expInf<>+20(SB)/4, $0x7f800000
DATA expInf<>+24(SB)/4, $0x7f800000
DATA expInf<>+28(SB)/4, $0x7f800000
GLOBL expInf<>(SB), RODATA|NOPTR, $32

DATA expBias<>+0(SB)/4, $0x0000007f
DATA expBias<>+4(SB)/4, $0x0000007f
DATA expBias<>+8(SB)/4, $0x0000007f
DATA expBias<>+12(SB)/4, $0x0000007f
DATA expBias<>+16(SB)/4, $0x0000007f
DATA expBias<>+20(SB)/4, $0x0000007f
DATA expBias<>+24(SB)/4, $0x0000007f
DATA expBias<>+28(SB)/4, $0x0000007f
GLOBL expBias<>(SB), RODATA|NOPTR, $32

// func expAVX2(dst, src []float32)
// Processes the first len(src) &^ 7 elements; the caller does the tail.
TEXT ·expAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS (SI), Y0                 // x
	VMULPS  expLog2e<>(SB), Y0, Y1
	VADDPS  expHalf<>(SB), Y1, Y1
	VROUNDPS $1, Y1, Y1              // fn = floor(x·log2e + ½)
	VMULPS  expC1<>(SB), Y1, Y2
	VSUBPS  Y2, Y0, Y2               // r = x − fn·C1
	VMULPS  expC2<>(SB), Y1, Y3
	VSUBPS  Y3, Y2, Y2               // r −= fn·C2
	VMULPS  Y2, Y2, Y3               // r²
	VMULPS  expP0<>(SB), Y2, Y4
	VADDPS  expP1<>(SB), Y4, Y4
	VMULPS  Y2, Y4, Y4
	VADDPS  expP2<>(SB), Y4, Y4
	VMULPS  Y2, Y4, Y4
	VADDPS  expP3<>(SB), Y4, Y4
	VMULPS  Y2, Y4, Y4
	VADDPS  expP4<>(SB), Y4, Y4
	VMULPS  Y2, Y4, Y4
	VADDPS  expP5<>(SB), Y4, Y4      // p
	VMULPS  Y3, Y4, Y4
	VADDPS  Y2, Y4, Y4
	VADDPS  expOne<>(SB), Y4, Y4     // p·r² + r + 1
	VCVTTPS2DQ Y1, Y5                // n (fn is integral)
	VPSRAD  $1, Y5, Y6               // n1 = n >> 1
	VPSUBD  Y6, Y5, Y5               // n2 = n − n1
	VPADDD  expBias<>(SB), Y6, Y6
	VPSLLD  $23, Y6, Y6              // 2^n1
	VPADDD  expBias<>(SB), Y5, Y5
	VPSLLD  $23, Y5, Y5              // 2^n2
	VMULPS  Y6, Y4, Y4
	VMULPS  Y5, Y4, Y4
	VCMPPS  $0x1e, expHi<>(SB), Y0, Y7 // x > hi (false for NaN)
	VBLENDVPS Y7, expInf<>(SB), Y4, Y4
	VCMPPS  $0x11, expLo<>(SB), Y0, Y8 // x < lo (false for NaN)
	VANDNPS Y4, Y8, Y4
	VMOVUPS Y4, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     loop
	VZEROUPPER

done:
	RET
