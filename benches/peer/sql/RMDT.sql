-- RMDT Random mandatory drug testing positive rate. Per period (financial
-- year, or rolling 12 months for a quarter): prison_mdt tests of type
-- random dated in it, in the LA of the prison. Numerator: those positive
-- or refused (a refusal counts as positive); denominator: all of them.
SELECT p.period, t.la_code,
       count(*) FILTER (WHERE t.result IN ('positive', 'refused')) AS numerator,
       count(*) AS denominator
FROM prison_mdt t
JOIN periods p ON t.test_date BETWEEN p.p_start AND p.p_end
WHERE t.test_type = 'random'
GROUP BY ALL
