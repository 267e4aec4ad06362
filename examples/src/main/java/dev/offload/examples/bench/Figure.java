package dev.offload.examples.bench;

import java.util.Arrays;
import org.HdrHistogram.Histogram;

/**
 * One measured figure: its median, its 99th percentile on the bad side, and for latencies its 99.9th.
 *
 * <p>Latencies come from an HdrHistogram of single operations. Throughput, bandwidth and scaling come from
 * repetitions of a whole run; their "p99" is the bad tail, i.e. the 1st percentile of the values (with fewer than
 * 100 repetitions, the worst one).
 */
record Figure(String key, String label, String unit, double median, double p99, double p999, int samples,
        boolean higherIsBetter) {

    /** The median in a unit common to figures of one kind: seconds for times, else the figure's own unit. */
    double medianInBaseUnit() {
        switch (unit) {
            case "ns":
                return median / 1e9;
            case "µs":
                return median / 1e6;
            case "ms":
                return median / 1e3;
            default:
                return median;
        }
    }

    /** A latency figure from a histogram of nanoseconds, shown in {@code unit} ("µs" or "ms"). */
    static Figure latency(String key, String label, Histogram nanos, String unit) {
        double scale = unit.equals("ms") ? 1e6 : 1e3;
        return new Figure(key, label, unit, nanos.getValueAtPercentile(50) / scale,
                nanos.getValueAtPercentile(99) / scale, nanos.getValueAtPercentile(99.9) / scale,
                (int) nanos.getTotalCount(), false);
    }

    /** A figure from repetitions; p99.9 is not meaningful for a handful of repetitions and is left out. */
    static Figure repeated(String key, String label, String unit, double[] values, boolean higherIsBetter) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        if (higherIsBetter) { // the bad side is the low end: reverse so that index 0 is the best
            for (int i = 0, j = sorted.length - 1; i < j; i++, j--) {
                double t = sorted[i];
                sorted[i] = sorted[j];
                sorted[j] = t;
            }
        }
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        double p99 = sorted[Math.max(0, (int) Math.ceil(0.99 * n) - 1)];
        return new Figure(key, label, unit, median, p99, Double.NaN, n, higherIsBetter);
    }
}
