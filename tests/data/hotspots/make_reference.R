#!/usr/bin/env Rscript
# make_reference.R: writes the reference values tests/test_hotspots.c checks
# sinspace's Gi* and Mann-Kendall against (spdep::localG with include.self,
# cor.test(method = "kendall")).  Dev tool: needs scripts/deps-r.sh (Debian's
# r-base-core and r-cran-spdep); the files it writes are committed so the
# tests need no R.  Run from the top of the source tree:
#     Rscript tests/data/hotspots/make_reference.R
#
# The points are fictional, in and around Chiang Mai city (lon ~98.98,
# lat ~18.79): a uniform background with uniform random risk, a planted
# cluster of high risk around Wat Chedi Luang's block, and two workplaces
# far out east with no neighbour within the band.
#
# Neighbours: dnearneigh(longlat = TRUE) in km at 0.5 km.  spdep's
# longlat distance is a great-circle approximation, sinspace's is the
# geodesic on WGS 84 (geod_inverse); they differ by far under a metre at
# these distances, so points with a pair distance within 2 m of the band are
# dropped until none is left: the neighbour sets are then the same by
# either distance, and the test checks that sinspace finds exactly these
# sets before comparing z.
suppressPackageStartupMessages(library(spdep))
out <- "tests/data/hotspots"
set.seed(20261208)
band_km <- 0.5

n_bg <- 420
bg <- data.frame(lon = runif(n_bg, 98.955, 99.005), lat = runif(n_bg, 18.770, 18.815),
                 risk = round(runif(n_bg, 1, 3), 4))
# the planted cluster: 45 workplaces within ~250 m of (98.9870, 18.7870)
n_cl <- 45
r <- 250 * sqrt(runif(n_cl)); a <- runif(n_cl, 0, 2 * pi)
cl <- data.frame(lon = 98.9870 + r * cos(a) / (111320 * cos(18.787 * pi / 180)),
                 lat = 18.7870 + r * sin(a) / 110600,
                 risk = round(runif(n_cl, 2.7, 3.0), 4))
iso <- data.frame(lon = c(99.0600, 99.0700), lat = c(18.8000, 18.7600),
                  risk = c(2.5, 1.2))
pts <- rbind(bg, cl, iso)
pts$lon <- round(pts$lon, 7); pts$lat <- round(pts$lat, 7)

repeat {
    d <- spDists(as.matrix(pts[, c("lon", "lat")]), longlat = TRUE)
    close <- abs(d - band_km) < 0.002
    diag(close) <- FALSE
    bad <- which(rowSums(close) > 0)
    if (length(bad) == 0) break
    pts <- pts[-bad[1], ]
}
n <- nrow(pts)
pts$id <- sprintf("CM-%04d", seq_len(n))
coords <- as.matrix(pts[, c("lon", "lat")])
nb <- dnearneigh(coords, 0, band_km, longlat = TRUE)
nbs <- include.self(nb)
lw <- nb2listw(nbs, style = "B", zero.policy = TRUE)
g <- localG(pts$risk, lw, zero.policy = TRUE)
z <- as.numeric(g)
p <- 2 * pnorm(abs(z), lower.tail = FALSE)
card0 <- card(nb)
# bins: BH-adjusted p at 0.01 / 0.05 / 0.10 (p.adjust(BH) <= alpha is the
# same as p <= the Benjamini-Hochberg threshold); isolated never binned
padj <- p.adjust(p, method = "BH")
bin <- ifelse(padj <= 0.01, 3, ifelse(padj <= 0.05, 2, ifelse(padj <= 0.10, 1, 0)))
bin[card0 == 0] <- 0
bin <- bin * sign(z)
bin_nofdr <- ifelse(p < 0.01, 3, ifelse(p < 0.05, 2, ifelse(p < 0.10, 1, 0)))
bin_nofdr[card0 == 0] <- 0
bin_nofdr <- bin_nofdr * sign(z)

write.csv(data.frame(id = pts$id, lon = sprintf("%.7f", pts$lon),
                     lat = sprintf("%.7f", pts$lat), risk = sprintf("%.4f", pts$risk)),
          file.path(out, "points.csv"), row.names = FALSE, quote = FALSE)
nbtxt <- vapply(seq_len(n), function(i)
    if (card0[i] == 0) "" else paste(pts$id[nb[[i]]], collapse = " "), "")
write.csv(data.frame(id = pts$id, neighbours = nbtxt),
          file.path(out, "neighbours.csv"), row.names = FALSE, quote = FALSE)
write.csv(data.frame(id = pts$id, neighbours = card0 + 1, z = sprintf("%.17g", z),
                     p = sprintf("%.17g", p), bin = bin, bin_nofdr = bin_nofdr),
          file.path(out, "gistar_ref.csv"), row.names = FALSE, quote = FALSE)

# Mann-Kendall: series of 4 to 12 steps, some with ties, some trending.
set.seed(16)
rows <- list()
for (k in 1:24) {
    len <- 4 + (k %% 9)
    y <- round(rnorm(len, mean = (k %% 3 - 1) * seq_len(len) * 0.4, sd = 1), 1)
    if (k %% 5 == 0) y[2] <- y[1]           # a tie
    if (length(unique(y)) < 2) y[1] <- y[1] + 1
    ct <- suppressWarnings(cor.test(seq_along(y), y, method = "kendall",
                                    exact = FALSE, continuity = FALSE))
    rows[[k]] <- data.frame(series = k, values = paste(sprintf("%.1f", y), collapse = " "),
                            tau = sprintf("%.17g", unname(ct$estimate)),
                            z = sprintf("%.17g", unname(ct$statistic)),
                            p = sprintf("%.17g", ct$p.value))
}
write.csv(do.call(rbind, rows), file.path(out, "mk_ref.csv"), row.names = FALSE,
          quote = FALSE)
cat(sprintf("%d points (%d isolated), %d hot / %d cold at 95%% FDR; spdep %s\n", n,
            sum(card0 == 0), sum(bin >= 2), sum(bin <= -2), packageVersion("spdep")))
