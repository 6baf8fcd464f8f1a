#!/usr/bin/env bash
# Stops the daemons .ci/slurm-up.sh started, by their process ids.
if [ -f /tmp/valueflow-slurm.pids ]; then
  xargs -r kill </tmp/valueflow-slurm.pids 2>/dev/null || true
  rm -f /tmp/valueflow-slurm.pids
fi
