package dev.hitl.approval.ui;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.schemas.integrity.StrictJson;

/** JSON text as the pages show it and as their forms send it. */
public final class JsonText {

    /** Writes JSON that {@link StrictJson} read (numbers as written). */
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonText() {}

    /**
     * @param json JSON text
     * @return it pretty-printed when it is strict JSON, else as it is (so a duplicate member name is
     *     shown twice, as written, never folded into one)
     */
    public static String pretty(final String json) {
        if (json == null) {
            return "";
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(StrictJson.parse(json));
        } catch (IllegalArgumentException | JsonProcessingException e) {
            return json;
        }
    }

    /**
     * @param text what a reviewer typed as modified arguments
     * @return a strict JSON object as compact text (as the agent sends arguments); anything else
     *     exactly as typed, so that the vote is refused with the reason (a lenient parser would fold a
     *     duplicate member name into one and hide it)
     */
    public static String compactIfObject(final String text) {
        if (text == null) {
            return null;
        }
        try {
            return JSON.writeValueAsString(StrictJson.parseObject(text));
        } catch (IllegalArgumentException | JsonProcessingException e) {
            return text;
        }
    }
}
