#!/usr/bin/python3
"""compare.py MAP.png REFERENCE.tif FRAME_X FRAME_Y FRAME_W FRAME_H

Compares the imagery of a map page with a reference warped independently
(gdalwarp of the package onto the page's pixel grid): on patches of 16x16
pixels spread over the frame where the reference is opaque, the mean of
each channel in the map and in the reference.  Prints the patches and the
worst difference; exits 1 when fewer than 20 patches could be compared or
when the median patch differs by more than 12 in any channel or more than
a fifth of the patches do (markers and outlines drawn on top account for
the few that may).
"""
import sys

import numpy as np
from PIL import Image
from osgeo import gdal


def main():
    page = np.asarray(Image.open(sys.argv[1]).convert("RGB")).astype(float)
    ref_ds = gdal.Open(sys.argv[2])
    ref = np.stack([ref_ds.GetRasterBand(i + 1).ReadAsArray() for i in range(4)], -1).astype(float)
    fx, fy, fw, fh = (int(v) for v in sys.argv[3:7])
    diffs = []
    for j in range(36):
        for i in range(20):
            x = fx + int((i + 0.5) * fw / 20) - 8
            y = fy + int((j + 0.5) * fh / 36) - 8
            r = ref[y:y + 16, x:x + 16]
            if r.shape[:2] != (16, 16) or r[..., 3].min() < 255:
                continue
            p = page[y:y + 16, x:x + 16]
            d = np.abs(p.mean((0, 1)) - r[..., :3].mean((0, 1)))
            diffs.append(d)
    if len(diffs) < 20:
        print("only %d patches with imagery in the reference" % len(diffs))
        return 1
    diffs = np.array(diffs)
    med = np.median(diffs, 0)
    over = (diffs.max(1) > 12).mean()
    print("patches %d, median difference per channel %s, mean %s, share over 12: %.2f"
          % (len(diffs), np.round(med, 2), np.round(diffs.mean(0), 2), over))
    return 0 if med.max() <= 12 and over <= 0.2 else 1


if __name__ == "__main__":
    sys.exit(main())
