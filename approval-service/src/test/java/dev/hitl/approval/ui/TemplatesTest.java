package dev.hitl.approval.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the templates in {@code src/main/jte} may not hold, checked in their source (jte's own HTML
 * policy checks quoting and attribute names when they compile): no unescaped output, no inline
 * script, style or event handler (the CSP allows none), and no link, form or source whose address
 * starts with a value rather than a fixed path of this service.
 */
class TemplatesTest {

    private static final Path TEMPLATES = Path.of("src/main/jte");

    private static List<Path> templates() throws IOException {
        try (Stream<Path> files = Files.walk(TEMPLATES)) {
            return files.filter(p -> p.toString().endsWith(".jte")).sorted().toList();
        }
    }

    @Test
    void shouldHaveNoUnescapedOutputInlineCodeOrAddressMadeOfAValue() throws IOException {
        final List<Path> templates = templates();
        assertThat(templates).hasSizeGreaterThanOrEqualTo(12);
        int scripts = 0;
        for (final Path template : templates) {
            final String source = Files.readString(template, StandardCharsets.UTF_8);
            assertThat(source)
                    .as(template.toString())
                    .doesNotContain("$unsafe{")
                    .doesNotContain("@raw")
                    .doesNotContain("<style")
                    .doesNotContainPattern("\\sstyle\\s*=")
                    .doesNotContainPattern("\\son[a-zA-Z]+\\s*=")
                    .doesNotContainIgnoringCase("javascript:");
            final Matcher script = Pattern.compile("<script[^>]*>").matcher(source);
            while (script.find()) {
                scripts++;
                assertThat(script.group()).isEqualTo("<script src=\"/ui/static/app.js\" defer>");
            }
            final Matcher address = Pattern.compile("\\s(href|src|action|formaction)=\"([^\"]*)\"")
                    .matcher(source);
            while (address.find()) {
                assertThat(address.group(2))
                        .as(template + ": " + address.group())
                        .startsWith("/")
                        .doesNotStartWith("//")
                        .doesNotStartWith("/${");
            }
        }
        assertThat(scripts)
                .as("script elements in all templates: the layout's one")
                .isEqualTo(1);
    }

    @Test
    void shouldShipNoTemplateCompiler() {
        // Templates are compiled by the build; the service carries only jte's runtime.
        assertThatThrownBy(() -> Class.forName("gg.jte.compiler.TemplateCompiler"))
                .isInstanceOf(ClassNotFoundException.class);
        assertThat(Pages.render(new ErrorPage(null, "t", "d"))).contains("<h1>t</h1>");
    }
}
