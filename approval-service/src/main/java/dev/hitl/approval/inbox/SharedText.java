package dev.hitl.approval.inbox;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

/**
 * Makes the inbox's requests share their repeated text. Most of an approval request's strings are
 * the same from request to request (agent, action type, tool, groups, the policy's reasons and rule
 * names, the policy version), but every record read from Kafka has its own copies: at a million
 * open requests that is most of the heap (BENCHMARKS.md). Walks a record and replaces each short
 * string with an equal one already seen, and each empty list with one shared empty list.
 *
 * <p>Only the materializer's thread calls it. The pool is bounded: when full it starts again, so
 * strings that never repeat (which it cannot tell in advance) cost at most its size.
 */
final class SharedText {

    /** Fields whose values are unique to a record: not worth pooling. */
    private static final Set<String> UNIQUE =
            Set.of("actionId", "requestId", "arguments", "argumentsHash", "idempotencyKey");

    /** Longer strings are left alone (free text, rarely repeated). */
    private static final int MAX_LENGTH = 256;

    private final int capacity;
    private final Map<String, String> pool = new HashMap<>();

    /** @param capacity how many distinct strings the pool holds before it starts again */
    SharedText(final int capacity) {
        this.capacity = capacity;
    }

    /**
     * @param record a record to keep; changed in place (equal values, shared instances)
     * @param <T> its type
     * @return the record
     */
    <T extends SpecificRecord> T share(final T record) {
        for (final Schema.Field field : record.getSchema().getFields()) {
            if (UNIQUE.contains(field.name())) {
                continue;
            }
            final Object value = record.get(field.pos());
            final Object shared = value(value);
            if (shared != value) {
                record.put(field.pos(), shared);
            }
        }
        return record;
    }

    /** @return the number of distinct strings pooled now (for tests) */
    int size() {
        return pool.size();
    }

    private Object value(final Object value) {
        if (value instanceof String text) {
            return text(text);
        }
        if (value instanceof SpecificRecord nested) {
            return share(nested);
        }
        if (value instanceof List<?> list) {
            if (list.isEmpty()) {
                return List.of();
            }
            @SuppressWarnings("unchecked")
            final List<Object> items = (List<Object>) list;
            for (int i = 0; i < items.size(); i++) {
                final Object item = items.get(i);
                final Object shared = value(item);
                if (shared != item) {
                    try {
                        items.set(i, shared);
                    } catch (UnsupportedOperationException e) {
                        return value; // an immutable list (not one Avro read): keep it as it is
                    }
                }
            }
        }
        return value;
    }

    private String text(final String text) {
        if (text.length() > MAX_LENGTH) {
            return text;
        }
        final String shared = pool.get(text);
        if (shared != null) {
            return shared;
        }
        if (pool.size() >= capacity) {
            pool.clear();
        }
        pool.put(text, text);
        return text;
    }
}
