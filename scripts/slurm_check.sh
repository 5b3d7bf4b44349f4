#!/usr/bin/env bash
# Run deploy/slurm on a real Slurm: a one-node cluster on this machine, from Debian's packages.
#
#     sudo bash scripts/slurm_check.sh        # as root; installs slurm-wlm and munge with apt-get
#
# 1. Installs slurm-wlm and munge (if missing), writes a one-node slurm.conf under a temp folder (no
#    cgroups, no accounting), starts munged, slurmctld and slurmd, waits for the node to be idle.
# 2. Builds target/release/terjemah if missing; makes a folder of 12 small Indonesian files from
#    data/tatoeba.id; translates it on this machine in one run (the reference); submits
#    deploy/slurm/submit.sh as a 4-task array plus the dependent check job; waits; compares the output
#    folder with the reference byte for byte (markers aside) and checks the check job succeeded.
# 3. Kill and resume: 8 larger files (2 per shard, equal sizes), a fresh output folder; once task 1 has
#    been running for a second (model loaded, translating; no marker yet), scancel that task; checks it was
#    cancelled, left no marker, and the check job never ran; resubmits the whole array; checks that shard 1
#    now finished (its marker says how many files it translated and how many it found up to date: a shard
#    writes its outputs near the end, so usually 2 and 0), that shards 0, 2 and 3 touched nothing, and that
#    the output equals a single-machine run byte for byte.
# 4. A line file of 4,000 lines as a 4-task array: the check job merges the shards with `terjemah merge`;
#    task 2 (checkpointing every 10 lines) is cancelled at its first checkpoint, the array resubmitted (the killed shard resumes from its
#    checkpoint), and the merged output must equal a single-machine `--input-format lines` run byte for byte.
# About a minute on 2 cores with the fixture model.
# Daemons are stopped on exit; the temp folder is removed if all passed. Prints PASS/FAIL lines; exits 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
die() { echo "FAIL: $*"; exit 1; }
start=$(date +%s)

[[ $(id -u) == 0 ]] || die "run as root (installs packages, starts slurmd)"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null \
        || die "apt-get install slurm-wlm munge"
fi

work=$(mktemp -d /tmp/slurm-check.XXXXXX)
chmod 755 "$work"
host=$(hostname -s)
export SLURM_CONF=$work/slurm.conf
mkdir -p "$work/state" "$work/spool" "$work/munge" "$work/logs"
cat >"$SLURM_CONF" <<CONF
ClusterName=terjemahcheck
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/logs/slurmctld.log
SlurmdLogFile=$work/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerTimeSlice=5
SlurmctldTimeout=30
SlurmdTimeout=30
KillWait=5
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=check Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

# munge: a fresh key and socket in the temp folder, so a system munged (if any) is left alone.
sock=$work/munge/munge.socket
dd if=/dev/urandom bs=1 count=1024 of="$work/munge/munge.key" status=none
chmod 400 "$work/munge/munge.key"
munged --force --key-file="$work/munge/munge.key" --socket="$sock" --pid-file="$work/munge/munged.pid" \
    --log-file="$work/logs/munged.log" --seed-file="$work/munge/seed" || die "munged did not start"
# Slurm's auth/munge plugin takes the socket from AuthInfo.
echo "AuthInfo=socket=$sock" >>"$SLURM_CONF"

cleanup() {
    scancel --quiet --full -p check 2>/dev/null
    for p in slurmd slurmctld; do
        [[ -f $work/$p.pid ]] && kill "$(cat "$work/$p.pid")" 2>/dev/null
    done
    sleep 1
    [[ -f $work/munge/munged.pid ]] && kill "$(cat "$work/munge/munged.pid")" 2>/dev/null
    sleep 1
    [[ ${keep:-yes} == no ]] && rm -rf "$work"
}
trap cleanup EXIT

slurmctld -i || die "slurmctld did not start (see $work/logs/slurmctld.log)"
slurmd || die "slurmd did not start (see $work/logs/slurmd.log)"
for ((t = 0; t < 60; t++)); do
    state=$(sinfo -h -n "$host" -o %t 2>/dev/null)
    [[ $state == idle ]] && break
    sleep 1
done
[[ $state == idle ]] && pass "one-node Slurm up ($(sinfo -V), node $host, $(nproc) CPUs)" \
    || die "node not idle after 60 s (state '$state'; logs in $work/logs)"

if [[ ! -x target/release/terjemah ]]; then
    cargo build --release --locked || die "cargo build"
fi
bin=$repo/target/release/terjemah
model=$repo/models/fixture
args="--beams 1 --quiet"

