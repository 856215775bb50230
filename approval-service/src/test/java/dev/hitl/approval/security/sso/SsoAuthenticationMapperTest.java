package dev.hitl.approval.security.sso;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SsoAuthenticationMapperTest {

    @Test
    void shouldReadGroupsFromAListOrOneStringRemovingThePrefix() {
        assertThat(SsoAuthenticationMapper.groups(List.of("/finance", "/cfo-office", "sre", "/finance", "/", ""), "/"))
                .containsExactly("finance", "cfo-office", "sre");
        assertThat(SsoAuthenticationMapper.groups("reviewers", "")).containsExactly("reviewers");
        assertThat(SsoAuthenticationMapper.groups(List.of("/org/finance"), "/")).containsExactly("org/finance");
        assertThat(SsoAuthenticationMapper.groups(List.of("/finance"), "")).containsExactly("/finance");
    }

    @Test
    void shouldGiveNoGroupsForAMissingOrMalformedClaim() {
        assertThat(SsoAuthenticationMapper.groups(null, "/")).isEmpty();
        assertThat(SsoAuthenticationMapper.groups(42, "/")).isEmpty();
        assertThat(SsoAuthenticationMapper.groups(List.of(1, List.of("x")), "/"))
                .isEmpty();
    }
}
