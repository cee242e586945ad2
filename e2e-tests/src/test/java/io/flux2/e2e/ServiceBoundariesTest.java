package io.flux2.e2e;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Services talk over HTTP only: no service's code may use another service's classes. The e2e module
 * sees all five on one classpath, so this is where the rule can be checked.
 */
class ServiceBoundariesTest {

    private static final List<String> SERVICES = List.of("gateway", "jobs", "inference", "assets", "safety");

    private static JavaClasses classes;

    @BeforeAll
    static void importServices() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.flux2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gateway", "jobs", "inference", "assets", "safety"})
    void aServiceUsesNoOtherServicesCode(String service) {
        String[] others = SERVICES.stream().filter(s -> !s.equals(service))
                .map(s -> "io.flux2." + s + "..").toArray(String[]::new);
        noClasses().that().resideInAPackage("io.flux2." + service + "..")
                .should().dependOnClassesThat().resideInAnyPackage(others)
                .check(classes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gateway", "jobs", "inference", "assets", "safety"})
    void sharedCodeDependsOnNoService(String service) {
        noClasses().that().resideInAnyPackage("io.flux2.common..", "io.flux2.infra..")
                .should().dependOnClassesThat().resideInAPackage("io.flux2." + service + "..")
                .check(classes);
    }
}
