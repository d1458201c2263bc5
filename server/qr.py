"""The join QR code: the browser address as a picture, dark on light whatever the theme.

Phones scan it from the projector view (`/qr.svg`) or from the host's screen (text rows of
half blocks). It encodes the plain `http://<numeric address>:<port>/` -- never a `.local`
name, which Android browsers do not resolve.
"""

from __future__ import annotations

import io

import segno

DARK = "#000000"
LIGHT = "#ffffff"


def _code(url: str) -> segno.QRCode:
    return segno.make(url, error="m", micro=False)


def svg(url: str) -> bytes:
    """The QR code of `url` as a standalone SVG picture, black modules on white."""
    buffer = io.BytesIO()
    _code(url).save(buffer, kind="svg", scale=8, border=4, dark=DARK, light=LIGHT,
                    xmldecl=False, svgclass=None, lineclass=None)
    return buffer.getvalue()


def text_rows(url: str, border: int = 2) -> list[str]:
    """The QR code of `url` as lines of text, two rows of modules per line.

    A character marks the *dark* modules (`▀` top, `▄` bottom, `█` both, space none), so
    draw the lines with a dark foreground on a light background (for example black on
    white), whatever the terminal's theme; the quiet zone of `border` light modules
    around it is part of the lines."""
    matrix = [[bool(cell) for cell in row] for row in _code(url).matrix_iter(scale=1, border=border)]
    if len(matrix) % 2:
        matrix.append([False] * len(matrix[0]))
    glyphs = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
    return ["".join(glyphs[top, bottom] for top, bottom in zip(upper, lower, strict=True))
            for upper, lower in zip(matrix[0::2], matrix[1::2], strict=True)]
