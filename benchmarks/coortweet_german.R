# CooRTweet's German vignette workflow, as one Rscript process, for benchmarks/german_vignette.py.
#
#   Rscript coortweet_german.R COORTWEET_CHECKOUT german_elections.csv
#
# COORTWEET_CHECKOUT is a checkout of github.com/nicolarighetti/CooRTweet (2.1.3). Its imports
# tidytable and RcppSimdJson are not packaged in Debian and CRAN may be out of reach, so, as for
# ../shared/reference/coortweet, the package is not installed: its functions are sourced from
# R/ after library(data.table) and library(igraph) (Debian: r-cran-data.table, r-cran-igraph).
# None of the sourced functions uses tidytable or RcppSimdJson.
#
# The workflow is the vignette's multi-modal one over the four kinds the benchmark's inconcert run
# compares: prep_data, unique, drop missing ids and prefix the ids per kind; detect_groups
# (time_window = 30, min_participation = 2) per kind; rbindlist; generate_coordinated_network
# (edge_weight = 0.5, subgraph = 1). The last line printed is one JSON object: the seconds spent
# in the detect_groups calls and in the whole workflow after reading, and the network's size.

suppressPackageStartupMessages({
  library(data.table)
  library(igraph)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) {
  stop("usage: Rscript coortweet_german.R COORTWEET_CHECKOUT german_elections.csv")
}
checkout <- args[[1]]
data_file <- args[[2]]

sourced <- c(
  "globals.R", "calc_group_combinations.R", "detect_groups.R", "flag_speed_share.R",
  "generate_coordinated_network.R", "account_stats.R", "group_stats.r", "prep_data.R"
)
for (f in sourced) {
  path <- file.path(checkout, "R", f)
  if (!file.exists(path)) stop(sprintf("%s: not found (is %s a CooRTweet checkout?)", path, checkout))
  source(path)
}

german <- fread(data_file, na.strings = "")
kinds <- list(
  list(column = "url_id", prefix = "url_"),
  list(column = "domain_id", prefix = "domain_"),
  list(column = "hashtag_id", prefix = "hashtag_"),
  list(column = "phash_id", prefix = "hash_")
)

start <- proc.time()[["elapsed"]]
detect_s <- 0
results <- list()
for (k in kinds) {
  # prep_data renames in place: each kind starts from its own copy
  d <- prep_data(copy(german),
                 object_id = k$column,
                 account_id = "account_id",
                 content_id = "post_id",
                 timestamp_share = "timestamp")
  d <- unique(d, by = c("object_id", "account_id", "content_id", "timestamp_share"))
  d <- d[!is.na(object_id)]
  d$object_id <- paste0(k$prefix, d$object_id)
  t0 <- proc.time()[["elapsed"]]
  results[[k$column]] <- detect_groups(d, time_window = 30, min_participation = 2)
  detect_s <- detect_s + proc.time()[["elapsed"]] - t0
}
combined <- rbindlist(results, use.names = TRUE, fill = TRUE)
graph <- generate_coordinated_network(combined, edge_weight = 0.5, subgraph = 1)
workflow_s <- proc.time()[["elapsed"]] - start

cat(sprintf(
  '{"detect_s": %.3f, "workflow_s": %.3f, "rows": %d, "vertices": %d, "edges": %d}\n',
  detect_s, workflow_s, nrow(combined), vcount(graph), ecount(graph)
))
