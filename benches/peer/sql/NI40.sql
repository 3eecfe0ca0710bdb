-- NI40 Drug users in effective treatment. For a period [S, E] (financial
-- year, or rolling 12 months for a quarter): distinct adult clients with
-- an episode triaged by E, open or discharged on or after S, retained 84
-- days (open episodes use E) or discharged in [S, E] in a planned way;
-- counted in the area of their latest such episode (ties: highest
-- episode_id). No denominator.
WITH qualifying AS (
    SELECT p.period, e.client_id, e.episode_id, e.triage_date, e.la_code
    FROM treatment_episodes e
    JOIN periods p
      ON e.triage_date <= p.p_end
     AND (e.discharge_date IS NULL OR e.discharge_date >= p.p_start)
    WHERE e.age_at_triage >= 18
      AND (least(coalesce(e.discharge_date, p.p_end), p.p_end) >= e.triage_date + 84
           OR (e.discharge_date BETWEEN p.p_start AND p.p_end
               AND e.discharge_reason IN ('completed_drug_free',
                                          'completed_occasional_user')))
),
latest AS (
    SELECT period, la_code
    FROM qualifying
    QUALIFY row_number() OVER (PARTITION BY period, client_id
                               ORDER BY triage_date DESC, episode_id DESC) = 1
)
SELECT period, la_code, count(*) AS numerator, CAST(NULL AS DOUBLE) AS denominator
FROM latest
GROUP BY ALL
