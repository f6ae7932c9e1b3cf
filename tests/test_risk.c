/* test_risk.c: the risk score (weighted mean of the scored indicators),
 * its classes at the exact thresholds, and class names. */
#include "testutil.h"

#include <math.h>

static int scores[SINSPACE_INDICATORS];
static double weights[SINSPACE_INDICATORS];

static void
reset(void)
{
    for (int i = 0; i < SINSPACE_INDICATORS; i++) {
        scores[i] = 0;
        weights[i] = i < 15 ? 1.5 : 1.0; /* the shipped catalogue's weights */
    }
}

TU_RUNNER_HOOK_START(0)
TU_RUNNER_HOOK_END

TestSuite(risk, .init = reset, .fini = tu_leak_check);

Test(risk, nothing_scored_is_nan)
{
    cr_assert(isnan(sinspace_risk_score(scores, weights)));
}

Test(risk, one_indicator)
{
    scores[4] = 2;
    cr_assert_eq(sinspace_risk_score(scores, weights), 2.0);
}

Test(risk, all_indicators_same_score)
{
    for (int i = 0; i < SINSPACE_INDICATORS; i++)
        scores[i] = 3;
    cr_assert_eq(sinspace_risk_score(scores, weights), 3.0);
    for (int i = 0; i < SINSPACE_INDICATORS; i++)
        scores[i] = 1;
    cr_assert_eq(sinspace_risk_score(scores, weights), 1.0);
}

Test(risk, weighted_mean)
{
    /* (1.5*3 + 1.0*1) / (1.5 + 1.0) = 5.5 / 2.5 = 2.2 */
    scores[0] = 3;
    scores[27] = 1;
    cr_assert_float_eq(sinspace_risk_score(scores, weights), 2.2, 1e-12);
    /* Add i02 = 2: (4.5 + 3 + 1) / 4 = 2.125 exactly. */
    scores[1] = 2;
    cr_assert_eq(sinspace_risk_score(scores, weights), 2.125);
}

Test(risk, unscored_indicators_do_not_pull_the_mean)
{
    /* Two indicators at 3 and 26 unscored: 3, not 3 * 2 / 28. */
    scores[10] = 3;
    scores[20] = 3;
    cr_assert_eq(sinspace_risk_score(scores, weights), 3.0);
}

Test(risk, every_weight_counts)
{
    for (int i = 0; i < SINSPACE_INDICATORS; i++) {
        weights[i] = (double)(i + 1);
        scores[i] = i % 3 + 1;
    }
    double sum = 0, wsum = 0;
    for (int i = 0; i < SINSPACE_INDICATORS; i++) {
        sum += (i + 1) * (double)(i % 3 + 1);
        wsum += i + 1;
    }
    cr_assert_float_eq(sinspace_risk_score(scores, weights), sum / wsum, 1e-12);
}

Test(risk, out_of_range_scores_ignored)
{
    scores[0] = 4;
    scores[1] = -1;
    cr_assert(isnan(sinspace_risk_score(scores, weights)));
    scores[2] = 1;
    cr_assert_eq(sinspace_risk_score(scores, weights), 1.0);
}

Test(risk, non_positive_or_nan_weights_ignored)
{
    scores[0] = 3;
    weights[0] = 0.0;
    cr_assert(isnan(sinspace_risk_score(scores, weights)));
    weights[0] = -2.0;
    cr_assert(isnan(sinspace_risk_score(scores, weights)));
    weights[0] = NAN;
    cr_assert(isnan(sinspace_risk_score(scores, weights)));
    scores[1] = 2;
    cr_assert_eq(sinspace_risk_score(scores, weights), 2.0);
}

Test(risk, null_arrays)
{
    cr_assert(isnan(sinspace_risk_score(NULL, weights)));
    cr_assert(isnan(sinspace_risk_score(scores, NULL)));
}

