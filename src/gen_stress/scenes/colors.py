"""Named colours far apart in colour space, and the WCAG contrast maths for text."""

from __future__ import annotations

from functools import lru_cache

RGB = tuple[int, int, int]

# Paint colours for objects and signs. Each name is one a person would use, and the
# values are far apart so that "the red one" is never a judgement call.
PALETTE: dict[str, RGB] = {
    "red": (214, 39, 40),
    "orange": (247, 129, 25),
    "yellow": (250, 212, 35),
    "green": (44, 160, 44),
    "blue": (31, 90, 220),
    "purple": (128, 60, 176),
    "pink": (247, 128, 191),
    "brown": (133, 82, 40),
    "black": (22, 22, 22),
    "white": (250, 250, 250),
    "gray": (128, 128, 128),
    "cyan": (30, 200, 215),
}

# Backgrounds are muted so that painted objects stand out against them.
BACKGROUNDS: dict[str, RGB] = {
    "beige": (236, 226, 205),
    "light gray": (214, 214, 214),
    "pale blue": (208, 222, 236),
    "sage": (196, 212, 190),
    "slate": (92, 102, 115),
    "charcoal": (58, 58, 62),
}


@lru_cache(maxsize=4096)
def relative_luminance(rgb: RGB) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def channel(value: int) -> float:
        c = value / 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio, from 1 (same luminance) to 21 (black on white)."""
    la, lb = relative_luminance(tuple(a)), relative_luminance(tuple(b))
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """The colour a fraction t of the way from a to b."""
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))  # type: ignore[return-value]


@lru_cache(maxsize=256)
def max_contrast(background: RGB) -> float:
    return max(contrast_ratio(background, (0, 0, 0)), contrast_ratio(background, (255, 255, 255)))


@lru_cache(maxsize=4096)
def ink_for_contrast(background: RGB, ratio: float) -> RGB:
    """A colour of the background's hue darkened or lightened to the given contrast ratio.

    Goes towards black or white, whichever can reach the ratio (black when both can),
    so low-contrast text is tinted like its background rather than grey.
    """
    for target in ((0, 0, 0), (255, 255, 255)):
        if contrast_ratio(background, target) >= ratio:
            lo, hi = 0.0, 1.0
            for _ in range(16):  # bisection on the mixing fraction: finer than 8-bit steps
                mid = (lo + hi) / 2
                if contrast_ratio(background, mix(background, target, mid)) < ratio:
                    lo = mid
                else:
                    hi = mid
            return mix(background, target, hi)
    raise ValueError(f"contrast {ratio} cannot be reached on {background}")


def color_name(rgb: RGB) -> str:
    """The palette name of a colour, or its hex code when it is not a palette colour."""
    return _color_name(tuple(map(int, rgb)))


@lru_cache(maxsize=4096)
def _color_name(rgb: RGB) -> str:
    for name, value in PALETTE.items():
        if value == tuple(rgb):
            return name
    return "#{:02x}{:02x}{:02x}".format(*rgb)
