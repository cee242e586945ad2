package io.flux2.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** The k8s/ manifests parse and say what an operator relies on: probes, resources, GPUs, isolation. */
class KubernetesManifestsTest {

    private static final List<String> SERVICES =
            List.of("gateway-service", "job-service", "inference-service", "asset-service", "safety-service");

    private static List<Map<String, Object>> documents;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void parse() throws IOException {
        documents = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("..", "k8s"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                try (Reader reader = Files.newBufferedReader(file)) {
                    for (Object doc : new Yaml().loadAll(reader)) {
                        if (doc != null) {
                            documents.add((Map<String, Object>) doc);
                        }
                    }
                }
            }
        }
    }

    @Test
    void everyObjectIsNamedAndNamespaced() {
        assertThat(documents).isNotEmpty();
        for (Map<String, Object> doc : documents) {
            assertThat(doc).containsKeys("apiVersion", "kind", "metadata");
            Map<String, Object> metadata = map(doc, "metadata");
            assertThat(metadata).containsKey("name");
            if (!"Namespace".equals(doc.get("kind"))) {
                assertThat(metadata.get("namespace")).as(describe(doc)).isEqualTo("flux2");
            }
        }
    }

    @Test
    void everyServiceHasADeploymentWithProbesAndResourcesAServiceAndADisruptionBudget() {
        for (String service : SERVICES) {
            Map<String, Object> container = container(find("Deployment", service));
            assertThat(container).as(service).containsKeys("readinessProbe", "livenessProbe");
            assertThat(map(map(container, "readinessProbe"), "httpGet").get("path"))
                    .isEqualTo("/actuator/health/readiness");
            assertThat(map(map(container, "resources"), "limits")).as(service).containsKey("memory");
            find("Service", service);
            find("PodDisruptionBudget", service);
        }
    }

    @Test
    void inferencePodsAskForAGpuAndScaleOnQueueDepth() {
        Map<String, Object> resources = map(container(find("Deployment", "inference-service")), "resources");
        assertThat(map(resources, "limits")).containsEntry("nvidia.com/gpu", 1);
        assertThat(find("ScaledObject", "inference-service")).isNotNull();
    }

    @Test
    void onlyTheGatewayAcceptsTrafficFromOutsideTheNamespace() {
        List<Map<String, Object>> policies = documents.stream()
                .filter(d -> "NetworkPolicy".equals(d.get("kind"))).toList();
        assertThat(policies).anySatisfy(p -> assertThat(map(p, "spec").get("ingress")).isNull());
        for (Map<String, Object> policy : policies) {
            Map<String, Object> spec = map(policy, "spec");
            List<Map<String, Object>> ingress = list(spec.get("ingress"));
            boolean open = ingress.stream().anyMatch(rule -> rule.get("from") == null);
            if (open) {
                assertThat(map(map(spec, "podSelector"), "matchLabels"))
                        .containsEntry("app.kubernetes.io/name", "gateway-service");
            }
        }
    }

    /** Probes, metrics and circuit-breaker state stay off the one port the internet reaches. */
    @Test
    void theGatewaysActuatorIsNotOnItsPublicPort() {
        Map<String, Object> container = container(find("Deployment", "gateway-service"));
        assertThat(env(container)).containsEntry("MANAGEMENT_SERVER_PORT", "9080");
        assertThat(list(container.get("ports"))).anySatisfy(port -> assertThat(port)
                .containsEntry("name", "management").containsEntry("containerPort", 9080));
        for (String probe : List.of("readinessProbe", "livenessProbe")) {
            assertThat(map(map(container, probe), "httpGet")).as(probe).containsEntry("port", "management");
        }
        assertThat(list(map(find("ServiceMonitor", "flux2-gateway"), "spec").get("endpoints")))
                .allSatisfy(endpoint -> assertThat(endpoint).containsEntry("port", "management"));
    }

    /** The settings a deployment cannot do without: its own admin key, and URLs that clients can resolve. */
    @Test
    void secretsAndConfigurationNameTheAdminKeyAndThePublicStoreAddress() {
        assertThat(map(find("Secret", "flux2-secrets"), "stringData")).containsKey("FLUX_GATEWAY_ADMIN_KEY");
        assertThat(map(find("ConfigMap", "flux2-config"), "data")).containsKey("FLUX_ASSETS_S3_PUBLIC_ENDPOINT");
    }

    /** The image check is mandatory: safety-service refuses to start without its classifier package. */
    @Test
    void safetyServiceRequiresItsImageClassifierFromTheModelsVolume() {
        Map<String, Object> container = container(find("Deployment", "safety-service"));
        Map<String, String> env = env(container);
        assertThat(env).containsEntry("FLUX_SAFETY_IMAGE_CLASSIFIER_REQUIRED", "true");
        String mountPath = (String) list(container.get("volumeMounts")).get(0).get("mountPath");
        assertThat(env.get("FLUX_SAFETY_CLASSIFIER_PACKAGE")).startsWith(mountPath + "/");
    }

    private static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> env = new java.util.HashMap<>();
        for (Map<String, Object> entry : list(container.get("env"))) {
            env.put((String) entry.get("name"), String.valueOf(entry.get("value")));
        }
        return env;
    }

    private static Map<String, Object> find(String kind, String name) {
        return documents.stream()
                .filter(d -> kind.equals(d.get("kind")) && name.equals(map(d, "metadata").get("name")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("No " + kind + " named " + name + " in k8s/"));
    }

    private static Map<String, Object> container(Map<String, Object> deployment) {
        Map<String, Object> podSpec = map(map(map(deployment, "spec"), "template"), "spec");
        return list(podSpec.get("containers")).get(0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        return value == null ? Map.of() : (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return value == null ? List.of() : (List<Map<String, Object>>) value;
    }

    private static String describe(Map<String, Object> doc) {
        return doc.get("kind") + " " + map(doc, "metadata").get("name");
    }
}
