#!/usr/bin/python3
"""compare_golden.py PAGE.png GOLDEN.png [MAX_MEAN]

The mean absolute difference of two pages (0..255 per channel, over every
pixel) must stay under MAX_MEAN (default 3): a moved legend, a lost label
or a changed palette fails; antialiasing and font hinting do not.  Pages
are drawn with a fixed --generated-at, so the time printed never differs.
With SINSPACE_UPDATE_GOLDEN=1 the golden is (re)written instead."""
import os
import sys

import numpy as np
from PIL import Image


def main(argv):
    page, golden = argv[1], argv[2]
    limit = float(argv[3]) if len(argv) > 3 else 3.0
    if os.environ.get("SINSPACE_UPDATE_GOLDEN") == "1":
        Image.open(page).convert("RGB").save(golden, optimize=True)
        print("compare_golden: wrote %s" % golden)
        return 0
    a = np.asarray(Image.open(page).convert("RGB"), dtype=np.float64)
    b = np.asarray(Image.open(golden).convert("RGB"), dtype=np.float64)
    if a.shape != b.shape:
        print("compare_golden: %s is %s, golden %s is %s" % (page, a.shape, golden, b.shape))
        return 1
    mean = float(np.abs(a - b).mean())
    print("compare_golden: %s vs %s: mean difference %.3f (limit %.1f)" %
          (page, golden, mean, limit))
    return 0 if mean < limit else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
