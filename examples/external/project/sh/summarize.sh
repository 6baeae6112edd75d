# Summary of the final travel times (a shell tool: awk).
#   sh sh/summarize.sh TIMES.csv OUT.txt
awk -F, 'NR > 1 { t = $2 + 0; n++; total += t; if (t > max) max = t }
  END { printf "links %d, mean time %.2f min, max %.2f min\n", n, total / n, max }' "$1" > "$2"
cat "$2"
