package dev.hitl.schemas.compat;

import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Refuses schema changes that are not BACKWARD compatible: every schema registered on a topic must
 * read every record written with its last released version, checked with Avro's own {@link
 * SchemaCompatibility}. Released schemas live in {@code schemas/src/main/released}, one {@code
 * <RecordName>.avsc} each, as JSON (written by {@code --release}).
 *
 * <p>Run by the build after compilation ({@code main} with the released directory); {@code main}
 * with {@code --release} as second argument writes the current schemas as the new release.
 */
public final class SchemaCompatibilityCheck {

    private SchemaCompatibilityCheck() {}

    /**
     * @param args the released-schemas directory, and optionally {@code --release}
     * @throws IllegalStateException when a schema is not backward compatible (fails the build)
     */
    public static void main(final String[] args) {
        if (args.length < 1) {
            throw new IllegalArgumentException("usage: SchemaCompatibilityCheck <released-dir> [--release]");
        }
        final Path dir = Path.of(args[0]);
        if (args.length > 1 && "--release".equals(args[1])) {
            release(dir);
            return;
        }
        final List<String> problems = check(dir, registeredSchemas());
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Schema changes are not BACKWARD compatible with the released schemas in "
                    + dir + ":\n  " + String.join("\n  ", problems));
        }
        System.out.println("[hitl] " + registeredSchemas().size()
                + " registered schemas are BACKWARD compatible with their released versions in " + dir);
    }

    /**
     * @return the schema of every record type that is registered on a topic, by full name
     */
    public static Map<String, Schema> registeredSchemas() {
        final Map<String, Schema> schemas = new LinkedHashMap<>();
        for (final Topic<?, ?> topic : TopicCatalogue.standard().all()) {
            if (SpecificRecord.class.isAssignableFrom(topic.valueType())) {
                final Schema schema = SpecificData.get().getSchema(topic.valueType());
                schemas.put(schema.getFullName(), schema);
            }
        }
        return schemas;
    }

    /**
     * @param releasedDir the released schemas
     * @param current the current schemas by full name
     * @return one message per incompatibility, empty when all are compatible
     */
    public static List<String> check(final Path releasedDir, final Map<String, Schema> current) {
        final List<String> problems = new ArrayList<>(releasedWithoutCurrent(releasedDir, current));
        for (final Map.Entry<String, Schema> entry : current.entrySet()) {
            final Path file = releasedDir.resolve(entry.getValue().getName() + ".avsc");
            if (!Files.exists(file)) {
                problems.add(entry.getKey() + " has never been released: release it with"
                        + " ./mvnw -pl schemas compile exec:java@release-schemas");
                continue;
            }
            final Schema released;
            try {
                released = new Schema.Parser().parse(file.toFile());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read released schema " + file, e);
            }
            final SchemaCompatibility.SchemaPairCompatibility result =
                    SchemaCompatibility.checkReaderWriterCompatibility(entry.getValue(), released);
            if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
                problems.add(entry.getKey() + " cannot read records written with its released version: "
                        + result.getResult().getIncompatibilities().stream()
                                .map(i -> i.getType() + " at " + fieldPath(entry.getValue(), i.getLocation()) + " ("
                                        + i.getMessage() + ")")
                                .collect(Collectors.joining(", ")));
            }
        }
        return problems;
    }

    /** Turns a location such as {@code /fields/0/type} into field names, e.g. {@code Vote.voteId}. */
    static String fieldPath(final Schema reader, final String location) {
        final StringBuilder path = new StringBuilder(reader.getName());
        Schema schema = reader;
        final String[] steps = location.split("/");
        try {
            for (int i = 0; i < steps.length; i++) {
                if ("fields".equals(steps[i]) && i + 1 < steps.length && schema.getType() == Schema.Type.RECORD) {
                    final Schema.Field field = schema.getFields().get(Integer.parseInt(steps[++i]));
                    path.append('.').append(field.name());
                    schema = field.schema();
                }
            }
        } catch (RuntimeException e) {
            return location;
        }
        return path + " (" + location + ")";
    }

    /** Released schemas that no topic carries any more: a removed or renamed record breaks readers. */
    private static List<String> releasedWithoutCurrent(final Path releasedDir, final Map<String, Schema> current) {
        final List<String> problems = new ArrayList<>();
        if (!Files.isDirectory(releasedDir)) {
            return problems;
        }
        final java.util.Set<String> names =
                current.values().stream().map(Schema::getName).collect(Collectors.toSet());
        try (java.util.stream.Stream<Path> files = Files.list(releasedDir)) {
            files.map(file -> file.getFileName().toString())
                    .filter(name -> name.endsWith(".avsc"))
                    .map(name -> name.substring(0, name.length() - ".avsc".length()))
                    .filter(name -> !names.contains(name))
                    .sorted()
                    .forEach(name -> problems.add(name + " was released but is no longer registered on any topic:"
                            + " removing or renaming a record breaks its readers"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + releasedDir, e);
        }
        return problems;
    }

    private static void release(final Path dir) {
        final List<String> incompatible = check(dir, registeredSchemas()).stream()
                .filter(problem -> !problem.contains("has never been released"))
                .toList();
        if (!incompatible.isEmpty()) {
            throw new IllegalStateException("Refusing to release schemas that break their released versions:\n  "
                    + String.join("\n  ", incompatible));
        }
        try {
            Files.createDirectories(dir);
            for (final Schema schema : registeredSchemas().values()) {
                Files.writeString(dir.resolve(schema.getName() + ".avsc"), schema.toString(true) + "\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write released schemas to " + dir, e);
        }
        System.out.println("[hitl] released " + registeredSchemas().size() + " schemas to " + dir);
    }
}
