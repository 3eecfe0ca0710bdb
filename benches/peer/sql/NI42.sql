-- NI42 Perceptions of drug use or drug dealing as a problem. Per calendar
-- survey year of place_survey: respondents with drug_problem answered and
-- not dont_know. Numerator: weight of very_big and fairly_big; denominator:
-- weight of all of them.
SELECT p.period, s.la_code,
       sum(CASE WHEN s.drug_problem IN ('very_big', 'fairly_big') THEN s.weight ELSE 0 END)
           AS numerator,
       sum(s.weight) AS denominator
FROM place_survey s
JOIN periods p ON s.survey_year = p.p_year
WHERE s.drug_problem IS NOT NULL
  AND s.drug_problem <> 'dont_know'
GROUP BY ALL
