#!/usr/bin/env python3
"""Render `tmux capture-pane -p -e` output (text with SGR escapes) to a PNG, colours preserved.

usage: ansi2png.py IN.ansi OUT.png [--columns N] [--rows N] [--theme dark|light] [--font-size PX]
"""
import argparse
import re
import unicodedata

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
THEMES = {
    "dark": {"fg": (220, 220, 220), "bg": (24, 24, 28)},
    "light": {"fg": (30, 30, 30), "bg": (250, 250, 248)},
}
# xterm-ish 16 colours
BASE16 = [
    (0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188), (17, 168, 205), (229, 229, 229),
    (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67), (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255),
]
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|\][^\x07\x1b]*(\x07|\x1b\\)|.)")


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    level = 8 + (n - 232) * 10
    return (level, level, level)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.underline = self.reverse = False

    def copy(self):
        other = Style()
        other.__dict__.update(self.__dict__)
        return other

    def apply(self, params):
        codes = [int(p) if p.isdigit() else 0 for p in re.split("[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = BASE16[c - 30]
            elif 90 <= c <= 97:
                self.fg = BASE16[c - 90 + 8]
            elif c == 39:
                self.fg = None
            elif 40 <= c <= 47:
                self.bg = BASE16[c - 40]
            elif 100 <= c <= 107:
                self.bg = BASE16[c - 100 + 8]
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    colour = xterm256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    colour = tuple(codes[i + 2:i + 5])
                    i += 4
                else:
                    colour = None
                if c == 38:
                    self.fg = colour
                else:
                    self.bg = colour
            i += 1


def cell_width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def parse(text):
    """Returns rows of (char, style) cells."""
    rows = []
    style = Style()
    for line in text.split("\n"):
        cells = []
        pos = 0
        while pos < len(line):
            m = SGR.match(line, pos)
            if m:
                style.apply(m.group(1))
                pos = m.end()
                continue
            m = OTHER_ESCAPE.match(line, pos)
            if m:
                pos = m.end()
                continue
            ch = line[pos]
            pos += 1
            w = cell_width(ch)
            if w == 0 and cells:
                cells[-1] = (cells[-1][0] + ch, cells[-1][1])
                continue
            cells.append((ch, style.copy()))
            if w == 2:
                cells.append(("", style.copy()))
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def render(rows, out, columns, nrows, theme, size):
    font = ImageFont.truetype(FONT, size)
    bold = ImageFont.truetype(FONT_BOLD, size)
    left, top, right, bottom = font.getbbox("M")
    cw = int(font.getlength("M") + 0.5)
    ch = int(size * 1.25)
    columns = columns or max((len(r) for r in rows), default=80)
    nrows = nrows or len(rows)
    pad = 8
    image = Image.new("RGB", (columns * cw + 2 * pad, nrows * ch + 2 * pad), THEMES[theme]["bg"])
    draw = ImageDraw.Draw(image)
    default_fg, default_bg = THEMES[theme]["fg"], THEMES[theme]["bg"]
    for y, cells in enumerate(rows[:nrows]):
        for x, (text, st) in enumerate(cells[:columns]):
            fg = st.fg or default_fg
            bg = st.bg or default_bg
            if st.reverse:
                fg, bg = bg, fg
            if st.dim:
                fg = tuple((a + b) // 2 for a, b in zip(fg, bg))
            px, py = pad + x * cw, pad + y * ch
            if bg != default_bg:
                draw.rectangle([px, py, px + cw - 1, py + ch - 1], fill=bg)
            if text.strip():
                draw.text((px, py + (ch - size) // 2), text, font=bold if st.bold else font, fill=fg)
            if st.underline:
                draw.line([px, py + ch - 2, px + cw - 1, py + ch - 2], fill=fg)
    image.save(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--columns", type=int, default=0)
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--theme", choices=sorted(THEMES), default="dark")
    parser.add_argument("--font-size", type=int, default=16)
    args = parser.parse_args()
    with open(args.input, encoding="utf-8", errors="replace") as handle:
        rows = parse(handle.read())
    render(rows, args.output, args.columns, args.rows, args.theme, args.font_size)


if __name__ == "__main__":
    main()
