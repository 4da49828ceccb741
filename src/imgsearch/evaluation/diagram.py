"""The reliability diagram as an SVG image: per confidence bin, the share of its pairs
that were relevant (bars) against the diagonal a perfect calibration follows, with each
bin's pair count. Hand-written SVG: no plotting dependency, opens in any browser."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from imgsearch.metrics import ReliabilityBin

WIDTH, HEIGHT = 480, 420
LEFT, TOP, SIZE = 60, 40, 320


def reliability_svg(bins: Sequence[ReliabilityBin], title: str) -> str:
    """The diagram for ``bins`` (from :func:`imgsearch.metrics.reliability`)."""

    def x(value: float) -> float:
        return LEFT + value * SIZE

    def y(value: float) -> float:
        return TOP + (1 - value) * SIZE

    shapes = [
        f'<rect x="{LEFT}" y="{TOP}" width="{SIZE}" height="{SIZE}" fill="#fafafa" stroke="#888"/>',
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#999" '
        'stroke-dasharray="4 3"/>',
    ]
    for b in bins:
        width = (b.high - b.low) * SIZE
        if b.count:
            shapes.append(
                f'<rect x="{x(b.low) + 1:.1f}" y="{y(b.frequency):.1f}" width="{width - 2:.1f}" '
                f'height="{b.frequency * SIZE:.1f}" fill="#4a7bd0" opacity="0.85">'
                f"<title>{b.low:.1f}–{b.high:.1f}: {b.count} pairs, mean confidence "
                f"{b.confidence:.3f}, relevant {b.frequency:.3f}</title></rect>"
            )
            shapes.append(
                f'<circle cx="{x(b.confidence):.1f}" cy="{y(b.frequency):.1f}" r="3" '
                'fill="#d04a4a"/>'
            )
        shapes.append(
            f'<text x="{x(b.low) + width / 2:.1f}" y="{TOP + SIZE + 30}" font-size="9" '
            f'text-anchor="middle" fill="#555">{b.count}</text>'
        )
    for tick in range(0, 11, 2):
        value = tick / 10
        shapes.append(
            f'<text x="{x(value):.1f}" y="{TOP + SIZE + 16}" font-size="11" '
            f'text-anchor="middle">{value:.1f}</text>'
        )
        shapes.append(
            f'<text x="{LEFT - 8}" y="{y(value) + 4:.1f}" font-size="11" '
            f'text-anchor="end">{value:.1f}</text>'
        )
    shapes += [
        f'<text x="{WIDTH / 2}" y="22" font-size="14" text-anchor="middle">{escape(title)}</text>',
        f'<text x="{x(0.5)}" y="{HEIGHT - 14}" font-size="12" text-anchor="middle">'
        "confidence (pairs per bin below the axis)</text>",
        f'<text x="16" y="{y(0.5)}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 16 {y(0.5)})">share relevant</text>',
    ]
    body = "\n  ".join(shapes)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif">\n  {body}\n</svg>\n'
    )
