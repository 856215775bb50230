package dev.hitl.schemas.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaCompatibilityCheckTest {

    private static final Path RELEASED = Path.of("src/main/released");

    private static final String RELEASED_VOTE = """
            {"type":"record","name":"Vote","namespace":"dev.hitl.schemas","fields":[
              {"name":"voteId","type":"string"},
              {"name":"approver","type":"string"}]}""";

    @Test
    void shouldFindTheCurrentSchemasCompatibleWithTheReleasedOnes() {
        assertThat(SchemaCompatibilityCheck.registeredSchemas()).hasSize(17);
        assertThat(SchemaCompatibilityCheck.check(RELEASED, SchemaCompatibilityCheck.registeredSchemas()))
                .isEmpty();
    }

    @Test
    void shouldAcceptANewFieldWithADefault(@TempDir final Path dir) throws IOException {
        Files.writeString(dir.resolve("Vote.avsc"), RELEASED_VOTE);
        final Schema next = parse("""
                {"type":"record","name":"Vote","namespace":"dev.hitl.schemas","fields":[
                  {"name":"voteId","type":"string"},
                  {"name":"approver","type":"string"},
                  {"name":"reason","type":["null","string"],"default":null}]}""");
        assertThat(SchemaCompatibilityCheck.check(dir, Map.of("dev.hitl.schemas.Vote", next)))
                .isEmpty();
    }

    @Test
    void shouldRefuseANewFieldWithoutADefault(@TempDir final Path dir) throws IOException {
        Files.writeString(dir.resolve("Vote.avsc"), RELEASED_VOTE);
        final Schema next = parse("""
                {"type":"record","name":"Vote","namespace":"dev.hitl.schemas","fields":[
                  {"name":"voteId","type":"string"},
                  {"name":"approver","type":"string"},
                  {"name":"groups","type":{"type":"array","items":"string"}}]}""");
        assertThat(SchemaCompatibilityCheck.check(dir, Map.of("dev.hitl.schemas.Vote", next)))
                .singleElement()
                .asString()
                .contains("dev.hitl.schemas.Vote", "READER_FIELD_MISSING_DEFAULT_VALUE", "groups");
    }

    @Test
    void shouldRefuseAChangedFieldType(@TempDir final Path dir) throws IOException {
        Files.writeString(dir.resolve("Vote.avsc"), RELEASED_VOTE);
        final Schema next = parse("""
                {"type":"record","name":"Vote","namespace":"dev.hitl.schemas","fields":[
                  {"name":"voteId","type":"long"},
                  {"name":"approver","type":"string"}]}""");
        assertThat(SchemaCompatibilityCheck.check(dir, Map.of("dev.hitl.schemas.Vote", next)))
                .singleElement()
                .asString()
                .contains("TYPE_MISMATCH", "voteId");
    }

    @Test
    void shouldRefuseARecordThatWasReleasedButIsNoLongerRegistered(@TempDir final Path dir) throws IOException {
        Files.writeString(dir.resolve("Vote.avsc"), RELEASED_VOTE);
        Files.writeString(dir.resolve("Ballot.avsc"), RELEASED_VOTE.replace("Vote", "Ballot"));
        assertThat(SchemaCompatibilityCheck.check(dir, Map.of("dev.hitl.schemas.Vote", parse(RELEASED_VOTE))))
                .singleElement()
                .asString()
                .contains("Ballot was released but is no longer registered");
    }

    @Test
    void shouldRefuseARecordThatWasNeverReleased(@TempDir final Path dir) {
        assertThat(SchemaCompatibilityCheck.check(dir, Map.of("dev.hitl.schemas.Vote", parse(RELEASED_VOTE))))
                .singleElement()
                .asString()
                .contains("dev.hitl.schemas.Vote has never been released");
    }

    @Test
    void shouldFailTheBuildStepWhenASchemaIsIncompatible(@TempDir final Path dir) throws IOException {
        // A released Vote with a field the current Vote cannot read: the field type changed.
        Files.writeString(dir.resolve("Vote.avsc"), """
                {"type":"record","name":"Vote","namespace":"dev.hitl.schemas","fields":[
                  {"name":"voteId","type":"long"}]}""");
        assertThatThrownBy(() -> SchemaCompatibilityCheck.main(new String[] {dir.toString()}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not BACKWARD compatible")
                .hasMessageContaining("voteId");
    }

    private static Schema parse(final String json) {
        return new Schema.Parser().parse(json);
    }
}
