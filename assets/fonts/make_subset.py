#!/usr/bin/env python3
"""Regenerate NotoSansSC-Subset.ttf from Noto Sans SC Regular (static TTF, glyf outlines).

Usage (from the repository root):
    python3 assets/fonts/make_subset.py /path/to/NotoSansSC_400Regular.ttf \
        [/path/to/NotoSans_400Regular.ttf]

Step 1 writes assets/fonts/charset.txt (the exact code points asked for, one U+XXXX
per line) and runs pyftsubset on Noto Sans SC Regular.
Step 2 (only if the optional second font is given) fills the code points that Noto
Sans SC does not have at all (subscripts 0-9, most superscripts, a few currency
signs, the modifier letters used in docs/model.md) with glyphs from Noto Sans
Regular (same 1000 units/em, also SIL OFL 1.1), decomposed into plain glyf outlines.
Needs `pip install fonttools`.
"""
import glob
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def ranges(*pairs):
    out = set()
    for a, b in pairs:
        out.update(range(a, b + 1))
    return out


def charset():
    cps = set()
    # Printable ASCII and the whole Latin-1 Supplement (incl. NBSP, ¥ ± ² ³ · × ÷ ° ...).
    cps |= ranges((0x20, 0x7E), (0xA0, 0xFF))
    # Greek (used in formulas in docs: α β σ Σ Φ ...).
    cps |= ranges((0x0391, 0x03A9), (0x03B1, 0x03C9))
    # General punctuation: dashes, quotes, bullets, ellipsis, per-mille, primes, ※.
    cps |= ranges((0x2010, 0x2027), (0x2030, 0x203B))
    # Superscripts and subscripts (⁰-⁹ ₀-₉ ₊ ₋ ...), plus the modifier letters used in docs.
    cps |= ranges((0x2070, 0x209C))
    cps |= {0x1D62, 0x1D63, 0x1D66, 0x2C7C}  # ᵢ ᵣ ᵦ ⱼ
    # Currency: € and the rest of the Currency Symbols block (font keeps what it has).
    cps |= ranges((0x20A0, 0x20C0))
    # Letterlike: ℃ № ™ ℉; Roman numerals Ⅰ-Ⅻ ⅰ-ⅻ; arrows ← ↑ → ↓ ↔.
    cps |= {0x2103, 0x2109, 0x2116, 0x2122}
    cps |= ranges((0x2160, 0x216B), (0x2170, 0x217B), (0x2190, 0x2195))
    # Math: ∑ − ∕ √ ∝ ∞ ∧ ∨ ∩ ∪ ∫ ∴ ∵ ≈ ≠ ≡ ≤ ≥ ⊥ ⌒ ...
    cps |= {0x2200, 0x2202, 0x2206, 0x2208, 0x220F, 0x2211, 0x2212, 0x2215, 0x221A,
            0x221D, 0x221E, 0x2227, 0x2228, 0x2229, 0x222A, 0x222B, 0x2234, 0x2235,
            0x2236, 0x223C, 0x2248, 0x2260, 0x2261, 0x2264, 0x2265, 0x226E, 0x226F,
            0x22A5, 0x2312}
    # Geometric shapes often used as legend markers: ■ □ ▲ △ ▼ ▽ ◆ ◇ ○ ◎ ● ★ ☆.
    cps |= {0x25A0, 0x25A1, 0x25B2, 0x25B3, 0x25BC, 0x25BD, 0x25C6, 0x25C7, 0x25CB,
            0x25CE, 0x25CF, 0x2605, 0x2606}
    # CJK Symbols and Punctuation (、。〃〈〉《》「」『』【】〔〕〖〗 ...), katakana middle dot ・.
    cps |= ranges((0x3000, 0x303F))
    cps.add(0x30FB)
    # Full-width ASCII forms FF01-FF5E, plus ｟｠ and full-width ￠￡￢￣￤￥￦.
    cps |= ranges((0xFF01, 0xFF60), (0xFFE0, 0xFFE6))
    # GB2312 level 1 (3,755 common hanzi): lead bytes 0xB0-0xD7.
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                cps.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    # Every non-ASCII character the project ships in scenarios and docs.
    files = (glob.glob(os.path.join(ROOT, "scenarios", "*.toml"))
             + [os.path.join(ROOT, "README.md")]
             + glob.glob(os.path.join(ROOT, "docs", "*.md")))
    for path in files:
        with open(path, encoding="utf-8") as fh:
            cps |= {ord(c) for c in fh.read() if ord(c) > 0x7F and not c.isspace()}
    return sorted(cps)


DONOR_COPYRIGHT = ("Copyright 2022 The Noto Project Authors "
                   "(https://github.com/notofonts/latin-greek-cyrillic)")


