#!/usr/bin/env Rscript
# hotspots_spdep.R CSV: spdep's Gi* on the points hotspots_bench --csv wrote,
# timed the way sinspace's is (neighbours within 0.5 km by dnearneigh with
# longlat = TRUE, include.self, binary weights, localG).  Needs
# scripts/deps-r.sh.  Prints the wall time and z[1] (to compare).
suppressPackageStartupMessages(library(spdep))
args <- commandArgs(trailingOnly = TRUE)
p <- read.csv(args[1])
t0 <- proc.time()[["elapsed"]]
nb <- dnearneigh(as.matrix(p[, c("lon", "lat")]), 0, 0.5, longlat = TRUE)
lw <- nb2listw(include.self(nb), style = "B", zero.policy = TRUE)
g <- as.numeric(localG(p$risk, lw, zero.policy = TRUE))
t <- proc.time()[["elapsed"]] - t0
cat(sprintf("spdep n=%d: %.3f s; mean neighbours %.1f; z[1]=%.12g\n", nrow(p), t,
            mean(card(nb)) + 1, g[1]))
