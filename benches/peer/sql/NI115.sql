-- NI115 Substance misuse by young people. Per calendar survey year:
-- respondents who answered at least one of the three questions.
-- Numerator: weight of those with any of the three true; denominator:
-- weight of all of them.
SELECT p.period, s.la_code,
       sum(CASE WHEN coalesce(s.drunk_2plus_4wk, false)
                  OR coalesce(s.drugs_2plus_4wk, false)
                  OR coalesce(s.volatile_2plus_4wk, false)
                THEN s.weight ELSE 0 END) AS numerator,
       sum(s.weight) AS denominator
FROM tellus_survey s
JOIN periods p ON s.survey_year = p.p_year
WHERE s.drunk_2plus_4wk IS NOT NULL
   OR s.drugs_2plus_4wk IS NOT NULL
   OR s.volatile_2plus_4wk IS NOT NULL
GROUP BY ALL
