package dev.hitl.cli.kafka;

import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * The progress line of a long read, on standard error: records read, how far into the offsets to
 * read (the end offsets at the start), the rate and the time left. On a terminal one line is
 * rewritten in place; elsewhere (with {@code --progress}) a line is written every few seconds.
 *
 * <p>It learns what was read from the consumer itself, through {@link ProgressInterceptor} (the
 * readers are the audit service's own classes, which take consumer settings and nothing else):
 * {@link #consumerSettings()} gives the settings that install it.
 */
public final class Progress {

    /** The consumer setting that carries this object to its interceptor. */
    static final String SETTING = "hitl.cli.progress";

    private final PrintStream err;
    private final boolean terminal;
    private final String label;
    private final Map<TopicPartition, Long> starts;
    private final Map<TopicPartition, Long> ends;
    private final long totalOffsets;
    private final LongSupplier nanos;
    private final long interval;
    private final long started;
    private final Map<TopicPartition, Long> reached = new HashMap<>();
    private long records;
    private long lastPrinted;
    private int lastWidth;

    /**
     * @param err where the line goes
     * @param terminal whether that is a terminal (rewrite one line) or not (a line every few seconds)
     * @param label what is read, e.g. the topic
     * @param extent the offsets to read, per partition
     * @param nanos the clock ({@link System#nanoTime})
     */
    public Progress(
            final PrintStream err,
            final boolean terminal,
            final String label,
            final LogExtent extent,
            final LongSupplier nanos) {
        this.err = err;
        this.terminal = terminal;
        this.label = label;
        this.starts = Map.copyOf(extent.starts());
        this.ends = Map.copyOf(extent.ends());
        this.totalOffsets = extent.offsets();
        this.nanos = nanos;
        this.interval = (terminal ? Duration.ofMillis(500) : Duration.ofSeconds(5)).toNanos();
        this.started = nanos.getAsLong();
        this.lastPrinted = started;
    }

    /** @return the consumer settings that report every poll to this progress */
    public Map<String, Object> consumerSettings() {
        return Map.of(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, ProgressInterceptor.class.getName(), SETTING, this);
    }

    /** @param batch what one poll returned */
    synchronized void consumed(final ConsumerRecords<?, ?> batch) {
        for (final TopicPartition tp : batch.partitions()) {
            final List<? extends ConsumerRecord<?, ?>> list = batch.records(tp);
            if (!list.isEmpty()) {
                records += list.size();
                reached.merge(tp, list.get(list.size() - 1).offset() + 1, Math::max);
            }
        }
        final long now = nanos.getAsLong();
        if (now - lastPrinted >= interval) {
            lastPrinted = now;
            print(line(now), false);
        }
    }

    /** Prints the last line and ends it. */
    public synchronized void done() {
        print(line(nanos.getAsLong()), true);
    }

    /**
     * @param now the clock's time
     * @return the line as it reads now
     */
    synchronized String line(final long now) {
        long done = 0;
        for (final Map.Entry<TopicPartition, Long> start : starts.entrySet()) {
            final long end = ends.getOrDefault(start.getKey(), start.getValue());
            final long at = Math.min(end, reached.getOrDefault(start.getKey(), start.getValue()));
            done += Math.max(0, at - start.getValue());
        }
        final double seconds = Math.max(1e-3, (now - started) / 1e9);
        final StringBuilder line = new StringBuilder();
        line.append(label)
                .append(": ")
                .append(String.format(Locale.ROOT, "%,d", records))
                .append(" records");
        if (totalOffsets > 0) {
            line.append(String.format(
                    Locale.ROOT,
                    ", offsets %,d of %,d (%.1f%%)",
                    done,
                    totalOffsets,
                    Math.min(100.0, 100.0 * done / totalOffsets)));
        }
        line.append(String.format(Locale.ROOT, ", %,.0f records/s", records / seconds));
        line.append(", ").append(clock((long) seconds));
        if (done > 0 && done < totalOffsets) {
            final long left = (long) ((totalOffsets - done) * seconds / done);
            line.append(", about ").append(clock(left)).append(" left");
        }
        return line.toString();
    }

    private void print(final String line, final boolean last) {
        if (terminal) {
            final String padding = " ".repeat(Math.max(0, lastWidth - line.length()));
            err.print("\r" + line + padding + (last ? System.lineSeparator() : ""));
            lastWidth = line.length();
        } else {
            err.println(line);
        }
        err.flush();
    }

    private static String clock(final long seconds) {
        return String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, (seconds / 60) % 60, seconds % 60);
    }
}
