-- NI30 Re-offending of prolific and priority offenders. For the quarter
-- ending E: ppo_cohort rows with cohort_date <= E - 364. Numerator: their
-- offences disposed in (E - 365, E]; denominator: their offences disposed
-- in [cohort_date - 365, cohort_date).
WITH members AS (
    SELECT p.period, p.p_end, m.person_id, m.cohort_date, m.la_code
    FROM ppo_cohort m
    JOIN periods p ON m.cohort_date <= p.p_end - 364
),
after AS (
    SELECT k.period, k.person_id, count(*) AS n
    FROM (SELECT DISTINCT period, p_end, person_id FROM members) k
    JOIN offences o ON o.person_id = k.person_id
    WHERE o.disposal_date > k.p_end - 365
      AND o.disposal_date <= k.p_end
    GROUP BY ALL
),
before AS (
    SELECT k.person_id, k.cohort_date, count(*) AS n
    FROM (SELECT DISTINCT person_id, cohort_date FROM ppo_cohort) k
    JOIN offences o ON o.person_id = k.person_id
    WHERE o.disposal_date >= k.cohort_date - 365
      AND o.disposal_date < k.cohort_date
    GROUP BY ALL
)
SELECT m.period, m.la_code,
       sum(coalesce(a.n, 0)) AS numerator,
       sum(coalesce(b.n, 0)) AS denominator
FROM members m
LEFT JOIN after a USING (period, person_id)
LEFT JOIN before b USING (person_id, cohort_date)
GROUP BY ALL
