package io.flux2.jobs.intake;

import io.flux2.common.problem.ApiProblem;
import java.math.BigDecimal;
import org.springframework.http.HttpStatus;

/** 402: the job would take the tenant past its monthly spend cap. */
public final class SpendCapReached extends ApiProblem {

    SpendCapReached(BigDecimal cost, BigDecimal spent, BigDecimal cap) {
        super(HttpStatus.PAYMENT_REQUIRED, "Spend cap reached", "This job costs " + plain(cost)
                + " credits; the tenant has spent " + plain(spent) + " of its monthly cap of " + plain(cap));
        with("cost", cost);
        with("spent", spent);
        with("limit", cap);
    }

    private static String plain(BigDecimal value) {
        return value.stripTrailingZeros().toPlainString();
    }
}
