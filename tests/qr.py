"""Reading a QR code's SVG back into its dark modules, to compare with the code of a
given text: the picture is known to say that text, whoever drew it."""

import re

import segno

BORDER = 4


def dark_modules(svg: str) -> set[tuple[int, int]]:
    """segno's path draws each row's dark runs as `h` strokes at y = row + 0.5."""
    path = re.search(r' d="([^"]+)"', svg)[1]
    x = y = 0.0
    dark = set()
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark |= {(int(x) + i - BORDER, int(y) - BORDER) for i in range(int(float(a)))}
            x += float(a)
    return dark


def says(svg: str, text: str) -> bool:
    matrix = segno.make(text, error="m").matrix
    expected = {(c, r) for r, row in enumerate(matrix) for c, on in enumerate(row) if on}
    return dark_modules(svg) == expected
