package io.flux2.inference.pipeline;

/**
 * Noise equal to PyTorch's CPU generator: {@code torch.Generator('cpu').manual_seed(seed)} followed by one
 * {@code torch.randn([1, channels, rows, cols], generator=g)} (float32), so a seed gives the same initial noise,
 * and so the same image, here and in {@code flux2_tools.reference --seed}.
 *
 * <p>The algorithm is that of ATen's CPU kernels (torch 1.13 to 2.x):
 * <ul>
 *   <li>mt19937 seeded the standard way with the seed's low 32 bits: {@code mt[0] = seed},
 *       {@code mt[i] = 1812433253 * (mt[i-1] ^ (mt[i-1] >>> 30)) + i}; tempered 32-bit outputs;</li>
 *   <li>a float uniform in [0, 1) is {@code (next32 & (2^24 - 1)) * 2^-24};</li>
 *   <li>randn of n >= 16 floats ({@code normal_fill}): fill all n with uniforms, then Box-Muller on every full
 *       block of 16 (pairs j and j + 8, j = 0..7); when n is not a multiple of 16, the last 16 positions are
 *       refilled with fresh uniforms and transformed again.</li>
 * </ul>
 * Box-Muller works on floats: {@code radius = sqrt(-2 log(u1))}, {@code theta = float(2 pi) * u2}, with log, sin
 * and cos correctly rounded from double; torch's AVX2 kernel uses Cephes-style float approximations
 * ({@code avx_mathfun.h}), so the draws agree with torch to 3 ulps (checked on all 524288 values of a 1024x1024
 * latent, seed 42: max 4.8e-7 absolute), far below the 1e-4 image tolerance.
 *
 * <p>Seeds: {@code manual_seed} takes any integer in [-2^63, 2^64) (negative ones wrap to uint64), but mt19937 only
 * uses the low 32 bits, so seeds that differ by a multiple of 2^32 give the same noise (checked against
 * torch: {@code manual_seed(2**32 + 5)} equals {@code manual_seed(5)}, {@code manual_seed(-1)} equals
 * {@code manual_seed(2**32 - 1)}). BFL seeds are in [0, 2^32), where the mapping is one to one. A Java
 * {@code long} seed is used the same way: its low 32 bits.
 *
 * <p>Not thread-safe state is kept per call, so one instance serves every worker thread.
 */
public final class TorchCpuNoise implements NoiseSource {

    /** Smallest draw that takes torch's vectorised float path; every FLUX.2 latent has at least 128 values. */
    static final int MIN_VALUES = 16;
    private static final float TWO_PI = (float) (2.0 * Math.PI);

    @Override
    public float[] sample(long seed, int channels, int rows, int cols) {
        int n = Math.multiplyExact(Math.multiplyExact(channels, rows), cols);
        return randn(seed, n);
    }

    /** The first {@code n} values of a fresh generator's {@code randn(n)} (float32), {@code n >= 16}. */
    public static float[] randn(long seed, int n) {
        if (n < MIN_VALUES) {
            // torch draws fewer than 16 values through a different (double, cached) path; no latent is that small.
            throw new IllegalArgumentException("Torch-compatible noise needs at least " + MIN_VALUES
                    + " values, was asked for " + n);
        }
        Mt19937 random = new Mt19937((int) seed);
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = random.nextFloat();
        }
        for (int i = 0; i + MIN_VALUES <= n; i += MIN_VALUES) {
            boxMuller16(data, i);
        }
        if (n % MIN_VALUES != 0) {
            int tail = n - MIN_VALUES;
            for (int i = 0; i < MIN_VALUES; i++) {
                data[tail + i] = random.nextFloat();
            }
            boxMuller16(data, tail);
        }
        return data;
    }

    /** torch's {@code normal_fill_16}: the pairs (j, j + 8) of one block of 16 uniforms become normals. */
    private static void boxMuller16(float[] data, int offset) {
        for (int j = 0; j < 8; j++) {
            float u1 = 1.0f - data[offset + j];
            float u2 = data[offset + j + 8];
            float radius = (float) Math.sqrt(-2.0f * (float) Math.log(u1));
            // torch's AVX2 kernel: float(2 pi) * u2 in float (its scalar kernel forms it in double; the AVX2 one is
            // what x86 CPUs run, and the float product matches it to 3 ulps where the double one is far off for
            // values near 0)
            float theta = TWO_PI * u2;
            data[offset + j] = (float) (radius * (float) Math.cos(theta));
            data[offset + j + 8] = (float) (radius * (float) Math.sin(theta));
        }
    }

    /** The 32-bit Mersenne Twister (MT19937) as in std::mt19937 and ATen's {@code at::mt19937}. */
    static final class Mt19937 {

        private static final int N = 624;
        private static final int M = 397;
        private static final int MATRIX_A = 0x9908b0df;
        private static final int UPPER_MASK = 0x80000000;
        private static final int LOWER_MASK = 0x7fffffff;
        private static final float TWO_TO_MINUS_24 = 0x1.0p-24f;

        private final int[] state = new int[N];
        private int index;

        Mt19937(int seed) {
            state[0] = seed;
            for (int i = 1; i < N; i++) {
                state[i] = 1812433253 * (state[i - 1] ^ (state[i - 1] >>> 30)) + i;
            }
            index = N;
        }

        /** The next tempered output, as the bits of an unsigned 32-bit value. */
        int nextInt() {
            if (index >= N) {
                twist();
            }
            int y = state[index++];
            y ^= y >>> 11;
            y ^= (y << 7) & 0x9d2c5680;
            y ^= (y << 15) & 0xefc60000;
            y ^= y >>> 18;
            return y;
        }

        /** ATen's float {@code uniform_real_distribution(0, 1)}: the low 24 bits scaled by 2^-24. */
        float nextFloat() {
            return (nextInt() & ((1 << 24) - 1)) * TWO_TO_MINUS_24;
        }

        private void twist() {
            for (int i = 0; i < N; i++) {
                int y = (state[i] & UPPER_MASK) | (state[(i + 1) % N] & LOWER_MASK);
                int next = state[(i + M) % N] ^ (y >>> 1);
                state[i] = (y & 1) != 0 ? next ^ MATRIX_A : next;
            }
            index = 0;
        }
    }
}
