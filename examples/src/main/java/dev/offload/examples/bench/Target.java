package dev.offload.examples.bench;

import java.util.Map;

/**
 * A target of issue 6, judged on medians measured in the same run: a ratio of a figure to its baseline (or, for
 * cancellation and memory, an absolute bound). {@code INFO} rows show a ratio for context and judge nothing.
 */
record Target(String label, String figure, String baseline, Kind kind, double limit) {

    enum Kind {
        /** figure / baseline must be at most the limit. */
        RATIO_AT_MOST,
        /** figure / baseline must be at least the limit. */
        RATIO_AT_LEAST,
        /** baseline / figure (how many times faster) must be at least the limit. */
        SPEEDUP_AT_LEAST,
        /** the figure itself must be at most the limit, in its own unit. */
        AT_MOST,
        /** a ratio for context only. */
        INFO
    }

    /** The judged value: the ratio, the speed-up or the figure itself. */
    double value(Map<String, Figure> figures) {
        if (kind == Kind.AT_MOST) {
            return figures.get(figure).median();
        }
        double f = figures.get(figure).medianInBaseUnit();
        double b = figures.get(baseline).medianInBaseUnit();
        switch (kind) {
            case SPEEDUP_AT_LEAST:
                return b / f;
            default:
                return f / b;
        }
    }

    /** "PASS", "MISS", or "-" for an information row. */
    String verdict(Map<String, Figure> figures) {
        double v = value(figures);
        switch (kind) {
            case RATIO_AT_MOST:
            case AT_MOST:
                return v <= limit ? "PASS" : "MISS";
            case RATIO_AT_LEAST:
            case SPEEDUP_AT_LEAST:
                return v >= limit ? "PASS" : "MISS";
            default:
                return "-";
        }
    }

    /** The bound as the table shows it: "≤ 1.3×", "≥ 500×", "≤ 10 ms". */
    String bound(Map<String, Figure> figures) {
        String n = limit == Math.rint(limit) ? Long.toString((long) limit) : Double.toString(limit);
        switch (kind) {
            case RATIO_AT_MOST:
                return "≤ " + n + "×";
            case RATIO_AT_LEAST:
            case SPEEDUP_AT_LEAST:
                return "≥ " + n + "×";
            case AT_MOST:
                return "≤ " + n + " " + figures.get(figure).unit();
            default:
                return "";
        }
    }
}
