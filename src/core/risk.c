/* risk.c: the risk score and its classes (formula in sinspace/risk.h). */
#include "core/sinspaceInt.h"

#include <math.h>
#include <string.h>

sinspace_risk_class
sinspace_risk_classify(double risk)
{
    if (isnan(risk) || risk < 1.0 || risk > 3.0)
        return SINSPACE_RISK_NONE;
    if (risk >= SINSPACE_RISK_HIGH)
        return SINSPACE_RISK_CLASS_HIGH;
    if (risk >= SINSPACE_RISK_MEDIUM)
        return SINSPACE_RISK_CLASS_MEDIUM;
    return SINSPACE_RISK_CLASS_LOW;
}

const char *
sinspace_risk_class_name(sinspace_risk_class cls)
{
    switch (cls) {
    case SINSPACE_RISK_CLASS_LOW: return "low";
    case SINSPACE_RISK_CLASS_MEDIUM: return "medium";
    case SINSPACE_RISK_CLASS_HIGH: return "high";
    default: return NULL;
    }
}

sinspace_risk_class
sinspace_risk_class_parse(const char *name)
{
    if (!name)
        return SINSPACE_RISK_NONE;
    if (!strcmp(name, "low"))
        return SINSPACE_RISK_CLASS_LOW;
    if (!strcmp(name, "medium"))
        return SINSPACE_RISK_CLASS_MEDIUM;
    if (!strcmp(name, "high"))
        return SINSPACE_RISK_CLASS_HIGH;
    return SINSPACE_RISK_NONE;
}

double
sinspace_risk_score(const int scores[SINSPACE_INDICATORS],
                    const double weights[SINSPACE_INDICATORS])
{
    double sum = 0.0, wsum = 0.0;
    if (!scores || !weights)
        return NAN;
    for (int i = 0; i < SINSPACE_INDICATORS; i++) {
        if (scores[i] < 1 || scores[i] > 3 || !(weights[i] > 0.0))
            continue;
        sum += weights[i] * scores[i];
        wsum += weights[i];
    }
    return wsum > 0.0 ? sum / wsum : NAN;
}
