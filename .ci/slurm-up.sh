#!/usr/bin/env bash
# Installs (Debian's slurm-wlm and munge) and starts a single-node Slurm cluster for the
# sharded-sweep test; writes the daemons' process ids to /tmp/valueflow-slurm.pids.
# The configuration is the one ../shared/SCALE.md reports starting on these machines.
set -euo pipefail
if ! command -v sbatch >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/tmp/slurm-install.log 2>&1
fi
host=$(hostname)
cpus=$(nproc)

# Munge: a key owned by munge, mode 400, and its folders.
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 400 /etc/munge/munge.key
pkill -x munged 2>/dev/null || true
munged --force

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=${host}
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
NodeName=${host} CPUs=${cpus} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
# No cgroup.conf at all: Slurm 22.05 refuses CgroupPlugin=disabled, and there are no cgroups.
rm -f /etc/slurm/cgroup.conf

slurmctld
slurmd
sleep 1
pgrep -x munged >/tmp/valueflow-slurm.pids || true
pgrep -x slurmctld >>/tmp/valueflow-slurm.pids || true
pgrep -x slurmd >>/tmp/valueflow-slurm.pids || true
for _ in $(seq 1 60); do
  if sinfo -h -o '%T' 2>/dev/null | grep -q idle; then
    echo "slurm is up: $(sinfo -h -o '%N %T %c')"
    exit 0
  fi
  sleep 1
done
echo "slurm did not come up; logs:" >&2
tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
