-- DRR.completion Drug Rehabilitation Requirements completed. Orders with
-- drr true whose termination_date is in the period (financial year, or
-- rolling 12 months for a quarter), less those that ended because the
-- offender died or was transferred (a null reason stays in). Numerator:
-- reason completed or early_good_progress; denominator: all of them.
SELECT p.period, o.la_code,
       count(*) FILTER (WHERE o.termination_reason IN ('completed', 'early_good_progress'))
           AS numerator,
       count(*) AS denominator
FROM probation_orders o
JOIN periods p ON o.termination_date BETWEEN p.p_start AND p.p_end
WHERE o.drr
  AND (o.termination_reason IS NULL
       OR o.termination_reason NOT IN ('died', 'transferred'))
GROUP BY ALL
