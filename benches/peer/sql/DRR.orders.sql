-- DRR.orders Drug Rehabilitation Requirements commenced. Numerator:
-- probation_orders with drr true whose start_date is in the period
-- (financial year, or rolling 12 months for a quarter), in the offender's
-- LA. No denominator.
SELECT p.period, o.la_code, count(*) AS numerator, CAST(NULL AS DOUBLE) AS denominator
FROM probation_orders o
JOIN periods p ON o.start_date BETWEEN p.p_start AND p.p_end
WHERE o.drr
GROUP BY ALL
