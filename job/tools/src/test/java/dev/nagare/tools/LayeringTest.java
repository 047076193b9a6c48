package dev.nagare.tools;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import dev.nagare.job.NagareJob;
import dev.nagare.tools.local.LocalRun;
import dev.nagare.udf.parse.NormalizedEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.List;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layers, read from the compiled classes: udf (parsers) below job (the product) below tools
 * (the developer tooling). The product jar must run without the tooling, so nothing in it may
 * refer to a tooling class, and no two packages may depend on each other in a circle.
 */
class LayeringTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        // Main classes only, from where each layer's classes are (its jar when the build packaged
        // it, its classes folder otherwise); tests may use anything.
        classes = new ClassFileImporter()
                .withImportOption(location -> location.contains("/dev/nagare/"))
                .importUrls(List.of(codeSource(NormalizedEvent.class), codeSource(NagareJob.class), codeSource(LocalRun.class)));
    }

    private static URL codeSource(Class<?> type) {
        return type.getProtectionDomain().getCodeSource().getLocation();
    }

    @Test
    void allThreeLayersAreImported() {
        // Without this, a wrong import root would make the rules below pass on nothing.
        for (String layer : new String[] {"dev.nagare.udf.", "dev.nagare.job.", "dev.nagare.tools."}) {
            assertThat(classes.stream().filter(c -> c.getName().startsWith(layer) && c.getSource().isPresent()))
                    .as("classes read from " + layer + "*").hasSizeGreaterThan(5);
        }
    }

    @Test
    void theProductNeverUsesTheTooling() {
        noClasses().that().resideInAPackage("dev.nagare.job..")
                .should().dependOnClassesThat().resideInAPackage("dev.nagare.tools..")
                .check(classes);
    }

    @Test
    void theParsersNeverUseTheJobOrTheTooling() {
        noClasses().that().resideInAPackage("dev.nagare.udf..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.nagare.job..", "dev.nagare.tools..")
                .check(classes);
    }

    @Test
    void noPackageCycles() {
        // Each package is a slice of its own ("(**)" captures the whole package name).
        slices().matching("dev.nagare.(**)").should().beFreeOfCycles().check(classes);
    }
}
