package io.flux2.inference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * Values pinned from Debian's torch 1.13 ({@code /usr/bin/python3}), e.g.
 * {@code g = torch.Generator('cpu').manual_seed(7); torch.randn(1,128,4,6, generator=g).flatten()[:8]}.
 */
class TorchCpuNoiseTest {

    /** torch's AVX2 path uses Cephes-style float log/sin/cos; ours rounds double results: up to 3 ulps apart. */
    private static final int ULPS = 3;
    private final NoiseSource noise = new TorchCpuNoise();

    @Test
    void matchesTorchRandnForSeed7() {
        float[] values = noise.sample(7, 128, 4, 6);
        assertThat(values).hasSize(3072);
        float[] torch = {-0.8201345205307007f, 0.39563116431236267f, 0.8989084959030151f, -1.3884038925170898f,
            -0.16699601709842682f, 0.2851499617099762f, -0.641091525554657f, -0.8936554193496704f};
        for (int i = 0; i < torch.length; i++) {
            assertClose(values[i], torch[i]);
        }
        assertClose(values[3070], 2.4928343296051025f);
        assertClose(values[3071], -0.9007834792137146f);
    }

    @Test
    void matchesTorchAcrossTheTwistOfALargeLatent() {
        // 1024x1024: [1,128,64,64], many mt19937 twists
        float[] values = noise.sample(12345, 128, 64, 64);
        assertClose(values[0], -1.479807734489441f);
        assertClose(values[100000], 0.14905792474746704f);
        assertClose(values[524287], 0.9797833561897278f);
    }

    @Test
    void redrawsTheLastSixteenWhenTheCountIsNotAMultipleOf16() {
        // torch.randn(40) with manual_seed(3): 2 full blocks, then positions 24..39 redrawn
        float[] values = TorchCpuNoise.randn(3, 40);
        assertClose(values[0], -0.07664429396390915f);
        assertClose(values[15], 0.41633129119873047f);
        assertClose(values[23], 0.05303340032696724f);
        assertClose(values[24], -1.196319580078125f);
        assertClose(values[39], -0.6894744634628296f);
    }

    @Test
    void usesTheLow32BitsOfTheSeedLikeTorch() {
        float[] max32 = noise.sample(4294967295L, 128, 1, 1);
        assertClose(max32[0], -2.664297580718994f);
        assertClose(max32[1], -1.0910485982894897f);
        assertClose(max32[2], 0.45144742727279663f);
        // torch: manual_seed(2**32 + 5) == manual_seed(5); manual_seed(-1) == manual_seed(2**32 - 1)
        assertThat(noise.sample((1L << 32) + 5, 128, 2, 2)).containsExactly(noise.sample(5, 128, 2, 2));
        assertThat(noise.sample(-1, 128, 1, 1)).containsExactly(max32);
        assertThat(noise.sample(6, 128, 1, 1)).isNotEqualTo(noise.sample(5, 128, 1, 1));
    }

    private static void assertClose(float actual, float torch) {
        assertThat(actual).isCloseTo(torch, within(ULPS * Math.ulp(torch)));
    }

    @Test
    void refusesTheUnvectorisedSizes() {
        assertThatThrownBy(() -> TorchCpuNoise.randn(1, 15)).hasMessageContaining("at least 16");
    }
}
