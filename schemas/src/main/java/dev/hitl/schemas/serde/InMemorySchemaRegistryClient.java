package dev.hitl.schemas.serde;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;

/**
 * A schema registry in this JVM's memory, for unit tests (e.g. topologies under {@code
 * TopologyTestDriver}) and tools that need no shared registry. Ids are assigned per subject and
 * schema like a real registry's; nothing is checked for compatibility. Thread-safe.
 */
public final class InMemorySchemaRegistryClient implements SchemaRegistryClient {

    private final AtomicInteger nextId = new AtomicInteger(1);
    private final Map<String, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();
    private final Map<String, String> compatibility = new ConcurrentHashMap<>();

    @Override
    public int register(final String subject, final Schema schema) {
        return ids.computeIfAbsent(subject + "\n" + schema, key -> {
            final int id = nextId.getAndIncrement();
            schemas.put(id, schema);
            return id;
        });
    }

    @Override
    public int idOf(final String subject, final Schema schema) {
        final Integer id = ids.get(subject + "\n" + schema);
        if (id == null) {
            throw new SchemaRegistryException("not registered under " + subject, 404, 40403, null);
        }
        return id;
    }

    @Override
    public Schema schemaById(final int id) {
        final Schema schema = schemas.get(id);
        if (schema == null) {
            throw new UnknownSchemaIdException(id, url(), 40403);
        }
        return schema;
    }

    /** Kept, not enforced: tests of the serdes need no compatibility checks. */
    @Override
    public void setCompatibility(final String subject, final String level) {
        compatibility.put(subject, level);
    }

    @Override
    public java.util.Optional<String> compatibility(final String subject) {
        return java.util.Optional.ofNullable(compatibility.get(subject));
    }

    @Override
    public String url() {
        return "memory:";
    }
}
