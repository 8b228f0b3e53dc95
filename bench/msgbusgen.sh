#!/bin/sh
# msgbusgen.sh MSGBUSGEN [SIZES] - compile time of msgbusgen against the
# size of the schema (`make bench-msgbusgen`).
#
# For each size N (default 1000 2000 4000 8000: N records, N commands,
# N events, 2N handlers, from bench/gen_schema.sh) msgbusgen writes the C
# files; the runs are interleaved over the sizes, 5 rounds, and the median
# of each size is printed with the ratio to the size before (a doubling:
# linear time gives 2x, quadratic 4x) and the size of the output.
# Times are CPU seconds (user + system, from /usr/bin/time when present),
# because on a shared machine the wall clock mostly measures the other
# processes; the wall clock is printed too.
# Targets (msgbusgen(1), PERFORMANCE): 8000 under 1 s, every doubling at
# most 2.2x, output linear.
set -eu
MSGBUSGEN=${1:?usage: msgbusgen.sh MSGBUSGEN [SIZES]}
SIZES=${2:-1000 2000 4000 8000}
ROUNDS=${ROUNDS:-5}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for n in $SIZES; do
    sh "$here/gen_schema.sh" "$n" >"$work/big$n.msg"
    mkdir "$work/out$n"
done

# One run: "wall cpu" in seconds.
run() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%e %U %S' -o "$work/time" "$MSGBUSGEN" -o "$2" "$1"
        awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$work/time"
    else
        start=$(date +%s%N)
        "$MSGBUSGEN" -o "$2" "$1"
        end=$(date +%s%N)
        awk -v t="$((end - start))" 'BEGIN { printf "%.3f %.3f\n", t / 1e9, t / 1e9 }'
    fi
}

round=1
while [ "$round" -le "$ROUNDS" ]; do
    for n in $SIZES; do
        run "$work/big$n.msg" "$work/out$n" >>"$work/times$n"
    done
    round=$((round + 1))
done

median() { # column file
    sort -n -k"$1" "$2" | awk -v c="$1" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}

printf '%8s %10s %8s %10s %14s %8s\n' N 'cpu s' ratio 'wall s' 'output bytes' ratio
prev_t= prev_b=
for n in $SIZES; do
    t=$(median 2 "$work/times$n")
    w=$(median 1 "$work/times$n")
    b=$(cat "$work/out$n"/* | wc -c)
    if [ -n "$prev_t" ]; then
        rt=$(awk -v a="$t" -v b="$prev_t" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')
        rb=$(awk -v a="$b" -v b="$prev_b" 'BEGIN { printf "%.2fx", a / b }')
    else
        rt=- rb=-
    fi
    printf '%8d %10.3f %8s %10.3f %14d %8s\n' "$n" "$t" "$rt" "$w" "$b" "$rb"
    prev_t=$t prev_b=$b
done