Test(risk, classes_at_exact_thresholds)
{
    cr_assert_eq(sinspace_risk_classify(1.0), SINSPACE_RISK_CLASS_LOW);
    cr_assert_eq(sinspace_risk_classify(1.5), SINSPACE_RISK_CLASS_LOW);
    cr_assert_eq(sinspace_risk_classify(1.6669999), SINSPACE_RISK_CLASS_LOW);
    cr_assert_eq(sinspace_risk_classify(1.667), SINSPACE_RISK_CLASS_MEDIUM);
    cr_assert_eq(sinspace_risk_classify(SINSPACE_RISK_MEDIUM), SINSPACE_RISK_CLASS_MEDIUM);
    cr_assert_eq(sinspace_risk_classify(2.0), SINSPACE_RISK_CLASS_MEDIUM);
    cr_assert_eq(sinspace_risk_classify(2.3329999), SINSPACE_RISK_CLASS_MEDIUM);
    cr_assert_eq(sinspace_risk_classify(2.333), SINSPACE_RISK_CLASS_HIGH);
    cr_assert_eq(sinspace_risk_classify(SINSPACE_RISK_HIGH), SINSPACE_RISK_CLASS_HIGH);
    cr_assert_eq(sinspace_risk_classify(3.0), SINSPACE_RISK_CLASS_HIGH);
}

Test(risk, thirds_of_the_range)
{
    /* 5/3 = 1.6666.. lies below the published 1.667 threshold: low. */
    cr_assert_eq(sinspace_risk_classify(5.0 / 3.0), SINSPACE_RISK_CLASS_LOW);
    /* 7/3 = 2.3333.. lies above 2.333: high. */
    cr_assert_eq(sinspace_risk_classify(7.0 / 3.0), SINSPACE_RISK_CLASS_HIGH);
    /* A weighted mean that lands there: (2*3 + 1) / 3 with equal weights. */
    for (int i = 0; i < SINSPACE_INDICATORS; i++)
        weights[i] = 1.0;
    scores[0] = 3;
    scores[1] = 3;
    scores[2] = 1;
    cr_assert_eq(sinspace_risk_classify(sinspace_risk_score(scores, weights)),
                 SINSPACE_RISK_CLASS_HIGH);
}

Test(risk, no_class_outside_the_range)
{
    cr_assert_eq(sinspace_risk_classify(NAN), SINSPACE_RISK_NONE);
    cr_assert_eq(sinspace_risk_classify(0.0), SINSPACE_RISK_NONE);
    cr_assert_eq(sinspace_risk_classify(0.9999), SINSPACE_RISK_NONE);
    cr_assert_eq(sinspace_risk_classify(3.0001), SINSPACE_RISK_NONE);
    cr_assert_eq(sinspace_risk_classify(INFINITY), SINSPACE_RISK_NONE);
    cr_assert_eq(sinspace_risk_classify(-INFINITY), SINSPACE_RISK_NONE);
}

Test(risk, class_names)
{
    cr_assert_str_eq(sinspace_risk_class_name(SINSPACE_RISK_CLASS_LOW), "low");
    cr_assert_str_eq(sinspace_risk_class_name(SINSPACE_RISK_CLASS_MEDIUM), "medium");
    cr_assert_str_eq(sinspace_risk_class_name(SINSPACE_RISK_CLASS_HIGH), "high");
    cr_assert_null(sinspace_risk_class_name(SINSPACE_RISK_NONE));
    cr_assert_null(sinspace_risk_class_name((sinspace_risk_class)42));
}

Test(risk, class_parse)
{
    cr_assert_eq(sinspace_risk_class_parse("low"), SINSPACE_RISK_CLASS_LOW);
    cr_assert_eq(sinspace_risk_class_parse("medium"), SINSPACE_RISK_CLASS_MEDIUM);
    cr_assert_eq(sinspace_risk_class_parse("high"), SINSPACE_RISK_CLASS_HIGH);
    cr_assert_eq(sinspace_risk_class_parse("High"), SINSPACE_RISK_NONE);
    cr_assert_eq(sinspace_risk_class_parse("hi"), SINSPACE_RISK_NONE);
    cr_assert_eq(sinspace_risk_class_parse(""), SINSPACE_RISK_NONE);
    cr_assert_eq(sinspace_risk_class_parse(NULL), SINSPACE_RISK_NONE);
    for (int c = SINSPACE_RISK_CLASS_LOW; c <= SINSPACE_RISK_CLASS_HIGH; c++)
        cr_assert_eq(sinspace_risk_class_parse(
                         sinspace_risk_class_name((sinspace_risk_class)c)), c);
}
