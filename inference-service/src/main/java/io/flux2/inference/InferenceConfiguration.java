package io.flux2.inference;

import io.flux2.common.client.ServiceClients;
import io.flux2.inference.model.ModelRegistry;
import io.flux2.inference.output.ImageEncoder;
import io.flux2.inference.pipeline.TorchCpuNoise;
import io.flux2.inference.pipeline.NoiseSource;
import io.flux2.inference.pipeline.PipelineFactory;
import io.flux2.inference.worker.WorkerPool;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the model registry, the pipeline factory, the encoder and the workers from {@code flux.inference}. */
@Configuration(proxyBeanMethods = false)
class InferenceConfiguration {

    @Bean(destroyMethod = "close")
    ModelRegistry modelRegistry() {
        return new ModelRegistry();
    }

    @Bean
    @ConditionalOnMissingBean
    NoiseSource noiseSource() {
        return new TorchCpuNoise();
    }

    @Bean
    PipelineFactory pipelineFactory(NoiseSource noise, InferenceProperties properties) {
        return new PipelineFactory(noise, properties.limits().toGenerationLimits());
    }

    @Bean
    ImageEncoder imageEncoder() {
        return new ImageEncoder();
    }

    /** Depends on the registry, so Spring stops the workers before it closes the models they use. */
    @Bean(destroyMethod = "close")
    @ConditionalOnProperty(name = "flux.inference.worker.enabled", havingValue = "true", matchIfMissing = true)
    WorkerPool workerPool(InferenceProperties properties, ModelRegistry registry, PipelineFactory pipelines,
            ServiceClients clients, ImageEncoder encoder, ApplicationEventPublisher events) {
        return new WorkerPool(properties.worker(), registry, pipelines, clients, encoder, events);
    }

    @Bean
    StartupSequence startupSequence(InferenceProperties properties, ModelRegistry registry,
            PipelineFactory pipelines, ObjectProvider<WorkerPool> workers, ApplicationEventPublisher events) {
        return new StartupSequence(properties, registry, pipelines, workers, events);
    }
}
