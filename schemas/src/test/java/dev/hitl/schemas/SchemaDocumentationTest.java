package dev.hitl.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.compat.SchemaCompatibilityCheck;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/** The schemas are the public contract: every type and every field says what it means. */
class SchemaDocumentationTest {

    @Test
    void shouldDocumentEveryNamedTypeAndEveryField() {
        final List<String> undocumented = new ArrayList<>();
        final Set<String> seen = new HashSet<>();
        for (final Schema schema : SchemaCompatibilityCheck.registeredSchemas().values()) {
            collect(schema, seen, undocumented);
        }
        assertThat(seen).hasSizeGreaterThan(15);
        assertThat(undocumented).isEmpty();
    }

    private static void collect(final Schema schema, final Set<String> seen, final List<String> undocumented) {
        switch (schema.getType()) {
            case RECORD -> {
                if (!seen.add(schema.getFullName())) {
                    return;
                }
                if (blank(schema.getDoc())) {
                    undocumented.add(schema.getFullName());
                }
                for (final Schema.Field field : schema.getFields()) {
                    if (blank(field.doc())) {
                        undocumented.add(schema.getFullName() + "." + field.name());
                    }
                    collect(field.schema(), seen, undocumented);
                }
            }
            case ENUM -> {
                if (seen.add(schema.getFullName()) && blank(schema.getDoc())) {
                    undocumented.add(schema.getFullName());
                }
            }
            case UNION -> schema.getTypes().forEach(t -> collect(t, seen, undocumented));
            case ARRAY -> collect(schema.getElementType(), seen, undocumented);
            case MAP -> collect(schema.getValueType(), seen, undocumented);
            default -> {}
        }
    }

    private static boolean blank(final String doc) {
        return doc == null || doc.isBlank();
    }
}
