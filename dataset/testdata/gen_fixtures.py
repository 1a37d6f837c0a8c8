#!/usr/bin/env python3
"""Writes the decoder fixtures of package dataset with a minimal PNG encoder
(struct + zlib only), independent of Go's image/png, plus decode_golden.json
with the pixel values each valid file must decode to.

Run from this directory:  python3 gen_fixtures.py
"""
import json
import struct
import zlib


def chunk(tag, data):
    c = struct.pack(">I", len(data)) + tag + data
    return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def png(w, h, bit_depth, color_type, rows, plte=None):
    """rows: list of bytes objects, one per scanline (filter byte added)."""
    raw = b"".join(b"\x00" + r for r in rows)
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0))
    if plte is not None:
        out += chunk(b"PLTE", b"".join(bytes(c) for c in plte))
    out += chunk(b"IDAT", zlib.compress(raw))
    out += chunk(b"IEND", b"")
    return out


W, H = 4, 3
golden = {}

# 8-bit gray label map: 0..2 classes, 254 anomaly, 255 void.
lab = [[0, 1, 2, 254], [255, 0, 1, 2], [2, 2, 1, 0]]
open("gray8_label.png", "wb").write(png(W, H, 8, 0, [bytes(r) for r in lab]))
golden["gray8_label.png"] = {"w": W, "h": H, "labels": sum(lab, [])}

# Paletted label map: indices are the labels (VOC style); palette colours differ.
pal = [(i * 40 % 256, 255 - i * 30 % 256, i * 7 % 256) for i in range(5)]
idx = [[0, 1, 2, 3], [4, 3, 2, 1], [0, 0, 4, 4]]
open("palette_label.png", "wb").write(png(W, H, 8, 3, [bytes(r) for r in idx], plte=pal))
golden["palette_label.png"] = {"w": W, "h": H, "labels": sum(idx, []),
                              "rgb": [c for i in sum(idx, []) for c in pal[i]]}

# RGB label whose channels are equal: accepted as a gray label.
eq = [[v for v in r for _ in range(3)] for r in lab]
open("rgb_gray_label.png", "wb").write(png(W, H, 8, 2, [bytes(r) for r in eq]))
golden["rgb_gray_label.png"] = {"w": W, "h": H, "labels": sum(lab, [])}

# 8-bit RGB image.
rgb = [[(x * 60 + y * 7) % 256 for x in range(W) for _ in range(3)] for y in range(H)]
rgb = [[(v + 50 * (i % 3)) % 256 for i, v in enumerate(r)] for r in rgb]
open("rgb_image.png", "wb").write(png(W, H, 8, 2, [bytes(r) for r in rgb]))
golden["rgb_image.png"] = {"w": W, "h": H, "rgb": sum(rgb, [])}

# 16-bit RGBA image: decoded to the high byte, alpha ignored.
rows16, hi = [], []
for y in range(H):
    r = b""
    for x in range(W):
        vals = [(x * 9000 + y * 300 + c * 12345) % 65536 for c in range(3)] + [40000]
        r += struct.pack(">HHHH", *vals)
        hi += [v >> 8 for v in vals[:3]]
    rows16.append(r)
open("rgba16_image.png", "wb").write(png(W, H, 16, 6, rows16))
golden["rgba16_image.png"] = {"w": W, "h": H, "rgb": hi}

# 16-bit gray depth (centimetres) / disparity map.
dep = [[0, 100, 2550, 65535], [1, 257, 5000, 12345], [300, 400, 500, 600]]
open("gray16_depth.png", "wb").write(png(W, H, 16, 0, [struct.pack(">HHHH", *r) for r in dep]))
golden["gray16_depth.png"] = {"w": W, "h": H, "gray16": sum(dep, [])}

# Invalid files.
open("invalid-color_label.png", "wb").write(png(W, H, 8, 2, [bytes(r) for r in rgb]))
good = open("gray8_label.png", "rb").read()
open("invalid-truncated.png", "wb").write(good[: len(good) - 20])
bad = bytearray(good)
bad[30] ^= 0xFF  # inside IHDR: CRC no longer matches
open("invalid-crc.png", "wb").write(bytes(bad))
# A valid header claiming 20000 x 20000 pixels and no image data: must be
# rejected from the header alone (400 Mpixel > 64 Mpixel).
huge = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0)) + chunk(b"IEND", b"")
open("invalid-huge.png", "wb").write(huge)
open("invalid-notimage.png", "wb").write(b"this is not an image\n")

json.dump(golden, open("decode_golden.json", "w"), indent=1, sort_keys=True)
