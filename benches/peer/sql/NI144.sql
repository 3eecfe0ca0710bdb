-- NI144 Offenders under probation supervision in employment at the end of
-- their order or licence. Cohort: every probation_orders row terminating
-- in the period (quarter or financial year), less died and transferred (a
-- null reason stays in), with employment_at_end recorded and not
-- not_known (not_available_for_work stays in). Numerator: employed or
-- self_employed; denominator: the cohort.
SELECT p.period, o.la_code,
       count(*) FILTER (WHERE o.employment_at_end IN ('employed', 'self_employed'))
           AS numerator,
       count(*) AS denominator
FROM probation_orders o
JOIN periods p ON o.termination_date BETWEEN p.p_start AND p.p_end
WHERE (o.termination_reason IS NULL
       OR o.termination_reason NOT IN ('died', 'transferred'))
  AND o.employment_at_end IS NOT NULL
  AND o.employment_at_end <> 'not_known'
GROUP BY ALL
