-- PSA23.5 Proven re-offending by adults. Cohort: reoffending_cohort rows
-- of adults starting in the financial year. Numerator: their offences
-- committed in (D, D + 365] proven by D + 365 + 182; denominator: cohort
-- rows.
WITH cohort AS (
    SELECT p.period, c.person_id, c.cohort_start, c.la_code
    FROM reoffending_cohort c
    JOIN periods p ON c.cohort_start BETWEEN p.p_start AND p.p_end
    WHERE c.age_group = 'adult'
),
reoffences AS (
    SELECT k.person_id, k.cohort_start, count(*) AS n
    FROM (SELECT DISTINCT person_id, cohort_start FROM cohort) k
    JOIN offences o ON o.person_id = k.person_id
    WHERE o.offence_date > k.cohort_start
      AND o.offence_date <= k.cohort_start + 365
      AND o.disposal_date <= k.cohort_start + 547
    GROUP BY ALL
)
SELECT c.period, c.la_code,
       sum(coalesce(r.n, 0)) AS numerator,
       count(*) AS denominator
FROM cohort c
LEFT JOIN reoffences r USING (person_id, cohort_start)
GROUP BY ALL
