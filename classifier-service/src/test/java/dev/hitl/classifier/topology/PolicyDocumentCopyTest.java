package dev.hitl.classifier.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.PolicyDocument;
import java.time.Instant;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class PolicyDocumentCopyTest {

    @Test
    void shouldCopyEveryFieldIntoANewDocument() {
        final PolicyDocument document = PolicyDocument.newBuilder()
                .setName("default")
                .setVersion("7")
                .setYaml("version: 7\nrules: []\n")
                .setSha256("0123abcd")
                .setPublishedBy("ops@example.com")
                .setPublishedAt(Instant.ofEpochMilli(1764892800000L))
                .build();
        final PolicyDocument copy = ClassifierTopology.copyOf(document);
        assertThat(copy).isEqualTo(document).isNotSameAs(document);
        copy.setVersion("8");
        assertThat(document.getVersion()).isEqualTo("7");
    }

    @Test
    void shouldHoldOnlyImmutableFields_soAFieldByFieldCopySharesNothingMutable() {
        // The policy store hands each reader such a copy: a list, map, record or bytes field added to
        // the schema would be shared between readers, so copyOf would have to copy it too.
        for (final Schema.Field field : PolicyDocument.getClassSchema().getFields()) {
            assertThat(field.schema().getType())
                    .as(field.name())
                    .isIn(Schema.Type.STRING, Schema.Type.LONG, Schema.Type.INT, Schema.Type.BOOLEAN, Schema.Type.ENUM);
        }
    }
}
