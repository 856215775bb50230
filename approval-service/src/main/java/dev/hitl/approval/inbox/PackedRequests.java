package dev.hitl.approval.inbox;

import dev.hitl.schemas.ApprovalRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * The inbox's compact form of an open item's requests: their Avro binary encoding, deflated against
 * a preset dictionary, decoded again only when someone looks (a page, a card, a vote). A million
 * open requests stay in memory in every instance, and most of a request is the same from request to
 * request of one kind (the agent's action type: its text, the policy's reasons and rule names, the
 * route); a dictionary per kind (the first request of that kind, as encoded) lets deflate store
 * little more than what differs (ids, times, arguments). BENCHMARKS.md, "The approval inbox in under
 * 1 GB", has the figures.
 *
 * <p>{@link #pack} runs on the single writer's thread (the materializer's); {@link #unpack} on any.
 */
final class PackedRequests {

    /** A request's raw bytes that later requests of its kind are deflated against. */
    record Dictionary(byte[] bytes) {}

    /** Deflate's window: a longer dictionary is cut to its last 32 KB by zlib anyway. */
    private static final int MAX_DICTIONARY = 32 * 1024;

    /** Distinct stage-group lists shared before the pool starts again. */
    private static final int MAX_GROUP_SHAPES = 10_000;

    private static final ThreadLocal<Inflater> INFLATERS = ThreadLocal.withInitial(() -> new Inflater(true));
    private static final ThreadLocal<SpecificDatumReader<ApprovalRequest>> READERS =
            ThreadLocal.withInitial(() -> new SpecificDatumReader<>(ApprovalRequest.class));

    private final int maxKinds;
    private final Map<String, Dictionary> dictionaries = new HashMap<>();
    private final Map<List<String>, String[]> groupArrays = new HashMap<>();
    private final SpecificDatumWriter<ApprovalRequest> writer = new SpecificDatumWriter<>(ApprovalRequest.class);
    private final ByteArrayOutputStream raw = new ByteArrayOutputStream(4096);
    private final Deflater deflater = new Deflater(Deflater.BEST_SPEED, true);
    private byte[] out = new byte[4096];
    private BinaryEncoder encoder;

    /** @param maxKinds at most this many dictionaries are kept (later kinds are deflated without one) */
    PackedRequests(final int maxKinds) {
        this.maxKinds = maxKinds;
    }

    /**
     * @param requests an item's requests (one action, same level and version), by stage
     * @return them encoded and deflated; {@link #unpack} with the same dictionary gives them back
     */
    Packed pack(final List<ApprovalRequest> requests) {
        raw.reset();
        encoder = EncoderFactory.get().directBinaryEncoder(raw, encoder);
        try {
            encoder.writeInt(requests.size());
            for (final ApprovalRequest request : requests) {
                writer.write(request, encoder);
            }
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        final byte[] bytes = raw.toByteArray();
        final Dictionary dictionary = dictionary(requests.get(0), bytes);
        deflater.reset();
        if (dictionary != null) {
            deflater.setDictionary(dictionary.bytes());
        }
        deflater.setInput(bytes);
        deflater.finish();
        int length = 0;
        while (!deflater.finished()) {
            if (length == out.length) {
                out = Arrays.copyOf(out, out.length * 2);
            }
            length += deflater.deflate(out, length, out.length - length);
        }
        return new Packed(Arrays.copyOf(out, length), dictionary);
    }

    /** The kind is the agent and its action type: their requests share most of their text. */
    private Dictionary dictionary(final ApprovalRequest first, final byte[] bytes) {
        final String kind =
                first.getAction().getAgentId() + '\n' + first.getAction().getActionType();
        final Dictionary known = dictionaries.get(kind);
        if (known != null || dictionaries.size() >= maxKinds) {
            return known;
        }
        final Dictionary made = new Dictionary(
                bytes.length <= MAX_DICTIONARY
                        ? bytes
                        : Arrays.copyOfRange(bytes, bytes.length - MAX_DICTIONARY, bytes.length));
        dictionaries.put(kind, made);
        return made;
    }

    /**
     * @param requests an item's requests, by stage
     * @return the group of each request's stage, in order; the same array for the same groups (a
     *     handful of route shapes), so a million items share a few
     */
    String[] groups(final List<ApprovalRequest> requests) {
        final List<String> groups = new ArrayList<>(requests.size());
        for (final ApprovalRequest r : requests) {
            groups.add(r.getRoute().getStages().get(r.getStageIndex()).getGroup());
        }
        final String[] known = groupArrays.get(groups);
        if (known != null) {
            return known;
        }
        if (groupArrays.size() >= MAX_GROUP_SHAPES) {
            groupArrays.clear();
        }
        final String[] made = groups.toArray(String[]::new);
        groupArrays.put(groups, made);
        return made;
    }

    /** @return how many dictionaries are kept (for tests) */
    int kinds() {
        return dictionaries.size();
    }

    /**
     * @param packed the bytes {@link #pack} made
     * @param dictionary the dictionary it named
     * @return the requests, decoded afresh (the caller may keep or change them)
     */
    static List<ApprovalRequest> unpack(final byte[] packed, final Dictionary dictionary) {
        final Inflater inflater = INFLATERS.get();
        inflater.reset();
        inflater.setInput(packed);
        if (dictionary != null) {
            // raw deflate carries no dictionary id: the dictionary is set before inflating
            inflater.setDictionary(dictionary.bytes());
        }
        byte[] buffer = new byte[Math.max(1024, packed.length * 8)];
        int length = 0;
        try {
            while (!inflater.finished()) {
                if (length == buffer.length) {
                    buffer = Arrays.copyOf(buffer, buffer.length * 2);
                }
                final int n = inflater.inflate(buffer, length, buffer.length - length);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new DataFormatException("truncated");
                }
                length += n;
            }
        } catch (DataFormatException e) {
            throw new IllegalStateException("a packed inbox item does not inflate", e);
        }
        final BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(buffer, 0, length, null);
        final SpecificDatumReader<ApprovalRequest> reader = READERS.get();
        try {
            final int count = decoder.readInt();
            final List<ApprovalRequest> requests = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                requests.add(reader.read(null, decoder));
            }
            return requests;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * An item's requests, deflated.
     *
     * @param bytes the deflated Avro encoding (a count, then each request)
     * @param dictionary what they were deflated against, or null
     */
    record Packed(byte[] bytes, Dictionary dictionary) {}
}
