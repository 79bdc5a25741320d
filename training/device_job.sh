#!/usr/bin/env bash
# Runs device_run.sh in the background on the GPU box, so a release may take longer than one 10-minute tool
# call: the job outlives the call (its own session), and the next call, made while the box is still held,
# waits for it and collects the files.
#   bash training/device_job.sh start <seconds> <data dir> [train_models.py options]
#   bash training/device_job.sh wait <seconds>
#   bash training/device_job.sh collect          # copies the results to $OUT
# The shipped release 4 took three calls, each made at once after the last (1,354 s of device time with the
# machine's start). Its data (build_corpus.py --out training/data-gpu, 53.5 MiB) only fits the 64 MiB the tool sends
# when the first call goes without the shipped ONNX files and bench/results: move models/default/*/onnx and
# bench/results out of the checkout for that call, carry training/data-gpu, and put them back once it returns
# (the job has read its data by then; later calls send the whole tree and carry nothing):
#   start 570 training/data-gpu --target-seconds 760 --draft-seconds 190 --deadline 1400
#   wait 585
#   wait 400 && bash training/device_job.sh collect
# Release 3 ran the same way with the 24 MiB upload (--target-seconds 780 --draft-seconds 200 --deadline 1380).
# A job across calls survives only if each call comes within the machine's idle release (30 s on the H200 kind):
# three later runs were lost when the next call found a fresh machine. A run that fits one call (<= 600 s) is
# safer: device_run.sh directly, results under $OUT, e.g. the fine-tunes of release 3 on 2026-12-03 (518 / 570 s):
#   bash training/device_run.sh training/data-gpu $OUT/r --init-release models/default --fim-passes 1 \
#     --seed 1 --target-seconds 400 --draft-seconds 40 --deadline 575
set -uo pipefail
result=/tmp/locus-result
log=/tmp/locus-job.log
wait_for() {
  local until=$((SECONDS + $1))
  while [ $SECONDS -lt $until ] && [ ! -e "$result/DONE" ] && [ ! -e "$result/FAILED" ]; do sleep 5; done
  tail -n 25 "$log"
  if [ -e "$result/DONE" ]; then echo "JOB DONE"; elif [ -e "$result/FAILED" ]; then echo "JOB FAILED"; else echo "JOB RUNNING"; fi
}
case $1 in
  start)
    seconds=$2; data=$3; shift 3
    # A private copy of the scripts: the next call re-syncs the repository under the running job.
    # The dequantizer (--init-release) lives in scripts/gguf, imported relative to training/.
    rm -rf /tmp/locus-src; mkdir -p /tmp/locus-src/scripts
    cp -r "$(dirname "$0")" /tmp/locus-src/training; cp -r "$(dirname "$0")/../scripts/gguf" /tmp/locus-src/scripts/
    setsid nohup bash /tmp/locus-src/training/device_run.sh "$data" "$result" "$@" >"$log" 2>&1 </dev/null &
    sleep 2
    wait_for "$seconds" ;;
  wait) wait_for "$2" ;;
  collect) cp "$result"/* "$OUT"/ && ls -la "$OUT" ;;
  *) echo "usage: device_job.sh start|wait|collect" >&2; exit 2 ;;
esac
