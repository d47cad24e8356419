#!/usr/bin/env bash
#===- scripts/pass-stats.sh - What the default pipeline does to models ----===#
#
# Usage: scripts/pass-stats.sh DLC MODEL...
# Runs `dlc opt -O --stats` on each model and sums node counts before and
# after, and the dims by kind after. Models dlc cannot import are counted
# as skipped.
set -uo pipefail
dlc=$1
shift
awk_sum='
/^stats:/ {
  gsub(/[;(),%:]/, " ");
  for (i = 1; i <= NF; ++i) {
    if ($i == "nodes") { before += $(i+1); after += $(i+3) }
    if ($i == "dims") dims += $(i+1)
    if ($i == "static") st += $(i+1)
    if ($i == "symbolic") sy += $(i+1)
    if ($i == "data-dependent") dd += $(i+1)
    if ($i == "unknown" && $(i+1) != "ranks") un += $(i+1)
    if ($i == "ranks") ur += $(i+1)
  }
  ok += 1
}
/error/ { skipped += 1 }
END {
  printf "models %d (skipped %d)\nnodes %d -> %d (%.1f%% removed)\n", ok, skipped, before, after, before ? 100 * (before - after) / before : 0
  printf "dims %d: static %.1f%%, symbolic %.1f%%, data-dependent %.1f%%, unknown %.1f%%; unknown ranks %d\n", dims, 100*st/dims, 100*sy/dims, 100*dd/dims, 100*un/dims, ur
}'
for model in "$@"; do
  "$dlc" opt -O --stats "$model" 2>&1 >/dev/null | grep -E "^stats:|error" | head -1
done | awk "$awk_sum"
