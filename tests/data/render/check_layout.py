#!/usr/bin/python3
"""check_layout.py REPORT.json [--pages N] [--expect-text TEXT]...

An independent check of a `--layout-report` (sinspace map/atlas): on every
page, no two text boxes overlap, no text box meets a panel graphic (north
arrow, scale bar, locator, legend symbol), none leaves the page, none is cut
short with an ellipsis, no wrapped text breaks inside a word (every line
break falls at a space or newline of the text), and no title, subtitle,
banner, credit, legend text or table cell was refused for want of room.
Exits 1 with one line per fault."""
import json
import sys

EPS = 0.05  # points: boxes that only touch do not overlap
HARD = {"north_arrow", "scale_bar", "locator", "legend_symbol"}
MUST = {"title", "subtitle", "banner", "credit", "legend_text",
        "legend_heading", "legend_count", "table_cell", "table_head",
        "table_title", "chart_title", "scale", "north", "locator_title"}


def overlaps(a, b):
    return (a["x"] < b["x"] + b["w"] - EPS and b["x"] < a["x"] + a["w"] - EPS and
            a["y"] < b["y"] + b["h"] - EPS and b["y"] < a["y"] + a["h"] - EPS)


def sweep(boxes, others=None):
    """Pairs of overlapping boxes (within boxes, or boxes x others)."""
    found = []
    if others is None:
        s = sorted(boxes, key=lambda b: b["x"])
        for i, a in enumerate(s):
            for b in s[i + 1:]:
                if b["x"] >= a["x"] + a["w"] - EPS:
                    break
                if overlaps(a, b):
                    found.append((a, b))
    else:
        for a in boxes:
            for b in others:
                if overlaps(a, b):
                    found.append((a, b))
    return found


def breaks_in_words(item):
    text, lines = item["text"], item.get("lines")
    if not lines or len(lines) < 2:
        return False
    pos = 0
    for line in lines[:-1]:
        at = text.find(line, pos)
        if at < 0:
            return True
        end = at + len(line)
        if not (line.endswith((" ", "\n", "-")) or end >= len(text) or
                text[end] in " \n"):
            return True
        pos = end
    return False


def name(it):
    return "%s %r at %.1f,%.1f %.1fx%.1f" % (it["kind"], it["text"], it["x"],
                                             it["y"], it["w"], it["h"])


def main(argv):
    path = argv[1]
    want_pages = None
    expect = []
    i = 2
    while i < len(argv):
        if argv[i] == "--pages":
            want_pages = int(argv[i + 1]); i += 2
        elif argv[i] == "--expect-text":
            expect.append(argv[i + 1]); i += 2
        else:
            print("check_layout: unknown argument " + argv[i]); return 2
    with open(path, encoding="utf-8") as f:
        rep = json.load(f)
    faults = []
    pages = rep["pages"]
    if want_pages is not None and len(pages) != want_pages:
        faults.append("%s: %d pages, expected %d" % (path, len(pages), want_pages))
    texts_seen = set()
    n_items = 0
    for p in pages:
        where = "%s page %d (%s)" % (path, p["page"], p["name"])
        W, H = p["width"], p["height"]
        texts = [it for it in p["items"] if it["text"] is not None]
        hard = [it for it in p["items"] if it["text"] is None and it["kind"] in HARD]
        n_items += len(texts)
        for it in texts:
            texts_seen.add(it["text"])
            if it["x"] < -EPS or it["y"] < -EPS or it["x"] + it["w"] > W + EPS or \
               it["y"] + it["h"] > H + EPS:
                faults.append("%s: off the page: %s" % (where, name(it)))
            if "\u2026" in it["text"] or "..." in it["text"]:
                faults.append("%s: cut short: %s" % (where, name(it)))
            if breaks_in_words(it):
                faults.append("%s: broken inside a word: %s %r" %
                              (where, name(it), it["lines"]))
        for a, b in sweep(texts):
            faults.append("%s: overlap: %s / %s" % (where, name(a), name(b)))
        for a, b in sweep(texts, hard):
            faults.append("%s: text over a graphic: %s / %s" % (where, name(a), name(b)))
        for it in p.get("refused", []):
            if it["kind"] in MUST:
                faults.append("%s: refused: %s %r" % (where, it["kind"], it["text"]))
        kinds = {it["kind"] for it in p["items"]}
        for k in ("title", "banner", "credit", "locator"):
            if k not in kinds:
                faults.append("%s: no %s on the page" % (where, k))
    for t in expect:
        if not any(t in s for s in texts_seen):
            faults.append("%s: no placed text contains %r" % (path, t))
    for f in faults[:200]:
        print(f)
    if len(faults) > 200:
        print("... and %d more" % (len(faults) - 200))
    print("check_layout: %s: %d pages, %d texts, %d faults" %
          (path, len(pages), n_items, len(faults)))
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
