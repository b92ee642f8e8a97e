#!/bin/bash
# Queue a sharded grading run on Slurm: an array job of SHARDS tasks (one shard each) and a merge
# job that starts only after all of them succeeded (--dependency=afterok).
#     ASSIGNMENT=01 SHARDS=4 bash assignments/engines/slurm_submit.sh
# Run it from the folder that holds submissions/ (or set SUBMISSIONS and OUT); every node must
# see the same folders (a shared file system) and have course_utils installed (PYTHON).
set -euo pipefail
: "${ASSIGNMENT:?set ASSIGNMENT, e.g. ASSIGNMENT=01}"
export ASSIGNMENT
export SHARDS="${SHARDS:-4}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

array_id="$(sbatch --parsable --array="1-$SHARDS" "$HERE/slurm_grade.sbatch")"
array_id="${array_id%%;*}"  # --parsable prints "jobid" or "jobid;cluster"
merge_id="$(sbatch --parsable --dependency="afterok:$array_id" "$HERE/slurm_merge.sbatch")"
echo "grading array job $array_id ($SHARDS shards), merge job ${merge_id%%;*}"
echo "results: ${OUT:-grading/$ASSIGNMENT}/merged (grades.csv, feedback/, report.html)"
