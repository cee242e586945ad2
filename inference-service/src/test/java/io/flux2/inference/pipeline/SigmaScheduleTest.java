package io.flux2.inference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Values from research/flux2-model.md section 5 ("Worked values"). */
class SigmaScheduleTest {

    @Test
    void fiftyStepsAt1024() {
        SigmaSchedule schedule = SigmaSchedule.of(4096, 50);
        assertThat(schedule.mu()).isCloseTo(2.023, within(5e-4));
        double[] sigmas = schedule.sigmas();
        assertThat(sigmas).hasSize(51);
        assertThat(sigmas[0]).isEqualTo(1.0);
        assertThat(sigmas[1]).isCloseTo(0.9973, within(5e-5));
        assertThat(sigmas[2]).isCloseTo(0.9945, within(5e-5));
        assertThat(sigmas[48]).isCloseTo(0.2396, within(5e-5));
        assertThat(sigmas[49]).isCloseTo(0.1337, within(5e-5));
        assertThat(sigmas[50]).isEqualTo(0.0);
    }

    @Test
    void fourStepsAt1024() {
        SigmaSchedule schedule = SigmaSchedule.of(4096, 4);
        assertThat(schedule.mu()).isCloseTo(2.291, within(5e-4));
        assertThat(schedule.sigmas()).containsExactly(new double[] {1, 0.9674, 0.9081, 0.7672, 0}, within(5e-5));
    }

    @Test
    void otherWorkedValues() {
        assertThat(SigmaSchedule.of(4096, 28).mu()).isCloseTo(2.151, within(5e-4));
        assertThat(SigmaSchedule.of(1024, 4).sigmas())
                .containsExactly(new double[] {1, 0.9581, 0.884, 0.7175, 0}, within(5e-5));
        assertThat(SigmaSchedule.of(16384, 4).mu()).isCloseTo(3.230, within(5e-4));
        assertThat(SigmaSchedule.of(16384, 50).mu()).isEqualTo(SigmaSchedule.of(16384, 4).mu());
    }

    @Test
    void keepsTheJumpAt4300Tokens() {
        assertThat(SigmaSchedule.of(4300, 4).mu()).isCloseTo(2.308, within(5e-4));
        assertThat(SigmaSchedule.of(4301, 4).mu()).isCloseTo(1.185, within(5e-4));
    }

    @Test
    void oneStepGoesStraightToZero() {
        SigmaSchedule schedule = SigmaSchedule.of(64, 1);
        assertThat(schedule.sigmas()).containsExactly(1.0, 0.0);
        assertThat(schedule.stepSizesAsFloat()).containsExactly(-1f);
    }

    @Test
    void floatViewsRoundOnce() {
        SigmaSchedule schedule = SigmaSchedule.of(4096, 50);
        double[] sigmas = schedule.sigmas();
        float[] steps = schedule.stepSizesAsFloat();
        assertThat(steps).hasSize(50);
        for (int i = 0; i < 50; i++) {
            assertThat(steps[i]).isEqualTo((float) (sigmas[i + 1] - sigmas[i]));
            assertThat(steps[i]).isNegative();
        }
        assertThat(schedule.sigmasAsFloat()[1]).isEqualTo((float) sigmas[1]);
    }

    @Test
    void refusesNoSteps() {
        assertThatThrownBy(() -> SigmaSchedule.of(4096, 0)).hasMessageContaining("steps");
    }
}
