/* sinspace/risk.h: the risk index.
 *
 * A workplace is scored on up to SINSPACE_INDICATORS vulnerability
 * indicators, each 1 (low) to 3 (high).  Its risk score is the weighted mean
 * of the indicators scored in its latest observation:
 *
 *     risk = sum(w_i * s_i) / sum(w_i)   over the indicators i with a score
 *
 * so it lies in 1.0 .. 3.0 whatever the number of indicators scored.  Where
 * an observation carries no indicator scores, its overall score (the CSV
 * column `risk`) is used as it is.  Classes split the range in thirds:
 *
 *     low     1.0  <= risk < 1.667
 *     medium  1.667 <= risk < 2.333
 *     high    2.333 <= risk <= 3.0
 */
#ifndef SINSPACE_RISK_H
#define SINSPACE_RISK_H

#include <sinspace/api.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SINSPACE_INDICATORS 28
#define SINSPACE_RISK_MEDIUM 1.667 /* lowest score of class medium */
#define SINSPACE_RISK_HIGH 2.333   /* lowest score of class high */

typedef enum sinspace_risk_class {
    SINSPACE_RISK_NONE = 0, /* not scored */
    SINSPACE_RISK_CLASS_LOW,
    SINSPACE_RISK_CLASS_MEDIUM,
    SINSPACE_RISK_CLASS_HIGH
} sinspace_risk_class;

/* The class of a score; SINSPACE_RISK_NONE for a NaN or out-of-range score. */
SINSPACE_API sinspace_risk_class sinspace_risk_classify(double risk);

/* "low", "medium", "high", or NULL for SINSPACE_RISK_NONE; static. */
SINSPACE_API const char *sinspace_risk_class_name(sinspace_risk_class cls);

/* Parses "low", "medium" or "high"; SINSPACE_RISK_NONE for anything else. */
SINSPACE_API sinspace_risk_class sinspace_risk_class_parse(const char *name);

/* The weighted mean above.  scores[i] is 0 when indicator i+1 is not scored,
 * else 1..3; weights[i] > 0.  Returns NaN when nothing is scored. */
SINSPACE_API double sinspace_risk_score(const int scores[SINSPACE_INDICATORS],
                           const double weights[SINSPACE_INDICATORS]);

#ifdef __cplusplus
}
#endif
#endif
