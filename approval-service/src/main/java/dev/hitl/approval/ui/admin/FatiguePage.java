package dev.hitl.approval.ui.admin;

import dev.hitl.approval.fatigue.Fatigue;
import dev.hitl.approval.ui.Page;
import dev.hitl.approval.ui.Viewer;
import java.util.List;
import java.util.Locale;

/**
 * Every reviewer's fatigue signals, for admins.
 *
 * @param viewer the admin
 * @param signals every reviewer's fatigue signals
 */
public record FatiguePage(Viewer viewer, List<Fatigue.Signals> signals) implements Page {

    @Override
    public String template() {
        return "admin/fatigue.jte";
    }

    /**
     * @param f a reviewer's signals
     * @return the median time on card in seconds, e.g. {@code 1.2 s}, or a dash
     */
    public static String median(final Fatigue.Signals f) {
        return f.medianTimeOnCard() == null
                ? "—"
                : String.format(Locale.ROOT, "%.1f s", f.medianTimeOnCard().toMillis() / 1000.0);
    }

    /**
     * @param f a reviewer's signals
     * @return the approve rate in percent, or a dash without votes
     */
    public static String approveRate(final Fatigue.Signals f) {
        return f.votes() == 0 ? "—" : Math.round(f.approveRate() * 100) + "%";
    }
}
