# The soak's plot (bench/soak.sh):
#   gnuplot -e "csv='...'; png='...'; half=SECONDS; title='...'" plot.gp
# Columns of the CSV: see bench/soak.sh (its header line names them).
set terminal pngcairo size 1100,900 font ",10"
set output png
set datafile separator ","
set key outside right top
set multiplot layout 3,1 title title
set lmargin 10
set rmargin 38
set grid
set autoscale xfix
set xrange [0:*]
set arrow 1 from half/60.0, graph 0 to half/60.0, graph 1 nohead dashtype 2 lc rgb "#888888"
set label 1 "the fit: from here" at half/60.0, graph 0.93 offset 0.5,0 textcolor rgb "#666666"

set ylabel "RSS (MiB)"
set yrange [0:*]
plot csv using ($1/60):($6/1024) with lines lw 1.5 title "varnishd child", \
     csv using ($1/60):($23/1024) with lines lw 1.5 dashtype 2 title "varnishd child without its shared log", \
     csv using ($1/60):($3/1024) with lines lw 1.5 title "varnishd manager", \
     csv using ($1/60):($12/1024) with lines lw 1.5 title "sshd with its sessions", \
     csv using ($1/60):($9/1024) with lines lw 1.5 title "sshd listener"

set ylabel "open files, threads"
plot csv using ($1/60):7 with lines lw 1.5 title "varnishd child: open files", \
     csv using ($1/60):8 with lines lw 1.5 title "varnishd child: threads", \
     csv using ($1/60):4 with lines lw 1.5 title "varnishd manager: open files", \
     csv using ($1/60):13 with lines lw 1.5 title "sshd with its sessions: open files"

set ylabel "count"
set xlabel "minutes"
set y2label "machine busy %" offset -1.5,0
set y2range [0:200]
set y2tics 50
set ytics nomirror
plot csv using ($1/60):2 with lines lw 1.5 title "viewer sessions", \
     csv using ($1/60):17 with lines lw 1.5 title "module: viewers", \
     csv using ($1/60):15 with lines lw 1.5 title "loaded VCLs", \
     csv using ($1/60):16 with lines lw 1.5 dashtype 2 title "module: counter sets", \
     csv using ($1/60):14 with lines lw 1.5 title "sshd processes", \
     csv using ($1/60):21 axes x1y2 with lines lw 1 lc rgb "#c8c8c8" title "machine busy % (of 200)"
unset multiplot
