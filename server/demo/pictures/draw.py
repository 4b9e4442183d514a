"""Draw the demo's pictures (flat illustrations, 640×360 PNG), the files beside this script.

Run once after changing a drawing: `python -m server.demo.pictures.draw` (needs Pillow, which
Maillage itself does not: the PNG files are kept in the repository). The pictures are made
for the project and dedicated to the public domain (CC0 1.0, see README.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 640, 360
HERE = Path(__file__).resolve().parent
INK = (38, 50, 56)
SUN = (255, 193, 7)
GREEN = (76, 175, 80)
LEAF = (139, 195, 74)
EARTH = (121, 85, 72)
SEA = (33, 150, 243)
RED = (229, 57, 53)
WHITE = (250, 250, 250)

Drawing = Callable[[ImageDraw.ImageDraw], None]


def _people(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, n: int, size: float) -> None:
    colours = [RED, SEA, GREEN, SUN, (156, 39, 176), (255, 112, 67)]
    for i in range(n):
        a = 2 * math.pi * i / n
        x, y = cx + r * math.cos(a), cy + r * math.sin(a) * 0.6
        d.ellipse((x - size, y - 2.2 * size, x + size, y - 0.2 * size), fill=colours[i % 6])
        d.pieslice((x - 1.6 * size, y, x + 1.6 * size, y + 3 * size), 180, 360,
                   fill=colours[i % 6])


def gouvernance(d: ImageDraw.ImageDraw) -> None:
    d.ellipse((200, 130, 440, 250), fill=(141, 110, 99))
    _people(d, 320, 190, 170, 8, 18)


def bibliotheque(d: ImageDraw.ImageDraw) -> None:
    colours = [RED, SEA, GREEN, SUN, (156, 39, 176), (255, 112, 67), (0, 150, 136)]
    for shelf, top in enumerate((60, 200)):
        x = 90
        for i in range(12):
            w = 26 + (i * 7 + shelf * 5) % 14
            h = 100 + (i * 13 + shelf * 3) % 30
            d.rectangle((x, top + 120 - h, x + w, top + 120), fill=colours[(i + shelf) % 7])
            x += w + 4
        d.rectangle((70, top + 120, 570, top + 132), fill=EARTH)


def jardin(d: ImageDraw.ImageDraw) -> None:
    d.ellipse((470, 30, 570, 130), fill=SUN)
    d.rectangle((0, 260, WIDTH, HEIGHT), fill=EARTH)
    for i in range(7):
        x = 70 + i * 80
        d.line((x, 260, x, 180), fill=GREEN, width=6)
        d.ellipse((x - 30, 170, x, 200), fill=LEAF)
        d.ellipse((x, 190, x + 30, 220), fill=LEAF)


def reparation(d: ImageDraw.ImageDraw) -> None:
    cx, cy = 380, 180
    for i in range(10):
        a = 2 * math.pi * i / 10
        d.regular_polygon((cx + 95 * math.cos(a), cy + 95 * math.sin(a), 24), 4,
                          rotation=math.degrees(a), fill=(96, 125, 139))
    d.ellipse((cx - 100, cy - 100, cx + 100, cy + 100), fill=(96, 125, 139))
    d.ellipse((cx - 40, cy - 40, cx + 40, cy + 40), fill=WHITE)
    d.line((120, 300, 300, 120), fill=INK, width=26)
    d.ellipse((270, 80, 350, 160), fill=INK)
    d.rectangle((300, 95, 330, 125), fill=WHITE)


def gratiferia(d: ImageDraw.ImageDraw) -> None:
    d.line((80, 80, 330, 80), fill=INK, width=6)
    for i, colour in enumerate((RED, SEA, GREEN, SUN)):
        x = 100 + i * 58
        d.line((x + 20, 80, x + 20, 100), fill=INK, width=3)
        d.polygon([(x, 100), (x + 40, 100), (x + 50, 230), (x - 10, 230)], fill=colour)
    for i, colour in enumerate(((255, 112, 67), (0, 150, 136), (156, 39, 176))):
        x, y, s = 380 + i * 70, 200 - i * 30, 90 - i * 15
        d.rectangle((x, y, x + s, y + s), fill=colour)
        d.rectangle((x + s // 2 - 6, y, x + s // 2 + 6, y + s), fill=SUN)
    d.rectangle((0, 300, WIDTH, HEIGHT), fill=(189, 189, 189))


def tiers_lieu(d: ImageDraw.ImageDraw) -> None:
    d.polygon([(170, 160), (320, 50), (470, 160)], fill=RED)
    d.rectangle((190, 160, 450, 320), fill=(255, 224, 178))
    d.rectangle((290, 220, 350, 320), fill=SUN)
    d.rectangle((215, 190, 265, 240), fill=SEA)
    d.rectangle((375, 190, 425, 240), fill=SEA)
    _people(d, 320, 300, 230, 2, 14)


def wiki(d: ImageDraw.ImageDraw) -> None:
    colours = [SEA, GREEN, SUN, RED]
    for row in range(4):
        for col in range(4):
            x, y = 200 + col * 60, 60 + row * 60
            if math.hypot(x + 30 - 320, y + 30 - 180) < 125:
                d.rectangle((x + 2, y + 2, x + 58, y + 58), fill=colours[(row + col) % 4])
                d.ellipse((x + 50, y + 20, x + 70, y + 40), fill=colours[(row + col) % 4])


def plateforme(d: ImageDraw.ImageDraw) -> None:
    points = [(120, 90), (260, 60), (420, 110), (540, 70), (180, 240), (330, 200),
              (480, 260), (100, 310), (300, 320), (560, 200)]
    for i, a in enumerate(points):
        for b in points[i + 1:]:
            if math.dist(a, b) < 200:
                d.line((*a, *b), fill=(120, 144, 156), width=4)
    for x, y in points:
        d.ellipse((x - 16, y - 16, x + 16, y + 16), fill=SEA)


def innovation(d: ImageDraw.ImageDraw) -> None:
    d.ellipse((240, 60, 400, 220), fill=SUN)
    d.rectangle((285, 210, 355, 270), fill=(158, 158, 158))
    d.rectangle((295, 270, 345, 290), fill=INK)
    for i in range(8):
        a = math.pi + math.pi * i / 7
        d.line((320 + 110 * math.cos(a), 140 + 110 * math.sin(a),
                320 + 150 * math.cos(a), 140 + 150 * math.sin(a)), fill=SUN, width=8)


def velo(d: ImageDraw.ImageDraw) -> None:
    for cx in (190, 450):
        d.ellipse((cx - 90, 170, cx + 90, 350), outline=INK, width=10)
    d.line((190, 260, 300, 260, 400, 160, 250, 160, 190, 260), fill=RED, width=10)
    d.line((300, 260, 250, 160, 235, 130), fill=RED, width=10)
    d.line((400, 160, 450, 260), fill=RED, width=10)
    d.line((400, 160, 390, 120, 430, 110), fill=INK, width=10)
    d.line((215, 130, 260, 130), fill=INK, width=12)


def pierre_seche(d: ImageDraw.ImageDraw) -> None:
    d.rectangle((0, 300, WIDTH, HEIGHT), fill=(205, 220, 57))
    y, row = 300, 0
    while y > 120:
        x = -30 * (row % 2)
        while x < WIDTH:
            w = 70 + (x * 7 + row * 13) % 40
            shade = 150 + (x + row * 31) % 60
            d.rounded_rectangle((x + 3, y - 42, x + w - 3, y - 2), radius=12,
                                fill=(shade, shade - 10, shade - 30))
            x += w
        y -= 44
        row += 1


def marche(d: ImageDraw.ImageDraw) -> None:
    for i in range(8):
        d.rectangle((80 + i * 60, 60, 140 + i * 60, 120), fill=RED if i % 2 else WHITE)
    d.rectangle((90, 120, 100, 300), fill=EARTH)
    d.rectangle((540, 120, 550, 300), fill=EARTH)
    d.rectangle((100, 230, 540, 250), fill=EARTH)
    for i in range(9):
        x = 120 + i * 46
        colour = [RED, (255, 152, 0), GREEN, (156, 39, 176)][i % 4]
        d.ellipse((x, 190, x + 40, 230), fill=colour)


def conte(d: ImageDraw.ImageDraw) -> None:
    d.rectangle((0, 0, WIDTH, HEIGHT), fill=(26, 35, 126))
    d.ellipse((430, 50, 530, 150), fill=(255, 241, 118))
    d.ellipse((455, 40, 545, 130), fill=(26, 35, 126))
    for i in range(14):
        x, y = (i * 97) % 600 + 20, (i * 53) % 150 + 20
        d.regular_polygon((x, y, 6), 4, fill=WHITE)
    d.pieslice((-100, 240, 400, 520), 180, 360, fill=(46, 125, 50))
    d.pieslice((250, 260, 800, 560), 180, 360, fill=(27, 94, 32))


def ocean(d: ImageDraw.ImageDraw) -> None:
    d.rectangle((0, 0, WIDTH, HEIGHT), fill=(179, 229, 252))
    d.ellipse((60, 40, 150, 130), fill=SUN)
    d.polygon([(200, 260), (360, 90), (400, 110), (560, 260)], fill=(93, 64, 55))
    d.polygon([(340, 112), (360, 90), (400, 110), (385, 125)], fill=(255, 87, 34))
    d.rectangle((0, 250, WIDTH, HEIGHT), fill=SEA)
    for i in range(6):
        d.arc((i * 110, 280, i * 110 + 80, 320), 200, 340, fill=WHITE, width=5)


def visio(d: ImageDraw.ImageDraw) -> None:
    d.rounded_rectangle((110, 40, 530, 290), radius=16, fill=INK)
    colours = [SEA, GREEN, SUN, RED]
    for i in range(4):
        x, y = 130 + (i % 2) * 195, 60 + (i // 2) * 110
        d.rectangle((x, y, x + 185, y + 100), fill=(69, 90, 100))
        d.ellipse((x + 72, y + 15, x + 112, y + 55), fill=colours[i])
        d.pieslice((x + 55, y + 60, x + 130, y + 130), 180, 360, fill=colours[i])
    d.rectangle((290, 290, 350, 320), fill=INK)
    d.rectangle((230, 320, 410, 332), fill=INK)


def rencontre(d: ImageDraw.ImageDraw) -> None:
    for x, y, colour in ((110, 60, SEA), (300, 130, GREEN), (170, 200, SUN)):
        d.rounded_rectangle((x, y, x + 230, y + 100), radius=30, fill=colour)
        d.polygon([(x + 40, y + 100), (x + 80, y + 100), (x + 30, y + 140)], fill=colour)
        for k in range(3):
            d.ellipse((x + 70 + k * 35, y + 42, x + 86 + k * 35, y + 58), fill=WHITE)


def balade(d: ImageDraw.ImageDraw) -> None:
    d.rectangle((0, 0, WIDTH, HEIGHT), fill=(200, 230, 201))
    d.polygon([(280, HEIGHT), (360, HEIGHT), (340, 250), (380, 170), (330, 110), (310, 110),
               (340, 170), (300, 250)], fill=(215, 204, 200))
    for x, y, s in ((120, 200, 60), (200, 120, 40), (470, 210, 65), (430, 110, 40),
                    (560, 150, 50), (60, 100, 35)):
        d.rectangle((x - 6, y, x + 6, y + s), fill=EARTH)
        d.ellipse((x - s // 1.5, y - s, x + s // 1.5, y + s // 4), fill=GREEN)


def carte(d: ImageDraw.ImageDraw) -> None:
    d.polygon([(100, 80), (250, 50), (390, 80), (540, 50), (540, 300), (390, 330),
               (250, 300), (100, 330)], fill=(255, 236, 179))
    d.line((250, 50, 250, 300), fill=(255, 213, 79), width=4)
    d.line((390, 80, 390, 330), fill=(255, 213, 79), width=4)
    d.line((100, 200, 540, 160), fill=SEA, width=8)
    d.ellipse((290, 90, 370, 170), fill=RED)
    d.polygon([(295, 145), (365, 145), (330, 230)], fill=RED)
    d.ellipse((315, 115, 345, 145), fill=WHITE)


def cercle(d: ImageDraw.ImageDraw) -> None:
    for r, colour in ((150, (197, 202, 233)), (105, (159, 168, 218)), (60, (121, 134, 203))):
        d.ellipse((320 - r, 180 - r, 320 + r, 180 + r), fill=colour)
    for i in range(5):
        a = 2 * math.pi * i / 5 - math.pi / 2
        x, y = 320 + 150 * math.cos(a), 180 + 150 * math.sin(a)
        d.line((320, 180, x, y), fill=INK, width=4)
        d.ellipse((x - 22, y - 22, x + 22, y + 22), fill=[RED, SEA, GREEN, SUN, EARTH][i])
    d.ellipse((300, 160, 340, 200), fill=INK)


PICTURES: dict[str, tuple[tuple[int, int, int], Drawing]] = {
    "gouvernance": ((255, 243, 224), gouvernance),
    "bibliotheque": ((255, 248, 225), bibliotheque),
    "jardin": ((225, 245, 254), jardin),
    "reparation": ((236, 239, 241), reparation),
    "gratiferia": ((252, 228, 236), gratiferia),
    "tiers-lieu": ((232, 245, 233), tiers_lieu),
    "wiki": ((237, 231, 246), wiki),
    "plateforme": ((227, 242, 253), plateforme),
    "innovation": ((38, 50, 56), innovation),
    "velo": ((255, 253, 231), velo),
    "pierre-seche": ((225, 245, 254), pierre_seche),
    "marche": ((241, 248, 233), marche),
    "conte": ((26, 35, 126), conte),
    "ocean": ((179, 229, 252), ocean),
    "visio": ((224, 247, 250), visio),
    "rencontre": ((255, 243, 224), rencontre),
    "balade": ((200, 230, 201), balade),
    "carte": ((227, 242, 253), carte),
    "cercle": ((232, 234, 246), cercle),
}


def main() -> None:
    for name, (background, drawing) in PICTURES.items():
        image = Image.new("RGB", (WIDTH, HEIGHT), background)
        drawing(ImageDraw.Draw(image))
        image.save(HERE / f"{name}.png", optimize=True)
        print(f"{name}.png")


if __name__ == "__main__":
    main()
