#!/usr/bin/env python3
"""Generates a workplace CSV of fictional workplaces in and around Chiang Mai
province, for export tests and benchmarks.  Names are made up ("Workplace
000123"); nothing here describes a real business.

Usage: gen_workplaces.py COUNT SEED OUT.csv

About 40% of the points cluster round Chiang Mai city (dense: urban under the
geomasking rule), the rest spread over the province's bounding box.  Text
fields carry the awkward characters an exporter must escape: quotes,
backslashes, newlines, Thai script."""
import csv
import random
import sys

SECTORS = ["fishing", "seafood_processing", "karaoke_bar", "massage_parlour",
           "entertainment_venue", "brothel", "garment_factory",
           "other_manufacturing", "construction", "agriculture",
           "domestic_work_agency", "hotel_guesthouse", "restaurant"]


def main():
    count, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rnd = random.Random(seed)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "name_local", "sector", "lon", "lat",
                    "address", "source", "source_note", "status",
                    "first_seen", "observed", "risk", "observer"])
        for i in range(1, count + 1):
            if rnd.random() < 0.4:
                lon = rnd.gauss(98.99, 0.015)
                lat = rnd.gauss(18.79, 0.015)
            else:
                lon = rnd.uniform(98.2, 99.4)
                lat = rnd.uniform(17.5, 19.9)
            scored = rnd.random() < 0.9
            year = rnd.choice([2024, 2025])
            month = rnd.randint(1, 12)
            w.writerow([
                "WP-%06d" % i,
                "Workplace %06d" % i + (' "Star"' if i % 7 == 0 else ""),
                "สถานที่ทำงาน %d" % i if i % 3 else "",
                rnd.choice(SECTORS),
                "%.7f" % lon, "%.7f" % lat,
                "%d Fictional Road\\Soi %d" % (i, i % 40) if i % 2 else "",
                rnd.choice(["primary", "secondary"]),
                "note line 1\nline 2 with \"quotes\"" if i % 5 == 0 else "",
                rnd.choice(["active", "active", "closed", "unknown"]),
                "%d-%02d-01" % (year - 1, month),
                "%d-%02d-15" % (year, month) if scored else "",
                "%.3f" % rnd.uniform(1.0, 3.0) if scored else "",
                "observer %d" % (i % 9) if scored else "",
            ])


if __name__ == "__main__":
    main()
