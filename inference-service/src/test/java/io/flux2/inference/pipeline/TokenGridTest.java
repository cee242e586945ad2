package io.flux2.inference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class TokenGridTest {

    @Test
    void sizesInTokens() {
        TokenGrid grid = TokenGrid.forImage(192, 128);
        assertThat(grid.rows()).isEqualTo(8);
        assertThat(grid.cols()).isEqualTo(12);
        assertThat(grid.tokens()).isEqualTo(96);
        assertThat(grid.latentShape()).isEqualTo(new Shape(1, 128, 8, 12));
    }

    @Test
    void imageIdsAreRowMajorRowColumn() {
        long[] ids = new TokenGrid(2, 3).imageIds();
        assertThat(ids).containsExactly(
                0, 0, 0, 0,
                0, 0, 1, 0,
                0, 0, 2, 0,
                0, 1, 0, 0,
                0, 1, 1, 0,
                0, 1, 2, 0);
    }

    @Test
    void textIdsCountOnTheLastAxis() {
        assertThat(TokenGrid.textIds(3)).containsExactly(
                0, 0, 0, 0,
                0, 0, 0, 1,
                0, 0, 0, 2);
    }

    @Test
    void packPutsOneTokenPerPositionWithItsChannels() {
        TokenGrid grid = new TokenGrid(2, 3);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            // value = channel * 100 + row * 10 + col, so every element says where it came from
            float[] values = new float[128 * 6];
            for (int c = 0; c < 128; c++) {
                for (int r = 0; r < 2; r++) {
                    for (int col = 0; col < 3; col++) {
                        values[c * 6 + r * 3 + col] = c * 100 + r * 10 + col;
                    }
                }
            }
            NDArray latent = manager.create(values, grid.latentShape());
            NDArray tokens = grid.pack(latent);
            assertThat(tokens.getShape()).isEqualTo(new Shape(1, 6, 128));
            float[] packed = tokens.toFloatArray();
            for (int token = 0; token < 6; token++) {
                int row = token / 3;
                int col = token % 3;
                for (int c = 0; c < 128; c++) {
                    assertThat(packed[token * 128 + c]).isEqualTo(c * 100 + row * 10 + col);
                }
            }
            NDArray back = grid.unpack(tokens);
            assertThat(back.getShape()).isEqualTo(grid.latentShape());
            assertThat(back.toFloatArray()).containsExactly(values);
        }
    }
}
