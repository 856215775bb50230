package dev.hitl.schemaregistry;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import javax.enterprise.event.Observes;
import javax.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * With {@code -Dhitl.exit-with-parent=true}, the registry exits when the process that started it
 * ends, even when that process was killed with SIGKILL and could not stop it: a test JVM or local
 * stack that dies never leaves an orphan registry holding memory and a port.
 */
@Singleton
public class ExitWithParent {

    private static final Logger LOG = Logger.getLogger(ExitWithParent.class);

    void onStart(@Observes final StartupEvent event) {
        if (!Boolean.getBoolean("hitl.exit-with-parent")) {
            return;
        }
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> {
            LOG.infof("Parent process %d ended; stopping the registry", parent.pid());
            Quarkus.asyncExit();
        }));
    }
}
