-- NI18 Adult re-offending of those under probation supervision. Cohort:
-- caseload rows snapshotted in the quarter. Numerator: rows whose person
-- has an offence committed in (D, D + 91] proven by D + 91 + 91;
-- denominator: cohort rows.
WITH cohort AS (
    SELECT p.period, c.person_id, c.snapshot_date, c.la_code
    FROM probation_caseload c
    JOIN periods p ON c.snapshot_date BETWEEN p.p_start AND p.p_end
),
reoffended AS (
    SELECT k.person_id, k.snapshot_date
    FROM (SELECT DISTINCT person_id, snapshot_date FROM cohort) k
    SEMI JOIN offences o
      ON o.person_id = k.person_id
     AND o.offence_date > k.snapshot_date
     AND o.offence_date <= k.snapshot_date + 91
     AND o.disposal_date <= k.snapshot_date + 182
)
SELECT c.period, c.la_code,
       count(r.person_id) AS numerator,
       count(*) AS denominator
FROM cohort c
LEFT JOIN reoffended r USING (person_id, snapshot_date)
GROUP BY ALL
