package io.flux2.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.gateway.tiers.Tier;
import io.flux2.gateway.tiers.TierCatalog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.server.PathContainer;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.pattern.PathPattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * api/openapi.yaml against the running gateway: the served copy is the file, every operation in it is routed
 * (a real request answers neither 404 nor 405, and a handler method's mapping matches it), every public
 * handler method is described, and the document is complete enough for generators (unique operationIds,
 * every $ref resolves, every path parameter declared).
 */
class OpenApiSpecTest extends GatewayTestBase {

    private static final Path SPEC = Path.of("..", "api", "openapi.yaml");
    private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");
    private static final Pattern TEMPLATE = Pattern.compile("\\{([^}]+)}");

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;
    @Autowired
    TierCatalog tiers;

    private record Operation(String method, String path, Map<String, Object> definition, List<Object> pathParameters) {
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec() throws IOException {
        return (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(SPEC));
    }

    @SuppressWarnings("unchecked")
    private static List<Operation> operations(Map<String, Object> spec) {
        List<Operation> operations = new ArrayList<>();
        ((Map<String, Object>) spec.get("paths")).forEach((path, item) -> {
            Map<String, Object> pathItem = (Map<String, Object>) item;
            List<Object> shared = (List<Object>) pathItem.getOrDefault("parameters", List.of());
            pathItem.forEach((method, op) -> {
                if (METHODS.contains(method)) {
                    operations.add(new Operation(method.toUpperCase(), path, (Map<String, Object>) op, shared));
                }
            });
        });
        return operations;
    }

    private static String concrete(String template) {
        return TEMPLATE.matcher(template).replaceAll("probe-$1");
    }

    /** Our handler methods' (method, pattern) pairs; Spring's own (error pages, actuator) are not the public API. */
    private List<Map.Entry<RequestMethod, PathPattern>> handlers() {
        List<Map.Entry<RequestMethod, PathPattern>> handlers = new ArrayList<>();
        mappings.getHandlerMethods().forEach((info, method) -> {
            if (!method.getBeanType().getPackageName().startsWith("io.flux2.gateway")) {
                return;
            }
            for (PathPattern pattern : info.getPatternsCondition().getPatterns()) {
                for (RequestMethod requestMethod : info.getMethodsCondition().getMethods()) {
                    handlers.add(Map.entry(requestMethod, pattern));
                }
            }
        });
        return handlers;
    }

    @Test
    void theServedDocumentIsTheFile() throws IOException {
        byte[] served = web.get().uri("/openapi.yaml").exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.parseMediaType("application/yaml"))
                .expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(served).isEqualTo(Files.readAllBytes(SPEC));
    }

    @Test
    void everyOperationIsRoutedByTheGateway() throws IOException {
        var handlers = handlers();
        for (Operation op : operations(spec())) {
            String path = concrete(op.path());
            assertThat(handlers)
                    .as("a handler method for %s %s", op.method(), op.path())
                    .anySatisfy(h -> {
                        assertThat(h.getKey().name()).isEqualTo(op.method());
                        assertThat(h.getValue().matches(PathContainer.parsePath(path))).isTrue();
                    });
            // And a real request gets past routing: no key and no body answer 401/415/422, never 404/405.
            int status = web.method(HttpMethod.valueOf(op.method())).uri(path).exchange()
                    .returnResult(byte[].class).getStatus().value();
            assertThat(status).as("%s %s answered %d", op.method(), path, status).isNotIn(404, 405);
        }
    }

    @Test
    void everyHandlerMethodAndTierRouteIsInTheDocument() throws IOException {
        List<Operation> operations = operations(spec());
        for (var handler : handlers()) {
            assertThat(operations)
                    .as("%s %s is described in api/openapi.yaml", handler.getKey(), handler.getValue())
                    .anySatisfy(op -> {
                        assertThat(op.method()).isEqualTo(handler.getKey().name());
                        assertThat(handler.getValue().matches(PathContainer.parsePath(concrete(op.path())))).isTrue();
                    });
        }
        for (Tier tier : tiers.all()) {
            assertThat(operations).as("the %s tier's route", tier.name())
                    .anySatisfy(op -> assertThat(op.method() + " " + op.path()).isEqualTo("POST /v1/" + tier.route()));
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theDocumentIsCompleteForGenerators() throws IOException {
        Map<String, Object> spec = spec();
        assertThat(spec.get("openapi")).isEqualTo("3.0.3");
        Set<String> operationIds = new HashSet<>();
        for (Operation op : operations(spec)) {
            Object id = op.definition().get("operationId");
            assertThat(id).as("operationId of %s %s", op.method(), op.path()).isInstanceOf(String.class);
            assertThat(operationIds.add((String) id)).as("unique operationId %s", id).isTrue();
            assertThat((Map<String, Object>) op.definition().get("responses")).as("responses of %s", id).isNotEmpty();
            Set<String> declared = new HashSet<>();
            List<Object> parameters = new ArrayList<>(op.pathParameters());
            parameters.addAll((List<Object>) op.definition().getOrDefault("parameters", List.of()));
            for (Object parameter : parameters) {
                Map<String, Object> p = (Map<String, Object>) parameter;
                if (p.containsKey("$ref")) {
                    p = (Map<String, Object>) resolve(spec, (String) p.get("$ref"));
                }
                if ("path".equals(p.get("in"))) {
                    declared.add((String) p.get("name"));
                }
            }
            Matcher names = TEMPLATE.matcher(op.path());
            while (names.find()) {
                assertThat(declared).as("path parameter %s of %s", names.group(1), id).contains(names.group(1));
            }
        }
        List<String> refs = new ArrayList<>();
        collectRefs(spec, refs);
        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            assertThat(resolve(spec, ref)).as("$ref %s resolves", ref).isNotNull();
        }
    }

    @SuppressWarnings("unchecked")
    private static Object resolve(Map<String, Object> spec, String ref) {
        assertThat(ref).startsWith("#/");
        Object node = spec;
        for (String part : ref.substring(2).split("/")) {
            if (!(node instanceof Map)) {
                return null;
            }
            node = ((Map<String, Object>) node).get(part.replace("~1", "/").replace("~0", "~"));
        }
        return node;
    }

    @SuppressWarnings("unchecked")
    private static void collectRefs(Object node, List<String> refs) {
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> {
                if ("$ref".equals(key)) {
                    refs.add((String) value);
                } else {
                    collectRefs(value, refs);
                }
            });
        } else if (node instanceof List<?> list) {
            list.forEach(item -> collectRefs(item, refs));
        }
    }

}
