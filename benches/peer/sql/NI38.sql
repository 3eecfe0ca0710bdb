-- NI38 Drug-related (Class A) offending rate: actual / predicted.
-- Cohort per quarter: each person's first positive DIP test in it (ties:
-- lowest test_id). Numerator: their offences committed in (D, D + 365]
-- and proven by D + 365 + 182; denominator: sum of predicted_offences_1y.
WITH cohort AS (
    SELECT p.period, t.person_id, t.test_date, t.la_code, t.predicted_offences_1y
    FROM dip_tests t
    JOIN periods p ON t.test_date BETWEEN p.p_start AND p.p_end
    WHERE t.result IN ('opiates', 'cocaine', 'both')
    QUALIFY row_number() OVER (PARTITION BY p.period, t.person_id
                               ORDER BY t.test_date, t.test_id) = 1
),
reoffences AS (
    SELECT k.person_id, k.test_date, count(*) AS n
    FROM (SELECT DISTINCT person_id, test_date FROM cohort) k
    JOIN offences o ON o.person_id = k.person_id
    WHERE o.offence_date > k.test_date
      AND o.offence_date <= k.test_date + 365
      AND o.disposal_date <= k.test_date + 547
    GROUP BY ALL
)
SELECT c.period, c.la_code,
       sum(coalesce(r.n, 0)) AS numerator,
       sum(c.predicted_offences_1y) AS denominator
FROM cohort c
LEFT JOIN reoffences r USING (person_id, test_date)
GROUP BY ALL
