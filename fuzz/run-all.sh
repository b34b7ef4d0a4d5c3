#!/bin/sh
# Every target in turn, SECONDS each (default 1200), one at a time on a machine whose cores are shared; then the
# counts of each run. Short runs miss what long ones find: the whole-session target's first crash in the ninth
# session came after 37 minutes. Stop early with: touch fuzz/findings/STOP
#   fuzz/run-all.sh [SECONDS] [TARGET...]      (default: all targets)
set -eu
cd "$(dirname "$0")"
seconds=${1:-1200}
[ $# -gt 0 ] && shift
targets=${*:-"milter-session milter-frames dk-tags spf-record spf-macro authres pra"}
mkdir -p findings
rm -f findings/STOP
for t in $targets; do
    [ -e findings/STOP ] && break
    ./run.sh "$t" "$seconds" > "findings/$t.log" 2>&1 || echo "$t: afl-fuzz exited $? (findings/$t.log)"
    printf '%-15s %s\n' "$t" "$(grep -E '^(run_time|execs_done|saved_crashes|saved_hangs) ' "findings/$t/default/fuzzer_stats" | tr -s ' ' | tr '\n' ' ')"
done
echo "crashes: fuzz/findings/TARGET/default/crashes/ — replay with the uninstrumented build (README, 'A crash becomes a regression test')"
