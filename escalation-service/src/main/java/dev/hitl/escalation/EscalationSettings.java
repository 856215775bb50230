package dev.hitl.escalation;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/** {@code hitl.escalation.*}: see {@code application.yml}. */
@ConfigurationProperties("hitl.escalation")
public class EscalationSettings {

    private Duration deadlineCheckEvery = Duration.ofMillis(100);

    /** @return how often passed deadlines are looked for */
    public Duration getDeadlineCheckEvery() {
        return deadlineCheckEvery;
    }

    /** @param deadlineCheckEvery how often passed deadlines are looked for */
    public void setDeadlineCheckEvery(final Duration deadlineCheckEvery) {
        this.deadlineCheckEvery = deadlineCheckEvery;
    }
}
