"""Test audio: tone bursts that an energy detector takes for speech."""
import math
import struct


def tone(seconds, rate=16000, freq=220.0, amp=6000):
    n = int(seconds * rate)
    return struct.pack("<%dh" % n, *(int(amp * math.sin(2 * math.pi * freq * i / rate)) for i in range(n)))


def silence(seconds, rate=16000):
    return b"\x00\x00" * int(seconds * rate)


def ulaw(pcm):
    """PCM16 little-endian to G.711 mu-law (audioop is gone in 3.13)."""
    out = bytearray()
    for (s,) in struct.iter_unpack("<h", pcm):
        sign = 0x80 if s < 0 else 0
        s = min(abs(s), 32635) + 132
        exp = 7
        while exp > 0 and not s & (0x4000 >> (7 - exp)):
            exp -= 1
        exp = max(0, min(7, (s >> 7).bit_length() - 1))
        mant = (s >> (exp + 3)) & 0x0F
        out.append(~(sign | (exp << 4) | mant) & 0xFF)
    return bytes(out)


def chunks(data, size):
    for i in range(0, len(data), size):
        yield data[i:i + size]