def fill_from_donor(path, donor_path, cps):
    """Copy glyphs for code points missing from `path` out of `donor_path`."""
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont

    font = TTFont(path, recalcTimestamp=False)
    donor = TTFont(donor_path)
    assert font["head"].unitsPerEm == donor["head"].unitsPerEm
    cmap = font.getBestCmap()
    dcmap = donor.getBestCmap()
    dglyphs = donor.getGlyphSet()
    typo_asc = font["OS/2"].sTypoAscender
    order = font.getGlyphOrder()
    added = []
    for cp in cps:
        if cp in cmap or cp not in dcmap:
            continue
        name = "uni%04X" % cp if cp <= 0xFFFF else "u%X" % cp
        pen = TTGlyphPen(dglyphs)  # resolves components -> simple glyph
        dglyphs[dcmap[cp]].draw(pen)
        glyph = pen.glyph()
        glyph.recalcBounds(font["glyf"])
        order.append(name)
        font["glyf"].glyphs[name] = glyph
        adv, _ = donor["hmtx"][dcmap[cp]]
        font["hmtx"][name] = (adv, getattr(glyph, "xMin", 0))
        if "vmtx" in font:
            font["vmtx"][name] = (font["head"].unitsPerEm,
                                  typo_asc - getattr(glyph, "yMax", 0))
        for table in font["cmap"].tables:
            if table.isUnicode():
                table.cmap[cp] = name
        added.append(cp)
    font.setGlyphOrder(order)
    font["glyf"].glyphOrder = order
    name_table = font["name"]
    for rec in name_table.names:
        if rec.nameID == 0:
            text = rec.toUnicode()
            if DONOR_COPYRIGHT not in text:
                rec.string = text.rstrip() + " " + DONOR_COPYRIGHT + "."
    font.save(path, reorderTables=True)
    print("filled %d code points from %s: %s" % (
        len(added), os.path.basename(donor_path),
        " ".join("U+%04X" % cp for cp in added)))


def anchor_origin(path):
    """Give every glyph a bounding box that starts at x = 0.

    plotters 0.3.7's ab_glyph text backend places each glyph's bitmap at the pen
    position without adding the glyph's left side bearing, so narrow letters
    ("i", "l", "t") are drawn too far left and words look broken ("fi xed"). A
    one-point contour at (0, yMin) adds no ink but moves the bounding box's left
    edge to 0, so the bitmap plotters places at the pen starts where the glyph's
    own origin is and the ink lands where the font designer put it.
    Idempotent: glyphs that already start at x <= 0 are left alone.
    """
    from fontTools.ttLib import TTFont

    font = TTFont(path, recalcTimestamp=False)
    glyf, hmtx = font["glyf"], font["hmtx"]
    changed = 0
    for name in font.getGlyphOrder():
        glyph = glyf[name]
        if glyph.isComposite() or glyph.numberOfContours <= 0:
            continue
        glyph.recalcBounds(glyf)
        if glyph.xMin <= 0:
            continue
        glyph.coordinates.append((0, glyph.yMin))
        glyph.flags.append(1)  # on-curve
        glyph.endPtsOfContours.append(len(glyph.coordinates) - 1)
        glyph.numberOfContours += 1
        glyph.recalcBounds(glyf)
        advance, _ = hmtx[name]
        hmtx[name] = (advance, 0)
        changed += 1
    font.save(path, reorderTables=True)
    print("anchored %d glyphs at x = 0" % changed)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    src = sys.argv[1]
    donor = sys.argv[2] if len(sys.argv) == 3 else None
    cps = charset()
    charset_path = os.path.join(HERE, "charset.txt")
    with open(charset_path, "w") as fh:
        fh.write("".join("U+%04X\n" % cp for cp in cps))
    out = os.path.join(HERE, "NotoSansSC-Subset.ttf")
    cmd = [
        "pyftsubset", src,
        "--unicodes-file=" + charset_path,
        "--output-file=" + out,
        "--no-hinting",
        "--layout-features=",
        "--drop-tables+=GSUB,GPOS,GDEF,BASE,STAT",
        "--name-IDs=*",
        "--name-languages=*",
        "--name-legacy",
        "--notdef-outline",
        "--recalc-bounds",
        "--prune-unicode-ranges",
    ]
    print(" ".join(shlex.quote(c.replace(ROOT + os.sep, "")) for c in cmd))
    subprocess.run(cmd, check=True)
    if donor:
        fill_from_donor(out, donor, cps)
    anchor_origin(out)
    print("%d code points requested, %s: %d bytes" % (len(cps), out, os.path.getsize(out)))


if __name__ == "__main__":
    main()