# Wait until neither the array nor the check job is in the queue; 0 if so within $2 seconds.
wait_jobs() {
    local ids=$1 limit=$2 t
    for ((t = 0; t < limit; t++)); do
        [[ -z $(squeue -h -j "$ids" 2>/dev/null) ]] && return 0
        sleep 1
    done
    return 1
}
# "State ExitCode" of a finished job, from slurmctld's memory (no accounting here).
job_state() { scontrol show job "$1" 2>/dev/null | grep -oE 'JobState=[A-Z_]+|ExitCode=[0-9:]+' | tr '\n' ' '; }
same_tree() { diff -r -x '.terjemah-shard-*' "$1" "$2" >/dev/null; }

submit() { # INPUT OUTPUT -> "array check"
    INPUT=$1 OUTPUT=$2 SHARDS=4 MODEL_DIR=$model TERJEMAH=$bin TERJEMAH_ARGS=$args \
        deploy/slurm/submit.sh --chdir="$work/logs"
}

# --- 1. a plain 4-task array -------------------------------------------------------------------
in1=$work/in1
mkdir -p "$in1/sub"
for i in $(seq 0 11); do
    d=$in1; ((i % 3 == 0)) && d=$in1/sub
    sed -n "$((i * 7 + 1)),$((i * 7 + 3 + i % 5))p" data/tatoeba.id >"$d/doc$(printf %02d "$i").txt"
done
"$bin" translate "$in1" -o "$work/ref1" --model-dir "$model" $args || die "reference run"
t0=$(date +%s)
read -r array check < <(submit "$in1" "$work/out1") || die "sbatch"
wait_jobs "$array,$check" 180 || die "jobs $array/$check still queued after 180 s"
pass "array $array (4 tasks) and check job $check left the queue in $(($(date +%s) - t0)) s"
cs=$(job_state "$check")
[[ $cs == "JobState=COMPLETED ExitCode=0:0 " ]] && pass "check job: $cs" || fail "check job: $cs"
n=$(ls -A "$work/out1" | grep -c '^\.terjemah-shard-[0-3]-of-4\.done$')
[[ $n == 4 ]] && pass "4 shard markers" || fail "$n shard markers, want 4"
same_tree "$work/ref1" "$work/out1" && pass "array output equals the single-machine run byte for byte" \
    || { fail "array output differs from the single-machine run"; diff -r -x '.terjemah-shard-*' "$work/ref1" "$work/out1" | head; }

# --- 2. kill one task midway, resubmit -----------------------------------------------------------
# 8 files of equal size: shard k gets files 2k and 2k+1 (midpoint rule), so shard 1 = big02, big03; large
# enough that a task translates for several seconds. A shard translates its files together and writes
# their outputs near the end, so the kill normally lands before either output exists; the script says
# which files were already written when it struck.
in2=$work/in2
mkdir -p "$in2"
for i in $(seq 0 7); do
    sed -n "$((i * 400 + 1)),$((i * 400 + 1100))p" data/tatoeba.id | head -c 32000 >"$in2/big0$i.txt"
    echo >>"$in2/big0$i.txt"
done
"$bin" translate "$in2" -o "$work/ref2" --model-dir "$model" $args || die "reference run 2"
out2=$work/out2
read -r array check < <(submit "$in2" "$out2") || die "sbatch 2"
killed="" since=""
for ((t = 0; t < 1500; t++)); do
    st=$(squeue -h -j "${array}_1" -o %T 2>/dev/null)
    [[ $st == RUNNING && -z $since ]] && since=$(date +%s%N)
    # Running for 1 s (the model loads in well under a second), no marker yet: kill it.
    if [[ $st == RUNNING ]] && (($(date +%s%N) - since >= 1000000000)) \
        && [[ ! -f $out2/.terjemah-shard-1-of-4.done ]]; then
        written=$(cd "$out2" && ls big02.txt big03.txt 2>/dev/null | tr '\n' ' ')
        scancel "${array}_1" && killed=yes
        break
    fi
    [[ -z $st && -f $out2/.terjemah-shard-1-of-4.done ]] && break
    sleep 0.1
done
[[ $killed == yes ]] && pass "scancel ${array}_1 1 s into its run, while translating (outputs already written: ${written:-none})" \
    || fail "task ${array}_1 finished before it could be killed midway; make the files larger"
wait_jobs "$array" 300 || { squeue; die "array $array still queued after 300 s"; }
# The check job now waits on a dependency that cannot be met (DependencyNeverSatisfied); as a user would, cancel it.
wait_jobs "$check" 3 || { echo "note: check job $check still queued: $(squeue -h -j "$check" -o '%T %r'); scancel"; scancel "$check"; sleep 1; }
s1=$(job_state "${array}_1")
[[ $s1 == JobState=CANCELLED* ]] && pass "task 1: $s1" || fail "task 1: $s1"
[[ ! -f $out2/.terjemah-shard-1-of-4.done ]] && pass "killed shard left no marker" || fail "killed shard left a marker"
cs=$(job_state "$check")
[[ $cs != *COMPLETED* ]] && pass "check job did not run after the kill: $cs" || fail "check job ran: $cs"
for k in 0 2 3; do
    [[ -f $out2/.terjemah-shard-$k-of-4.done ]] || fail "shard $k has no marker after the first submission"
