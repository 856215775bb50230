package dev.hitl.approval.ui.calibration;

import java.util.List;

/**
 * One chart, as the template {@code calibration/chart.jte} draws it in SVG: every shape already
 * placed in the chart's own coordinates (its {@code viewBox} is {@code 0 0 width height}), every
 * number already formatted, every text a value the page escapes. The CSS classes are this service's
 * own words (never text from an agent), so the style sheet colours them; no inline style, no script.
 *
 * @param id the element id of the chart
 * @param title what it shows (the figure's caption and the SVG's accessible name)
 * @param note a line under the title, or null
 * @param width the viewBox width
 * @param height the viewBox height
 * @param bars rectangles (bars, stacked segments)
 * @param lines polylines (a series over time)
 * @param dots points (each a data point with its tooltip)
 * @param whiskers interval lines (e.g. a 95 % interval)
 * @param rules reference lines across the plot (axes, a threshold)
 * @param labels texts (axis ticks, category names, values)
 * @param legend what each class means, or empty
 * @param empty what to say when there is nothing to draw, or null when there is
 */
public record Chart(
        String id,
        String title,
        String note,
        int width,
        int height,
        List<Bar> bars,
        List<Line> lines,
        List<Dot> dots,
        List<Whisker> whiskers,
        List<Rule> rules,
        List<Label> labels,
        List<Key> legend,
        String empty) {

    /**
     * @param x left
     * @param y top
     * @param width width
     * @param height height
     * @param css its class (this service's own word)
     * @param tip the tooltip ({@code <title>}): the data it stands for
     */
    public record Bar(String x, String y, String width, String height, String css, String tip) {}

    /**
     * @param points SVG points, {@code "x,y x,y ..."}
     * @param css its class
     */
    public record Line(String points, String css) {}

    /**
     * @param cx centre x
     * @param cy centre y
     * @param css its class
     * @param tip the tooltip
     */
    public record Dot(String cx, String cy, String css, String tip) {}

    /**
     * @param x1 start x
     * @param y1 start y
     * @param x2 end x
     * @param y2 end y
     * @param css its class
     * @param tip the tooltip
     */
    public record Whisker(String x1, String y1, String x2, String y2, String css, String tip) {}

    /**
     * @param x1 start x
     * @param y1 start y
     * @param x2 end x
     * @param y2 end y
     * @param css its class
     */
    public record Rule(String x1, String y1, String x2, String y2, String css) {}

    /**
     * @param x anchor x
     * @param y baseline y
     * @param anchor {@code start}, {@code middle} or {@code end}
     * @param css its class
     * @param text the text (escaped by the page)
     * @param tip the full text when {@code text} is shortened, else null
     */
    public record Label(String x, String y, String anchor, String css, String text, String tip) {}

    /**
     * @param css the class of the shapes it explains
     * @param text what they mean
     */
    public record Key(String css, String text) {}

    /** @return whether there is nothing to draw */
    public boolean isEmpty() {
        return empty != null;
    }
}
