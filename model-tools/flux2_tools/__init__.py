"""FLUX.2 model tools: architecture (transformer, VAE, stand-in text encoder), exporter, reference pipeline."""
