#!/usr/bin/env bash
# Submit a sharded run of a folder or a line file: the array (one task per shard), then the check (and, for
# a line file, merge) job that runs once every task succeeded. Prints "ARRAY_JOB_ID CHECK_JOB_ID".
#
#     INPUT=/shared/corpus OUTPUT=/shared/en MODEL_DIR=/shared/models/opus-mt-id-en SHARDS=16 \
#         deploy/slurm/submit.sh [extra sbatch options, e.g. --partition=cpu --time=4:00:00]
#
# To retry after a failed, timed-out or cancelled task, run the same command again (scancel the old check
# job first if it still waits on a dependency that can no longer be met): finished shards exit at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${INPUT:?set INPUT}" "${OUTPUT:?set OUTPUT}"
SHARDS=${SHARDS:-4}
export INPUT OUTPUT SHARDS
if [[ -d $INPUT ]]; then mkdir -p "$OUTPUT"; else mkdir -p "$(dirname "$OUTPUT")"; fi

array=$(sbatch --parsable --export=ALL --array="0-$((SHARDS - 1))" "$@" "$here/translate.sbatch")
array=${array%%;*}   # --parsable prints "id;cluster" on a multi-cluster setup
check=$(sbatch --parsable --export=ALL --dependency="afterok:$array" "$@" "$here/check.sbatch")
check=${check%%;*}
echo "$array $check"