done
before=$(cd "$out2" && stat -c '%n %Y.%y' .terjemah-shard-[023]-of-4.done big0[014567].txt)

read -r array2 check2 < <(submit "$in2" "$out2") || die "sbatch 3"
wait_jobs "$array2,$check2" 300 || { squeue; die "jobs $array2/$check2 still queued after 300 s"; }
cs=$(job_state "$check2")
[[ $cs == "JobState=COMPLETED ExitCode=0:0 " ]] && pass "resubmitted array $array2, check job: $cs" \
    || fail "resubmitted check job: $cs"
m1=$(tr -d ' \n' <"$out2/.terjemah-shard-1-of-4.done" 2>/dev/null)
up=$(grep -oE '"up_to_date":[0-9]+' <<<"$m1" | cut -d: -f2)
[[ $m1 == *'"translated":'$((2 - ${up:-9}))* ]] \
    && pass "shard 1 finished on resubmit: translated $((2 - up)), $up already up to date" || fail "shard 1 marker: $m1"
after=$(cd "$out2" && stat -c '%n %Y.%y' .terjemah-shard-[023]-of-4.done big0[014567].txt)
[[ $before == "$after" ]] && pass "finished shards 0, 2, 3 exited at once: their markers and outputs untouched" \
    || fail "finished shards rewrote files on resubmit"
same_tree "$work/ref2" "$out2" && pass "output after kill and resubmit equals the single-machine run byte for byte" \
    || { fail "output after kill and resubmit differs"; diff -r -x '.terjemah-shard-*' "$work/ref2" "$out2" | head; }

# --- 3. a line file: 4 shards of line ranges, merged by the check job; one killed and resumed ----------
# 4,000 lines, 1,000 per shard, checkpointed every 10 lines. Task 2 is cancelled as soon as its first
# checkpoint exists: an event, not a clock, so a fast machine cannot finish the shard before the kill
# (a 1 s timer missed once). A killed shard keeps its partial output and checkpoint and goes on from
# there when the array is resubmitted.
lines=$work/corpus.id
sed -n '1,4000p' data/tatoeba.id >"$lines"
args3="$args --window 10"
"$bin" translate "$lines" --input-format lines -o "$work/ref3.en" --model-dir "$model" $args || die "reference run 3"
out3=$work/out3/corpus.en
checkpoint=$work/out3/.corpus.en.shard-2-of-4.terjemah-checkpoint
read -r array check < <(args=$args3 submit "$lines" "$out3") || die "sbatch 4"
killed=""
for ((t = 0; t < 15000; t++)); do
    if [[ -f $checkpoint ]]; then
        scancel "${array}_2" && killed=yes
        break
    fi
    [[ -f $work/out3/.corpus.en.shard-2-of-4.done ]] && break
    sleep 0.02
done
[[ $killed == yes ]] && pass "line file: scancel ${array}_2 at its first checkpoint" \
    || fail "line file: task ${array}_2 finished (or never checkpointed) before it could be killed"
wait_jobs "$array" 300 || { squeue; die "array $array still queued after 300 s"; }
wait_jobs "$check" 3 || { scancel "$check"; sleep 1; }
[[ ! -f $out3 ]] && pass "line file: no merged output after the kill" || fail "line file: merged output after a kill"
ls "$work/out3" | grep -q '^corpus.en.shard-2-of-4$' && fail "line file: killed shard's output is complete" \
    || pass "line file: killed shard left no complete output"
read -r array2 check2 < <(args=$args3 submit "$lines" "$out3") || die "sbatch 5"
wait_jobs "$array2,$check2" 300 || { squeue; die "jobs $array2/$check2 still queued after 300 s"; }
cs=$(job_state "$check2")
[[ $cs == "JobState=COMPLETED ExitCode=0:0 " ]] && pass "line file: resubmitted, merge job: $cs" \
    || fail "line file: merge job: $cs"
cmp -s "$work/ref3.en" "$out3" && pass "line file: merged output equals the single-machine run byte for byte" \
    || fail "line file: merged output differs from the single-machine run"

if ((fails == 0)); then
    keep=no
    echo "slurm_check: all passed in $(($(date +%s) - start)) s"
else
    echo "slurm_check: $fails failure(s) in $(($(date +%s) - start)) s; logs and outputs kept in $work"
    exit 1
fi
