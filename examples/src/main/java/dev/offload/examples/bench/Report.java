package dev.offload.examples.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Renders the run as Markdown: the header (machine, JDK, date, command, load), the targets, the figures. */
final class Report {
    private Report() {}

    static String targets(List<Target> targets, Map<String, Figure> figures) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"target", "median", "baseline median", "ratio", "bound", "verdict"});
        for (Target t : targets) {
            Figure f = figures.get(t.figure());
            String baseline = t.baseline() == null ? "" : cell(figures.get(t.baseline()));
            String value = number(t.value(figures)) + (t.kind() == Target.Kind.AT_MOST ? " " + f.unit() : "×");
            rows.add(new String[] {t.label(), cell(f), baseline, value, t.bound(figures), t.verdict(figures)});
        }
        return table(rows);
    }

    static String figures(List<Figure> figures) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"figure", "median", "p99", "p99.9", "unit", "samples"});
        for (Figure f : figures) {
            rows.add(new String[] {f.label(), number(f.median()), number(f.p99()),
                    Double.isNaN(f.p999()) ? "" : number(f.p999()), f.unit(), Integer.toString(f.samples())});
        }
        return table(rows);
    }

    private static String cell(Figure f) {
        return number(f.median()) + " " + f.unit();
    }

    static String number(double v) {
        double a = Math.abs(v);
        if (Double.isNaN(v)) {
            return "n/a";
        } else if (a >= 1000) {
            return String.format("%,.0f", v);
        } else if (a >= 100) {
            return String.format("%.0f", v);
        } else if (a >= 10) {
            return String.format("%.1f", v);
        } else {
            return String.format("%.2f", v);
        }
    }

    /** A Markdown table with padded columns, readable as plain text too. */
    static String table(List<String[]> rows) {
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder s = new StringBuilder();
        for (int r = 0; r < rows.size(); r++) {
            s.append('|');
            for (int i = 0; i < width.length; i++) {
                s.append(' ').append(pad(rows.get(r)[i], width[i])).append(" |");
            }
            s.append('\n');
            if (r == 0) {
                s.append('|');
                for (int w : width) {
                    s.append(' ').append("-".repeat(w)).append(" |");
                }
                s.append('\n');
            }
        }
        return s.toString();
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(width - s.length());
    }
}
