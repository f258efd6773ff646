"""OFD path data (GB/T 33190-2016 section 9.3.5, `AbbreviatedData`) to PDF path segments. Pure.

    S x y / M x y       start a subpath            L x y              line to
    Q x1 y1 x y         quadratic Bézier           B x1 y1 x2 y2 x y  cubic Bézier
    A rx ry angle large sweep x y                  elliptical arc (as in SVG)
    C                   close the subpath

Numbers after an operator's operands repeat it (as SVG does; some producers write `L` once).
Out comes a list of `("m", x, y)`, `("l", x, y)`, `("c", x1, y1, x2, y2, x, y)`, `("h",)`:
quadratics and arcs become cubics. Bad data (an unknown operator, a missing operand, a number that
is not finite, more than `MAX_TOKENS` tokens) is `OfdMalformed`, never another exception.
"""

from __future__ import annotations

import math

from inkseal.signing.core.ofd.errors import OfdMalformed

Segment = tuple[str, ...] | tuple[str, float, float] | tuple[str, float, float, float, float, float, float]
MAX_TOKENS = 2_000_000
_ARITY = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}


def _number(token: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise OfdMalformed(f"path data: {token[:20]!r} is neither an operator nor a number")
    if not math.isfinite(value) or abs(value) > 1e9:
        raise OfdMalformed(f"path data: {token[:20]!r} is not a usable coordinate")
    return value


def parse_abbreviated(data: str) -> list[tuple[float | str, ...]]:
    tokens = data.split()
    if len(tokens) > MAX_TOKENS:
        raise OfdMalformed("path data: too many tokens")
    out: list[tuple[float | str, ...]] = []
    index = 0
    operator = ""
    start = current = (0.0, 0.0)
    while index < len(tokens):
        token = tokens[index]
        if token in _ARITY:
            operator = token
            index += 1
            if operator == "C":
                if out:
                    out.append(("h",))
                    current = start
                continue
        elif not operator or operator == "C":
            raise OfdMalformed(f"path data: {token[:20]!r} where an operator belongs")
        arity = _ARITY[operator]
        if index + arity > len(tokens):
            raise OfdMalformed(f"path data: {operator} needs {arity} numbers")
        values = [_number(t) for t in tokens[index : index + arity]]
        index += arity
        if operator in ("S", "M"):
            start = current = (values[0], values[1])
            out.append(("m", *current))
        else:
            if not out:  # drawing before any start: from the origin, as readers do
                out.append(("m", *current))
            if operator == "L":
                current = (values[0], values[1])
                out.append(("l", *current))
            elif operator == "Q":
                (x0, y0), (x1, y1), (x, y) = current, values[0:2], values[2:4]
                out.append(
                    (
                        "c",
                        x0 + 2 / 3 * (x1 - x0),
                        y0 + 2 / 3 * (y1 - y0),
                        x + 2 / 3 * (x1 - x),
                        y + 2 / 3 * (y1 - y),
                        x,
                        y,
                    )
                )
                current = (x, y)
            elif operator == "B":
                out.append(("c", *values))
                current = (values[4], values[5])
            else:  # A
                end = (values[5], values[6])
                out += _arc(current, values[0], values[1], values[2], values[3] != 0, values[4] != 0, end)
                current = end
    return out


def _arc(
    p0: tuple[float, float], rx: float, ry: float, angle: float, large: bool, sweep: bool, p1: tuple[float, float]
) -> list[tuple[float | str, ...]]:
    """An SVG endpoint arc as cubic Béziers (SVG 1.1 appendix F.6); a degenerate one is a line."""
    (x0, y0), (x1, y1) = p0, p1
    rx, ry = abs(rx), abs(ry)
    if (x0 == x1 and y0 == y1) or rx == 0 or ry == 0:
        return [("l", x1, y1)]
    phi = math.radians(angle)
    cos_phi, sin_phi = math.cos(phi), math.sin(phi)
    dx, dy = (x0 - x1) / 2, (y0 - y1) / 2
    x1p, y1p = cos_phi * dx + sin_phi * dy, -sin_phi * dx + cos_phi * dy
    scale = (x1p / rx) ** 2 + (y1p / ry) ** 2
    if scale > 1:
        rx, ry = rx * math.sqrt(scale), ry * math.sqrt(scale)
    numerator = rx * rx * ry * ry - rx * rx * y1p * y1p - ry * ry * x1p * x1p
    denominator = rx * rx * y1p * y1p + ry * ry * x1p * x1p
    factor = math.sqrt(max(0.0, numerator / denominator)) if denominator else 0.0
    if large == sweep:
        factor = -factor
    cxp, cyp = factor * rx * y1p / ry, -factor * ry * x1p / rx
    cx = cos_phi * cxp - sin_phi * cyp + (x0 + x1) / 2
    cy = sin_phi * cxp + cos_phi * cyp + (y0 + y1) / 2

    def angle_of(ux: float, uy: float) -> float:
        return math.atan2(uy, ux)

    theta = angle_of((x1p - cxp) / rx, (y1p - cyp) / ry)
    delta = angle_of((-x1p - cxp) / rx, (-y1p - cyp) / ry) - theta
    if sweep and delta < 0:
        delta += 2 * math.pi
    elif not sweep and delta > 0:
        delta -= 2 * math.pi
    pieces = max(1, math.ceil(abs(delta) / (math.pi / 2) - 1e-9))
    step = delta / pieces
    k = 4 / 3 * math.tan(step / 4)
    out: list[tuple[float | str, ...]] = []

    def point(t: float) -> tuple[float, float, float, float]:
        ex, ey = rx * math.cos(t), ry * math.sin(t)
        px, py = cx + cos_phi * ex - sin_phi * ey, cy + sin_phi * ex + cos_phi * ey
        tx, ty = -rx * math.sin(t), ry * math.cos(t)  # derivative
        return px, py, cos_phi * tx - sin_phi * ty, sin_phi * tx + cos_phi * ty

    t = theta
    for index in range(pieces):
        ax, ay, adx, ady = point(t)
        bx, by, bdx, bdy = point(t + step)
        if index == pieces - 1:
            bx, by = x1, y1
        out.append(("c", ax + k * adx, ay + k * ady, bx - k * bdx, by - k * bdy, bx, by))
        t += step
    return out
