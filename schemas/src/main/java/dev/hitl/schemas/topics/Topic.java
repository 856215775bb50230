package dev.hitl.schemas.topics;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One topic of the catalogue: its name, its key and value types (which pick the serdes), how many
 * partitions it has and the configuration it is created with.
 *
 * @param name the full topic name, e.g. {@code hitl.actions.proposed}
 * @param keyType the record key's type: {@code String} or {@code byte[]}
 * @param valueType the record value's type: a generated Avro class or {@code byte[]}
 * @param partitions the partition count
 * @param config topic configuration applied when the topic is created
 * @param enforced the keys of {@code config} that an existing topic must also have (e.g. {@code
 *     cleanup.policy}); the others are defaults an operator may tune
 * @param description what the topic carries, for people
 * @param <K> the key type
 * @param <V> the value type
 */
public record Topic<K, V>(
        String name,
        Class<K> keyType,
        Class<V> valueType,
        int partitions,
        Map<String, String> config,
        Set<String> enforced,
        String description) {

    /** Validates and copies. */
    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keyType, "keyType");
        Objects.requireNonNull(valueType, "valueType");
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + " needs at least one partition");
        }
        config = Map.copyOf(config);
        enforced = Set.copyOf(enforced);
        if (!config.keySet().containsAll(enforced)) {
            throw new IllegalArgumentException("topic " + name + " enforces configs it does not set");
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
